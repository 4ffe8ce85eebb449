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
  if (isGroup && !ctx.session.authorize('Describe', 'Group', req.key)) {
    return simpleResponse(ApiKey.FindCoordinator, v, header.correlationId, (w) =>
      encodeFindCoordinatorResponse(w, v, { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, nodeId: -1, host: '', port: -1 }),
    );
  }
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
  const resp = ctx.session.authorize('Read', 'Group', req.groupId)
    ? await ctx.groups.join(req, header.clientId, ctx.session.clientAddress)
    : { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, generationId: -1, protocolName: '', leader: '', memberId: '', members: [] };
  return simpleResponse(ApiKey.JoinGroup, v, header.correlationId, (w) => encodeJoinGroupResponse(w, v, resp));
};

export const handleSyncGroup: RequestHandler = async (ctx, header, r) => {
  const v = header.apiVersion;
  const req = decodeSyncGroupRequest(r, v);
  r.expectEnd('SyncGroup');
  const resp = ctx.session.authorize('Read', 'Group', req.groupId) ? await ctx.groups.sync(req) : { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, assignment: Buffer.alloc(0) };
  return simpleResponse(ApiKey.SyncGroup, v, header.correlationId, (w) => encodeSyncGroupResponse(w, v, { throttleTimeMs: 0, ...resp }));
};

export const handleHeartbeat: RequestHandler = async (ctx, header, r) => {
  const v = header.apiVersion;
  const req = decodeHeartbeatRequest(r, v);
  r.expectEnd('Heartbeat');
  const errorCode = ctx.session.authorize('Read', 'Group', req.groupId) ? ctx.groups.heartbeat(req.groupId, req.memberId, req.generationId) : ErrorCode.GROUP_AUTHORIZATION_FAILED;
  return simpleResponse(ApiKey.Heartbeat, v, header.correlationId, (w) => encodeErrorOnlyResponse(w, v, { throttleTimeMs: 0, errorCode }));
};

export const handleLeaveGroup: RequestHandler = async (ctx, header, r) => {
  const v = header.apiVersion;
  const req = decodeLeaveGroupRequest(r, v);
  r.expectEnd('LeaveGroup');
  const allowed = ctx.session.authorize('Read', 'Group', req.groupId);
  const codes = allowed ? ctx.groups.leave(req.groupId, req.members.map((m) => m.memberId)) : req.members.map(() => ErrorCode.GROUP_AUTHORIZATION_FAILED);
  const members = allowed ? req.members.map((m, i) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: codes[i]! })) : [];
  // v0-v2 carry one member and one error code; v3+ a top-level code plus one per member
  const errorCode = !allowed ? ErrorCode.GROUP_AUTHORIZATION_FAILED : v <= 2 ? codes[0]! : ErrorCode.NONE;
  return simpleResponse(ApiKey.LeaveGroup, v, header.correlationId, (w) => encodeLeaveGroupResponse(w, v, { throttleTimeMs: 0, errorCode, members }));
};

export const handleOffsetCommit: RequestHandler = async (ctx, header, r) => {
  const v = header.apiVersion;
  const req = decodeOffsetCommitRequest(r, v);
  r.expectEnd('OffsetCommit');
  // as Kafka: Read on the group (else every partition fails with 30), then Read on each topic
  const groupAllowed = ctx.session.authorize('Read', 'Group', req.groupId);
  const verdict = groupAllowed ? ctx.groups.commitOffsets(req) : { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, store: false };
  const store = ctx.groups.offsetStore;
  let stored = false;
  const topics = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      let errorCode = verdict.errorCode;
      if (verdict.store) {
        if (!ctx.session.authorize('Read', 'Topic', t.name)) errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        else if ((p.committedMetadata?.length ?? 0) > ctx.config.offsetMetadataMaxBytes) errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
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
  // as Kafka: Describe on the group, then on each topic (all topics: the others are left out)
  if (!ctx.session.authorize('Describe', 'Group', req.groupId)) {
    const denied = (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED })) }));
    return simpleResponse(ApiKey.OffsetFetch, v, header.correlationId, (w) => encodeOffsetFetchResponse(w, v, { throttleTimeMs: 0, topics: denied, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }));
  }
  const wanted = req.topics ?? [...store.all(req.groupId)].map(([name, parts]) => ({ name, partitionIndexes: [...parts.keys()] })).filter((t) => ctx.session.authorize('Describe', 'Topic', t.name, false));
  const topics = wanted.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((p) => {
      if (!ctx.session.authorize('Describe', 'Topic', t.name)) return { partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
      const c = store.get(req.groupId, t.name, p);
      return { partitionIndex: p, committedOffset: c?.offset ?? -1, committedLeaderEpoch: c?.leaderEpoch ?? -1, metadata: c?.metadata ?? '', errorCode: ErrorCode.NONE };
    }),
  }));
  return simpleResponse(ApiKey.OffsetFetch, v, header.correlationId, (w) => encodeOffsetFetchResponse(w, v, { throttleTimeMs: 0, topics, errorCode: ErrorCode.NONE }));
};
