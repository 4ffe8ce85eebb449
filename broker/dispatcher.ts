/**
 * Routes a request frame to its handler. A frame whose API key or version this broker does not
 * serve gets UNSUPPORTED_VERSION where the protocol allows it - ApiVersions, whose v0 error body
 * every client can read - and otherwise closes the connection (ProtocolError), as Kafka does: the
 * response schema of an unknown version is unknowable, so no answer could be parsed.
 */
import type { BrokerContext, RequestHandler } from './context.js';
import { handleDeleteGroups, handleDescribeGroups, handleListGroups, handleOffsetDelete } from './handlers/admin-groups.js';
import { handleApiVersions, unsupportedApiVersionsResponse } from './handlers/api-versions.js';
import { handleAlterConfigs, handleIncrementalAlterConfigs } from './handlers/alter-configs.js';
import { handleCreatePartitions } from './handlers/create-partitions.js';
import { handleCreateTopics } from './handlers/create-topics.js';
import { handleDeleteRecords } from './handlers/delete-records.js';
import { handleDeleteTopics } from './handlers/delete-topics.js';
import { handleDescribeConfigs } from './handlers/describe-configs.js';
import { handleFetch } from './handlers/fetch.js';
import { handleFindCoordinator, handleHeartbeat, handleJoinGroup, handleLeaveGroup, handleOffsetCommit, handleOffsetFetch, handleSyncGroup } from './handlers/groups.js';
import { handleInitProducerId } from './handlers/init-producer-id.js';
import { handleListOffsets } from './handlers/list-offsets.js';
import { handleMetadata } from './handlers/metadata.js';
import { handleProduce } from './handlers/produce.js';
import { handleSaslAuthenticate, handleSaslHandshake } from './handlers/sasl.js';
import { ApiKey, apiName, apiRange, isSupported } from './protocol/api-keys.js';
import type { ResponsePart } from './protocol/fetch.js';
import { peekRequestHeader, readRequestHeader } from './protocol/headers.js';
import { ProtocolError } from './protocol/protocol-error.js';
import { KafkaReader } from './protocol/reader.js';

const HANDLERS: ReadonlyMap<number, RequestHandler> = new Map<number, RequestHandler>([
  [ApiKey.Produce, handleProduce],
  [ApiKey.Fetch, handleFetch],
  [ApiKey.ListOffsets, handleListOffsets],
  [ApiKey.Metadata, handleMetadata],
  [ApiKey.OffsetCommit, handleOffsetCommit],
  [ApiKey.OffsetFetch, handleOffsetFetch],
  [ApiKey.FindCoordinator, handleFindCoordinator],
  [ApiKey.JoinGroup, handleJoinGroup],
  [ApiKey.Heartbeat, handleHeartbeat],
  [ApiKey.LeaveGroup, handleLeaveGroup],
  [ApiKey.SyncGroup, handleSyncGroup],
  [ApiKey.ApiVersions, handleApiVersions],
  [ApiKey.CreateTopics, handleCreateTopics],
  [ApiKey.InitProducerId, handleInitProducerId],
  [ApiKey.SaslHandshake, handleSaslHandshake],
  [ApiKey.SaslAuthenticate, handleSaslAuthenticate],
  [ApiKey.DeleteTopics, handleDeleteTopics],
  [ApiKey.DeleteRecords, handleDeleteRecords],
  [ApiKey.DescribeConfigs, handleDescribeConfigs],
  [ApiKey.CreatePartitions, handleCreatePartitions],
  [ApiKey.AlterConfigs, handleAlterConfigs],
  [ApiKey.IncrementalAlterConfigs, handleIncrementalAlterConfigs],
  [ApiKey.DescribeGroups, handleDescribeGroups],
  [ApiKey.ListGroups, handleListGroups],
  [ApiKey.DeleteGroups, handleDeleteGroups],
  [ApiKey.OffsetDelete, handleOffsetDelete],
]);

export interface Dispatched {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** null: no response is due (Produce with acks=0). */
  parts: ResponsePart[] | null;
}

export async function dispatch(ctx: BrokerContext, frame: Buffer): Promise<Dispatched> {
  const peek = peekRequestHeader(frame);
  ctx.session.admit(peek.apiKey); // SASL listener: only ApiVersions and SASL until authenticated
  if (!isSupported(peek.apiKey, peek.apiVersion)) {
    if (peek.apiKey === ApiKey.ApiVersions) {
      return { ...peek, parts: unsupportedApiVersionsResponse(peek.correlationId) };
    }
    const range = apiRange(peek.apiKey);
    throw new ProtocolError(
      range
        ? `UNSUPPORTED_VERSION: ${apiName(peek.apiKey)} v${peek.apiVersion} (this broker serves v${range.minVersion}-v${range.maxVersion})`
        : `UNSUPPORTED_VERSION: unknown API key ${peek.apiKey} (v${peek.apiVersion})`,
    );
  }
  const r = new KafkaReader(frame);
  const header = readRequestHeader(r);
  const handler = HANDLERS.get(header.apiKey)!;
  const parts = await handler(ctx, header, r);
  return { apiKey: header.apiKey, apiVersion: header.apiVersion, correlationId: header.correlationId, parts };
}
