/** OffsetCommit (key 8) v0-v7 and OffsetFetch (key 9) v0-v5 (their *Request.json / *Response.json). */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface OffsetCommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  retentionTimeMs: number;
  topics: { name: string; partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }[] }[];
}

export function decodeOffsetCommitRequest(r: KafkaReader, version: number): OffsetCommitRequest {
  const groupId = r.string();
  const generationId = version >= 1 ? r.int32() : -1;
  const memberId = version >= 1 ? r.string() : '';
  const groupInstanceId = version >= 7 ? r.nullableString() : null;
  const retentionTimeMs = version >= 2 && version <= 4 ? r.int64() : -1;
  const topics = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => {
      const partitionIndex = r.int32();
      const committedOffset = r.int64();
      const committedLeaderEpoch = version >= 6 ? r.int32() : -1;
      if (version === 1) r.int64(); // CommitTimestamp: ignored, as by Kafka since 2.0
      const committedMetadata = r.nullableString();
      return { partitionIndex, committedOffset, committedLeaderEpoch, committedMetadata };
    }),
  }));
  return { groupId, generationId, memberId, groupInstanceId, retentionTimeMs, topics };
}

export interface OffsetCommitResponse {
  throttleTimeMs: number;
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

export function encodeOffsetCommitResponse(w: KafkaWriter, version: number, resp: OffsetCommitResponse): void {
  if (version >= 3) w.int32(resp.throttleTimeMs);
  w.array(resp.topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => w.int32(p.partitionIndex).int16(p.errorCode));
  });
}

export interface OffsetFetchRequest {
  groupId: string;
  /** null (v2+): every partition the group committed. */
  topics: { name: string; partitionIndexes: number[] }[] | null;
}

export function decodeOffsetFetchRequest(r: KafkaReader, _version: number): OffsetFetchRequest {
  const groupId = r.string();
  const topics = r.nullableArray((r) => ({ name: r.string(), partitionIndexes: r.array((r) => r.int32()) }));
  return { groupId, topics };
}

export interface OffsetFetchResponse {
  throttleTimeMs: number;
  topics: { name: string; partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; metadata: string | null; errorCode: number }[] }[];
  errorCode: number;
}

export function encodeOffsetFetchResponse(w: KafkaWriter, version: number, resp: OffsetFetchResponse): void {
  if (version >= 3) w.int32(resp.throttleTimeMs);
  w.array(resp.topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partitionIndex).int64(p.committedOffset);
      if (version >= 5) w.int32(p.committedLeaderEpoch);
      w.nullableString(p.metadata).int16(p.errorCode);
    });
  });
  if (version >= 2) w.int16(resp.errorCode);
}
