/**
 * Metadata: one broker (node 0, this listener), every partition led by it. Unknown topics are
 * created when auto.create.topics.enable is on and the request allows it (v4+ flag), as Kafka does.
 */
import { isInternalTopic, validateTopicName } from '../../core/topic.js';
import { NODE_ID, type BrokerContext, type RequestHandler } from '../context.js';
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/errors.js';
import { decodeMetadataRequest, encodeMetadataResponse, type MetadataTopic } from '../protocol/metadata.js';
import { simpleResponse } from '../response.js';
import { kafkaErrorCode, topicNameError } from './errors.js';

function topicMetadata(name: string, partitions: number): MetadataTopic {
  return {
    errorCode: ErrorCode.NONE,
    name,
    isInternal: isInternalTopic(name),
    partitions: Array.from({ length: partitions }, (_, i) => ({
      errorCode: ErrorCode.NONE,
      partitionIndex: i,
      leaderId: NODE_ID,
      leaderEpoch: 0,
      replicaNodes: [NODE_ID],
      isrNodes: [NODE_ID],
      offlineReplicas: [],
    })),
  };
}

export async function describeTopic(ctx: BrokerContext, name: string, allowAutoCreate: boolean): Promise<MetadataTopic> {
  // as Kafka: a topic the principal may not Describe is TOPIC_AUTHORIZATION_FAILED whether or not it exists
  if (!ctx.session.authorize('Describe', 'Topic', name)) return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name, isInternal: false, partitions: [] };
  const invalid = topicNameError(name, validateTopicName);
  if (invalid !== ErrorCode.NONE) return { errorCode: invalid, name, isInternal: false, partitions: [] };
  let info = ctx.topics.get(name);
  if (!info && allowAutoCreate && ctx.config.autoCreateTopicsEnable) {
    // auto-creation needs Create on the cluster or on the topic (KafkaApis.handleTopicMetadataRequest)
    if (!ctx.session.authorizeCluster('Create') && !ctx.session.authorize('Create', 'Topic', name)) {
      return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name, isInternal: isInternalTopic(name), partitions: [] };
    }
    try {
      info = await ctx.topics.getOrCreate(name, ctx.config.numPartitions);
      ctx.logger.info(`auto-created topic ${name} with ${info.partitions} partition(s)`);
    } catch (err) {
      return { errorCode: kafkaErrorCode(err), name, isInternal: false, partitions: [] };
    }
  }
  if (!info) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, isInternal: false, partitions: [] };
  return topicMetadata(name, info.partitions);
}

export const handleMetadata: RequestHandler = async (ctx, header, r) => {
  const req = decodeMetadataRequest(r, header.apiVersion);
  r.expectEnd('Metadata');
  const topics: MetadataTopic[] = [];
  if (req.topics === null) {
    // all topics: those the principal may not Describe are left out
    for (const t of ctx.topics.list()) if (ctx.session.authorize('Describe', 'Topic', t.name, false)) topics.push(topicMetadata(t.name, t.partitions));
  } else {
    for (const name of req.topics) topics.push(await describeTopic(ctx, name, req.allowAutoTopicCreation));
  }
  return simpleResponse(ApiKey.Metadata, header.apiVersion, header.correlationId, (w) =>
    encodeMetadataResponse(w, header.apiVersion, {
      throttleTimeMs: 0,
      brokers: [{ nodeId: NODE_ID, host: ctx.advertisedHost(), port: ctx.advertisedPort(), rack: null }],
      clusterId: ctx.clusterId,
      controllerId: NODE_ID,
      topics,
    }),
  );
};
