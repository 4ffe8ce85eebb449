/**
 * CreateTopics: single node, so the replication factor must be 1 (or -1, the default). As Kafka's
 * controller: a name given twice in one request is INVALID_REQUEST "Duplicate topic name." for
 * each, an internal topic is INVALID_REQUEST, a name colliding with an existing topic ('.' = '_')
 * INVALID_TOPIC_EXCEPTION, an existing one TOPIC_ALREADY_EXISTS.
 */
import { StrataError } from '../../core/errors.js';
import { isReservedTopic } from '../../core/topic.js';
import type { RequestHandler } from '../context.js';
import { ApiKey } from '../protocol/api-keys.js';
import { decodeCreateTopicsRequest, encodeCreateTopicsResponse } from '../protocol/create-topics.js';
import { ErrorCode } from '../protocol/errors.js';
import { simpleResponse } from '../response.js';
import { checkWireTopicConfigs } from '../topic-config-bounds.js';
import { kafkaErrorCode } from './errors.js';

export const handleCreateTopics: RequestHandler = async (ctx, header, r) => {
  const version = header.apiVersion;
  const req = decodeCreateTopicsRequest(r, version);
  r.expectEnd('CreateTopics');
  const results: { name: string; errorCode: number; errorMessage: string | null }[] = [];
  const clusterCreate = ctx.session.authorizeCluster('Create');
  const seen = new Set<string>();
  const duplicates = new Set(req.topics.map((t) => t.name).filter((n) => seen.has(n) || !seen.add(n)));
  for (const t of req.topics) {
    const fail = (errorCode: number, errorMessage: string) => results.push({ name: t.name, errorCode, errorMessage });
    if (duplicates.has(t.name)) {
      fail(ErrorCode.INVALID_REQUEST, 'Duplicate topic name.');
      continue;
    }
    if (!clusterCreate && !ctx.session.authorize('Create', 'Topic', t.name)) {
      fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
      continue;
    }
    if (isReservedTopic(t.name)) {
      fail(ErrorCode.INVALID_REQUEST, `Creation of internal topic ${t.name} is prohibited.`);
      continue;
    }
    if (t.replicationFactor !== -1 && t.replicationFactor !== 1) {
      fail(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${t.replicationFactor}: this broker is a single node, so it must be 1`);
      continue;
    }
    if (t.assignments.length > 0 && t.assignments.some((a) => a.brokerIds.some((b) => b !== 0))) {
      fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'manual assignments may only name broker 0');
      continue;
    }
    const partitions = t.assignments.length > 0 ? t.assignments.length : t.numPartitions === -1 ? ctx.config.numPartitions : t.numPartitions;
    const configs: Record<string, string> = {};
    for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value;
    try {
      checkWireTopicConfigs(configs);
      const created = await ctx.topics.create(t.name, partitions, configs, req.validateOnly);
      if (created === 'exists') fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
      else {
        results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null });
        if (!req.validateOnly) ctx.logger.info(`created topic ${t.name} with ${partitions} partition(s)`);
      }
    } catch (err) {
      const code = err instanceof StrataError && err.code === 'INVALID_ARGUMENT' ? ErrorCode.INVALID_PARTITIONS : kafkaErrorCode(err);
      fail(code, (err as Error).message);
    }
  }
  return simpleResponse(ApiKey.CreateTopics, version, header.correlationId, (w) => encodeCreateTopicsResponse(w, version, { throttleTimeMs: 0, topics: results }));
};
