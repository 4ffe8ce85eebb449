/**
 * The group admin APIs (their *Request.json / *Response.json schemas): DescribeGroups (15) v0-v6,
 * flexible from v5; ListGroups (16) v0-v5, flexible from v3; DeleteGroups (42) v0-v2, flexible
 * from v2; OffsetDelete (47) v0. Grouped in one file because the group coordinator answers all of
 * them and they share the group fields.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export const DESCRIBE_GROUPS_FLEXIBLE_FROM = 5;
export const LIST_GROUPS_FLEXIBLE_FROM = 3;
export const DELETE_GROUPS_FLEXIBLE_FROM = 2;

export interface DescribeGroupsRequest {
  groups: string[];
  includeAuthorizedOperations: boolean;
}

export function decodeDescribeGroupsRequest(r: KafkaReader, version: number): DescribeGroupsRequest {
  const flexible = version >= DESCRIBE_GROUPS_FLEXIBLE_FROM;
  const groups = r.arr(flexible, (r) => r.str(flexible));
  const includeAuthorizedOperations = version >= 3 ? r.bool() : false;
  r.tags(flexible);
  return { groups, includeAuthorizedOperations };
}

export interface DescribedGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  /** v6+ */
  errorMessage: string | null;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedGroupMember[];
  /** v3+: a bit per AclOperation code; INT32_MIN when not requested. */
  authorizedOperations: number;
}

export interface DescribeGroupsResponse {
  throttleTimeMs: number;
  groups: DescribedGroup[];
}

export function encodeDescribeGroupsResponse(w: KafkaWriter, version: number, resp: DescribeGroupsResponse): void {
  const flexible = version >= DESCRIBE_GROUPS_FLEXIBLE_FROM;
  if (version >= 1) w.int32(resp.throttleTimeMs);
  w.array(
    resp.groups,
    (w, g) => {
      w.int16(g.errorCode);
      if (version >= 6) w.nullableStr(g.errorMessage, flexible);
      w.str(g.groupId, flexible).str(g.groupState, flexible).str(g.protocolType, flexible).str(g.protocolData, flexible);
      w.array(
        g.members,
        (w, m) => {
          w.str(m.memberId, flexible);
          if (version >= 4) w.nullableStr(m.groupInstanceId, flexible);
          w.str(m.clientId, flexible).str(m.clientHost, flexible);
          w.byteArray(m.memberMetadata, flexible).byteArray(m.memberAssignment, flexible);
          w.tags(flexible);
        },
        flexible,
      );
      if (version >= 3) w.int32(g.authorizedOperations);
      w.tags(flexible);
    },
    flexible,
  );
  w.tags(flexible);
}

export interface ListGroupsRequest {
  /** v4+; empty: every state. */
  statesFilter: string[];
  /** v5+; empty: every type. */
  typesFilter: string[];
}

export function decodeListGroupsRequest(r: KafkaReader, version: number): ListGroupsRequest {
  const flexible = version >= LIST_GROUPS_FLEXIBLE_FROM;
  const statesFilter = version >= 4 ? r.arr(flexible, (r) => r.str(flexible)) : [];
  const typesFilter = version >= 5 ? r.arr(flexible, (r) => r.str(flexible)) : [];
  r.tags(flexible);
  return { statesFilter, typesFilter };
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  /** v4+ */
  groupState: string;
  /** v5+ */
  groupType: string;
}

export interface ListGroupsResponse {
  throttleTimeMs: number;
  errorCode: number;
  groups: ListedGroup[];
}

export function encodeListGroupsResponse(w: KafkaWriter, version: number, resp: ListGroupsResponse): void {
  const flexible = version >= LIST_GROUPS_FLEXIBLE_FROM;
  if (version >= 1) w.int32(resp.throttleTimeMs);
  w.int16(resp.errorCode);
  w.array(
    resp.groups,
    (w, g) => {
      w.str(g.groupId, flexible).str(g.protocolType, flexible);
      if (version >= 4) w.str(g.groupState, flexible);
      if (version >= 5) w.str(g.groupType, flexible);
      w.tags(flexible);
    },
    flexible,
  );
  w.tags(flexible);
}

export function decodeDeleteGroupsRequest(r: KafkaReader, version: number): { groupsNames: string[] } {
  const flexible = version >= DELETE_GROUPS_FLEXIBLE_FROM;
  const groupsNames = r.arr(flexible, (r) => r.str(flexible));
  r.tags(flexible);
  return { groupsNames };
}

export interface DeleteGroupsResponse {
  throttleTimeMs: number;
  results: { groupId: string; errorCode: number }[];
}

export function encodeDeleteGroupsResponse(w: KafkaWriter, version: number, resp: DeleteGroupsResponse): void {
  const flexible = version >= DELETE_GROUPS_FLEXIBLE_FROM;
  w.int32(resp.throttleTimeMs);
  w.array(
    resp.results,
    (w, g) => {
      w.str(g.groupId, flexible).int16(g.errorCode);
      w.tags(flexible);
    },
    flexible,
  );
  w.tags(flexible);
}

export interface OffsetDeleteRequest {
  groupId: string;
  topics: { name: string; partitions: number[] }[];
}

export function decodeOffsetDeleteRequest(r: KafkaReader): OffsetDeleteRequest {
  const groupId = r.string();
  const topics = r.array((r) => ({ name: r.string(), partitions: r.array((r) => r.int32()) }));
  return { groupId, topics };
}

export interface OffsetDeleteResponse {
  errorCode: number;
  throttleTimeMs: number;
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

export function encodeOffsetDeleteResponse(w: KafkaWriter, resp: OffsetDeleteResponse): void {
  w.int16(resp.errorCode).int32(resp.throttleTimeMs);
  w.array(resp.topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => w.int32(p.partitionIndex).int16(p.errorCode));
  });
}
