/** FindCoordinator and the consumer-group APIs, answered by the single node's GroupCoordinator. */
import { NODE_ID, type RequestHandler } from '../context.js';
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/errors.js';
import { COORDINATOR_KEY_TYPE_GROUP, decodeFindCoordinatorRequest, encodeFindCoordinatorResponse } from '../protocol/find-coordinator.js';
import {
  decodeHeartbeatRequest,
  decodeJoinGroupRequest,
  decodeLeaveGroupRequest,
  decodeSyncGroupRequest,
  encodeErrorOnlyResponse,
  encodeJoinGroupResponse,
  encodeLeaveGroupResponse,
  encodeSyncGroupResponse,
} from '../protocol/groups.js';
import { decodeOffsetCommitRequest, decodeOffsetFetchRequest, encodeOffsetCommitResponse, encodeOffsetFetchResponse } from '../protocol/offsets.js';
import { simpleResponse } from '../response.js';

export const handleFindCoordinator: RequestHandler = async (ctx, header, r) => {
  const v = header.apiVersion;
  const req = decodeFindCoordinatorRequest(r, v);
  r.expectEnd('FindCoordinator');
  const isGroup = req.keyType === COORDINATOR_KEY_TYPE_GROUP;
  return simpleResponse(ApiKey.FindCoordinator, v, header.correlationId, (w) =>
    encodeFindCoordinatorResponse(w, v, {
      throttleTimeMs: 0,
      errorCode: isGroup ? ErrorCode.NONE : ErrorCode.COORDINATOR_NOT_AVAILABLE,
      errorMessage: isGroup ? null : 'strata has no transaction coordinator',
      nodeId: isGroup ? NODE_ID : -1,
      host: isGroup ? ctx.advertisedHost() : '',
      port: isGroup ? ctx.advertisedPort() : -1,
    }),
  );
};

export const handleJoinGroup: RequestHandler = async (ctx, header, r) => {
  const v = header.apiVersion;
  const req = decodeJoinGroupRequest(r, v);
  r.expectEnd('JoinGroup');
  const resp = await ctx.groups.join(req, header.clientId);
  return simpleResponse(ApiKey.JoinGroup, v, header.correlationId, (w) => encodeJoinGroupResponse(w, v, resp));
};

export const handleSyncGroup: RequestHandler = async (ctx, header, r) => {
  const v = header.apiVersion;
  const req = decodeSyncGroupRequest(r, v);
  r.expectEnd('SyncGroup');
  const resp = await ctx.groups.sync(req);
  return simpleResponse(ApiKey.SyncGroup, v, header.correlationId, (w) => encodeSyncGroupResponse(w, v, { throttleTimeMs: 0, ...resp }));
};

export const handleHeartbeat: RequestHandler = async (ctx, header, r) => {
  const v = header.apiVersion;
  const req = decodeHeartbeatRequest(r, v);
  r.expectEnd('Heartbeat');
  const errorCode = ctx.groups.heartbeat(req.groupId, req.memberId, req.generationId);
  return simpleResponse(ApiKey.Heartbeat, v, header.correlationId, (w) => encodeErrorOnlyResponse(w, v, { throttleTimeMs: 0, errorCode }));
};

export const handleLeaveGroup: RequestHandler = async (ctx, header, r) => {
  const v = header.apiVersion;
  const req = decodeLeaveGroupRequest(r, v);
  r.expectEnd('LeaveGroup');
  const codes = ctx.groups.leave(req.groupId, req.members.map((m) => m.memberId));
  const members = req.members.map((m, i) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: codes[i]! }));
  // v0-v2 carry one member and one error code; v3+ a top-level code plus one per member
  const errorCode = v <= 2 ? codes[0]! : ErrorCode.NONE;
  return simpleResponse(ApiKey.LeaveGroup, v, header.correlationId, (w) => encodeLeaveGroupResponse(w, v, { throttleTimeMs: 0, errorCode, members }));
};

export const handleOffsetCommit: RequestHandler = async (ctx, header, r) => {
  const v = header.apiVersion;
  const req = decodeOffsetCommitRequest(r, v);
  r.expectEnd('OffsetCommit');
  const verdict = ctx.groups.commitOffsets(req);
  const store = ctx.groups.offsetStore;
  let stored = false;
  const topics = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      let errorCode = verdict.errorCode;
      if (verdict.store) {
        if ((p.committedMetadata?.length ?? 0) > ctx.config.offsetMetadataMaxBytes) errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        else if (!ctx.topics.get(t.name) || p.partitionIndex < 0 || p.partitionIndex >= ctx.topics.get(t.name)!.partitions) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (!store.put(req.groupId, t.name, p.partitionIndex, { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata ?? '' })) {
          errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
        } else stored = true;
      }
      return { partitionIndex: p.partitionIndex, errorCode };
    }),
  }));
  if (stored) {
    try {
      await store.persist();
    } catch (err) {
      ctx.logger.error(`writing committed offsets failed: ${(err as Error).message}`);
      for (const t of topics) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) p.errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }
  return simpleResponse(ApiKey.OffsetCommit, v, header.correlationId, (w) => encodeOffsetCommitResponse(w, v, { throttleTimeMs: 0, topics }));
};

export const handleOffsetFetch: RequestHandler = async (ctx, header, r) => {
  const v = header.apiVersion;
  const req = decodeOffsetFetchRequest(r, v);
  r.expectEnd('OffsetFetch');
  const store = ctx.groups.offsetStore;
  const wanted = req.topics ?? [...store.all(req.groupId)].map(([name, parts]) => ({ name, partitionIndexes: [...parts.keys()] }));
  const topics = wanted.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((p) => {
      const c = store.get(req.groupId, t.name, p);
      return { partitionIndex: p, committedOffset: c?.offset ?? -1, committedLeaderEpoch: c?.leaderEpoch ?? -1, metadata: c?.metadata ?? '', errorCode: ErrorCode.NONE };
    }),
  }));
  return simpleResponse(ApiKey.OffsetFetch, v, header.correlationId, (w) => encodeOffsetFetchResponse(w, v, { throttleTimeMs: 0, topics, errorCode: ErrorCode.NONE }));
};
