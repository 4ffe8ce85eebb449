/**
 * The group admin APIs, with the semantics of Kafka's GroupCoordinator on one node:
 * DescribeGroups, ListGroups, OffsetDelete and DeleteGroups. A group exists once a member joined
 * it or an offset was committed for it (Kafka's "simple" group: Empty, protocol type "");
 * every group here is of Kafka's "classic" type. Under ACLs, as Kafka's KafkaApis: DescribeGroups
 * needs Describe on each group and DeleteGroups Delete (else GROUP_AUTHORIZATION_FAILED for that
 * group); ListGroups lists every group to a principal with Describe on the cluster, otherwise only
 * the groups it may Describe; OffsetDelete needs Delete on the group (else the whole request is
 * GROUP_AUTHORIZATION_FAILED), then Read on each topic (else its partitions are
 * TOPIC_AUTHORIZATION_FAILED), before the group's state is looked at.
 */
import type { AclOperation } from '../auth/authorizer.js';
import type { BrokerContext, RequestHandler } from '../context.js';
import {
  decodeDeleteGroupsRequest,
  decodeDescribeGroupsRequest,
  decodeListGroupsRequest,
  decodeOffsetDeleteRequest,
  encodeDeleteGroupsResponse,
  encodeDescribeGroupsResponse,
  encodeListGroupsResponse,
  encodeOffsetDeleteResponse,
  type DescribedGroup,
  type ListedGroup,
  type OffsetDeleteResponse,
} from '../protocol/admin-groups.js';
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/errors.js';
import { simpleResponse } from '../response.js';

/** The operations a group supports, with Kafka's AclOperation codes (READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS). */
const GROUP_OPERATIONS: readonly [AclOperation, number][] = [
  ['Read', 3],
  ['Delete', 6],
  ['Describe', 8],
  ['DescribeConfigs', 10],
  ['AlterConfigs', 11],
];

/** Kafka's AuthHelper.authorizedOperations: the bits of the group's operations the principal may do (all without an authorizer). */
function authorizedGroupOperations(ctx: BrokerContext, groupId: string): number {
  return GROUP_OPERATIONS.reduce((bits, [op, code]) => (ctx.session.authorize(op, 'Group', groupId, false) ? bits | (1 << code) : bits), 0);
}
/** AuthorizedOperations when the client did not ask for them. */
const OPERATIONS_NOT_REQUESTED = -2147483648;
/** The one group type strata has (Kafka's GroupType names: classic, consumer, share, streams). */
const GROUP_TYPE = 'classic';

export const handleDescribeGroups: RequestHandler = async (ctx, header, r) => {
  const v = header.apiVersion;
  const req = decodeDescribeGroupsRequest(r, v);
  r.expectEnd('DescribeGroups');
  const groups = req.groups.map((id) => {
    if (!ctx.session.authorize('Describe', 'Group', id)) return groupError(id, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const g = describeOne(ctx, id, v);
    if (req.includeAuthorizedOperations && g.errorCode === ErrorCode.NONE) g.authorizedOperations = authorizedGroupOperations(ctx, id);
    return g;
  });
  return simpleResponse(ApiKey.DescribeGroups, v, header.correlationId, (w) => encodeDescribeGroupsResponse(w, v, { throttleTimeMs: 0, groups }));
};

/** Kafka's DescribeGroupsResponse.groupError: no state, protocol or members. */
function groupError(groupId: string, errorCode: number): DescribedGroup {
  return { errorCode, errorMessage: null, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED };
}

function describeOne(ctx: BrokerContext, groupId: string, version: number): DescribedGroup {
  const base = groupError(groupId, ErrorCode.NONE);
  if (!ctx.groups.isActive) return { ...base, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
  const d = ctx.groups.describeGroup(groupId);
  if (d) {
    const members = d.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, memberMetadata: m.metadata, memberAssignment: m.assignment }));
    return { ...base, groupState: d.state, protocolType: d.protocolType, protocolData: d.protocolData, members };
  }
  if (ctx.groups.offsetStore.hasGroup(groupId)) return { ...base, groupState: 'Empty' };
  // v6 (KIP-1043) names a group that does not exist; earlier versions describe it as Dead
  if (version >= 6) return { ...base, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.`, groupState: 'Dead' };
  return { ...base, groupState: 'Dead' };
}

export const handleListGroups: RequestHandler = async (ctx, header, r) => {
  const v = header.apiVersion;
  const req = decodeListGroupsRequest(r, v);
  r.expectEnd('ListGroups');
  const encode = (errorCode: number, groups: ListedGroup[]) =>
    simpleResponse(ApiKey.ListGroups, v, header.correlationId, (w) => encodeListGroupsResponse(w, v, { throttleTimeMs: 0, errorCode, groups }));
  if (!ctx.groups.isActive) return encode(ErrorCode.COORDINATOR_NOT_AVAILABLE, []);
  // Kafka compares states without case and surrounding spaces, and types by their lower-case names
  const states = new Set(req.statesFilter.map((s) => s.trim().toLowerCase()));
  const types = new Set(req.typesFilter.map((t) => t.toLowerCase()));
  const all: ListedGroup[] = [];
  for (const g of ctx.groups.listGroups()) all.push({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: GROUP_TYPE });
  const tracked = new Set(all.map((g) => g.groupId));
  for (const id of ctx.groups.offsetStore.groupIds()) if (!tracked.has(id)) all.push({ groupId: id, protocolType: '', groupState: 'Empty', groupType: GROUP_TYPE });
  const clusterDescribe = ctx.session.authorizeCluster('Describe');
  const listed = all.filter(
    (g) =>
      (states.size === 0 || states.has(g.groupState.toLowerCase())) &&
      (types.size === 0 || types.has(g.groupType)) &&
      (clusterDescribe || ctx.session.authorize('Describe', 'Group', g.groupId, false)),
  );
  return encode(ErrorCode.NONE, listed);
};

export const handleOffsetDelete: RequestHandler = async (ctx, header, r) => {
  const v = header.apiVersion;
  const req = decodeOffsetDeleteRequest(r);
  r.expectEnd('OffsetDelete');
  const resp = ctx.session.authorize('Delete', 'Group', req.groupId) ? await deleteOffsets(ctx, req.groupId, req.topics) : { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
  return simpleResponse(ApiKey.OffsetDelete, v, header.correlationId, (w) => encodeOffsetDeleteResponse(w, resp));
};

async function deleteOffsets(ctx: BrokerContext, groupId: string, topics: { name: string; partitions: number[] }[]): Promise<OffsetDeleteResponse> {
  const failed = (errorCode: number): OffsetDeleteResponse => ({ errorCode, throttleTimeMs: 0, topics: [] });
  if (!ctx.groups.isActive) return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  if (groupId === '') return failed(ErrorCode.INVALID_GROUP_ID);
  const store = ctx.groups.offsetStore;
  // a group only known by its offsets is Kafka's simple group: Empty, subscribed to nothing
  const check = ctx.groups.offsetDeleteCheck(groupId) ?? (store.hasGroup(groupId) ? { errorCode: ErrorCode.NONE, isSubscribed: () => false } : undefined);
  if (!check) return failed(ErrorCode.GROUP_ID_NOT_FOUND);
  if (check.errorCode !== ErrorCode.NONE) return failed(check.errorCode);
  let deleted = false;
  const result = topics.map((t) => {
    if (!ctx.session.authorize('Read', 'Topic', t.name)) return { name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) };
    const topic = ctx.topics.get(t.name);
    const subscribed = !!topic && check.isSubscribed(t.name);
    const partitions = t.partitions.map((p) => {
      if (!topic || p < 0 || p >= topic.partitions) return { partitionIndex: p, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
      if (subscribed) return { partitionIndex: p, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
      deleted = store.delete(groupId, t.name, p) || deleted;
      return { partitionIndex: p, errorCode: ErrorCode.NONE };
    });
    return { name: t.name, partitions };
  });
  if (deleted && !(await persisted(ctx))) return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  if (deleted) ctx.logger.info(`group ${groupId}: committed offsets deleted (OffsetDelete)`);
  return { errorCode: ErrorCode.NONE, throttleTimeMs: 0, topics: result };
}

export const handleDeleteGroups: RequestHandler = async (ctx, header, r) => {
  const v = header.apiVersion;
  const req = decodeDeleteGroupsRequest(r, v);
  r.expectEnd('DeleteGroups');
  const store = ctx.groups.offsetStore;
  let deleted = false;
  const results = req.groupsNames.map((groupId) => {
    if (!ctx.session.authorize('Delete', 'Group', groupId)) return { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    if (!ctx.groups.isActive) return { groupId, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    const exists = !!ctx.groups.describeGroup(groupId) || store.hasGroup(groupId);
    if (!exists) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
    const errorCode = ctx.groups.deleteGroup(groupId);
    if (errorCode === ErrorCode.NONE) deleted = store.deleteGroup(groupId) || deleted;
    return { groupId, errorCode };
  });
  if (deleted && !(await persisted(ctx))) {
    for (const g of results) if (g.errorCode === ErrorCode.NONE) g.errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
  return simpleResponse(ApiKey.DeleteGroups, v, header.correlationId, (w) => encodeDeleteGroupsResponse(w, v, { throttleTimeMs: 0, results }));
};

/** Writes the offsets file; false (logged) when the write failed. */
async function persisted(ctx: BrokerContext): Promise<boolean> {
  try {
    await ctx.groups.offsetStore.persist();
    return true;
  } catch (err) {
    ctx.logger.error(`writing committed offsets failed: ${(err as Error).message}`);
    return false;
  }
}
