/**
 * The classic consumer-group APIs: JoinGroup (11) v0-v5, SyncGroup (14) v0-v3, Heartbeat (12)
 * v0-v3, LeaveGroup (13) v0-v3 (their *Request.json / *Response.json schemas). Grouped in one file
 * because they share the member fields and only the group coordinator uses them.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
}

export function decodeJoinGroupRequest(r: KafkaReader, version: number): JoinGroupRequest {
  const groupId = r.string();
  const sessionTimeoutMs = r.int32();
  const rebalanceTimeoutMs = version >= 1 ? r.int32() : sessionTimeoutMs;
  const memberId = r.string();
  const groupInstanceId = version >= 5 ? r.nullableString() : null;
  const protocolType = r.string();
  // copy the metadata: it outlives the request frame (held until the rebalance completes)
  const protocols = r.array((r) => ({ name: r.string(), metadata: Buffer.from(r.bytes()) }));
  return { groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId, groupInstanceId, protocolType, protocols };
}

export interface JoinGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export function encodeJoinGroupResponse(w: KafkaWriter, version: number, resp: JoinGroupResponse): void {
  if (version >= 2) w.int32(resp.throttleTimeMs);
  w.int16(resp.errorCode).int32(resp.generationId).string(resp.protocolName).string(resp.leader).string(resp.memberId);
  w.array(resp.members, (w, m) => {
    w.string(m.memberId);
    if (version >= 5) w.nullableString(m.groupInstanceId);
    w.bytes(m.metadata);
  });
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export function decodeSyncGroupRequest(r: KafkaReader, version: number): SyncGroupRequest {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  const groupInstanceId = version >= 3 ? r.nullableString() : null;
  const assignments = r.array((r) => ({ memberId: r.string(), assignment: Buffer.from(r.bytes()) }));
  return { groupId, generationId, memberId, groupInstanceId, assignments };
}

export interface SyncGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  assignment: Buffer;
}

export function encodeSyncGroupResponse(w: KafkaWriter, version: number, resp: SyncGroupResponse): void {
  if (version >= 1) w.int32(resp.throttleTimeMs);
  w.int16(resp.errorCode).bytes(resp.assignment);
}

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export function decodeHeartbeatRequest(r: KafkaReader, version: number): HeartbeatRequest {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  const groupInstanceId = version >= 3 ? r.nullableString() : null;
  return { groupId, generationId, memberId, groupInstanceId };
}

/** Heartbeat and LeaveGroup v0-v2 responses: throttle (v1+) and an error code. */
export function encodeErrorOnlyResponse(w: KafkaWriter, version: number, resp: { throttleTimeMs: number; errorCode: number }): void {
  if (version >= 1) w.int32(resp.throttleTimeMs);
  w.int16(resp.errorCode);
}

export interface LeaveGroupRequest {
  groupId: string;
  members: { memberId: string; groupInstanceId: string | null }[];
}

export function decodeLeaveGroupRequest(r: KafkaReader, version: number): LeaveGroupRequest {
  const groupId = r.string();
  if (version <= 2) return { groupId, members: [{ memberId: r.string(), groupInstanceId: null }] };
  const members = r.array((r) => ({ memberId: r.string(), groupInstanceId: r.nullableString() }));
  return { groupId, members };
}

export interface LeaveGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export function encodeLeaveGroupResponse(w: KafkaWriter, version: number, resp: LeaveGroupResponse): void {
  encodeErrorOnlyResponse(w, version, resp);
  if (version >= 3) {
    w.array(resp.members, (w, m) => {
      w.string(m.memberId).nullableString(m.groupInstanceId).int16(m.errorCode);
    });
  }
}
