/**
 * Fetch (key 1), v4-v11 (FetchRequest.json / FetchResponse.json).
 *
 * The response is encoded as a sequence of parts: small buffers holding the protocol fields, and
 * between them the partitions' record bytes as file slices, so the connection can write the fields
 * with socket.write and hand the slices to a Transfer (sendfile: the record bytes never enter user
 * space). The frame size is computed from both before anything is written.
 */
import type { FileSlice } from '../../core/transfer.js';
import type { KafkaReader } from './reader.js';
import { KafkaWriter } from './writer.js';

export interface FetchPartitionRequest {
  partition: number;
  currentLeaderEpoch: number;
  fetchOffset: number;
  logStartOffset: number;
  partitionMaxBytes: number;
}

export interface FetchRequest {
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  sessionId: number;
  sessionEpoch: number;
  topics: { topic: string; partitions: FetchPartitionRequest[] }[];
  forgottenTopics: { topic: string; partitions: number[] }[];
  rackId: string;
}

export function decodeFetchRequest(r: KafkaReader, version: number): FetchRequest {
  const replicaId = r.int32();
  const maxWaitMs = r.int32();
  const minBytes = r.int32();
  const maxBytes = version >= 3 ? r.int32() : 0x7fffffff;
  const isolationLevel = version >= 4 ? r.int8() : 0;
  const sessionId = version >= 7 ? r.int32() : 0;
  const sessionEpoch = version >= 7 ? r.int32() : -1;
  const topics = r.array((r) => ({
    topic: r.string(),
    partitions: r.array((r) => {
      const partition = r.int32();
      const currentLeaderEpoch = version >= 9 ? r.int32() : -1;
      const fetchOffset = r.int64Clamped();
      const logStartOffset = version >= 5 ? r.int64Clamped() : -1;
      const partitionMaxBytes = r.int32();
      return { partition, currentLeaderEpoch, fetchOffset, logStartOffset, partitionMaxBytes };
    }),
  }));
  const forgottenTopics = version >= 7 ? r.array((r) => ({ topic: r.string(), partitions: r.array((r) => r.int32()) })) : [];
  const rackId = version >= 11 ? r.string() : '';
  return { replicaId, maxWaitMs, minBytes, maxBytes, isolationLevel, sessionId, sessionEpoch, topics, forgottenTopics, rackId };
}

/** Record bytes of one partition: slices of segment files, or an in-memory buffer. */
export type FetchRecords = { slices: readonly FileSlice[]; sizeBytes: number } | Buffer | null;

export interface FetchPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  preferredReadReplica: number;
  records: FetchRecords;
}

export interface FetchResponse {
  throttleTimeMs: number;
  errorCode: number;
  sessionId: number;
  topics: { topic: string; partitions: FetchPartitionResponse[] }[];
}

/** A piece of an encoded response: protocol bytes, or file slices for a Transfer. */
export type ResponsePart = Buffer | { slices: readonly FileSlice[]; sizeBytes: number };

export function recordsSizeBytes(records: FetchRecords): number {
  if (records === null) return 0;
  return Buffer.isBuffer(records) ? records.length : records.sizeBytes;
}

/**
 * Encodes the body into parts. `w` already holds whatever precedes the body (size placeholder and
 * response header); its bytes become the first part.
 */
export function encodeFetchResponse(w: KafkaWriter, version: number, resp: FetchResponse): ResponsePart[] {
  const parts: ResponsePart[] = [];
  let cur = w;
  if (version >= 1) cur.int32(resp.throttleTimeMs);
  if (version >= 7) cur.int16(resp.errorCode).int32(resp.sessionId);
  cur.arrayLength(resp.topics.length);
  for (const t of resp.topics) {
    cur.string(t.topic);
    cur.arrayLength(t.partitions.length);
    for (const p of t.partitions) {
      cur.int32(p.partitionIndex).int16(p.errorCode).int64(p.highWatermark);
      if (version >= 4) cur.int64(p.lastStableOffset);
      if (version >= 5) cur.int64(p.logStartOffset);
      if (version >= 4) cur.arrayLength(0); // AbortedTransactions: strata has no transactions
      if (version >= 11) cur.int32(p.preferredReadReplica);
      const records = p.records;
      if (records === null) {
        cur.int32(-1);
      } else if (Buffer.isBuffer(records)) {
        cur.int32(records.length).raw(records);
      } else {
        cur.int32(records.sizeBytes);
        if (records.sizeBytes > 0) {
          parts.push(cur.toBuffer());
          parts.push(records);
          cur = new KafkaWriter(128);
        }
      }
    }
  }
  if (cur.length > 0) parts.push(cur.toBuffer());
  return parts;
}

export function partsSizeBytes(parts: readonly ResponsePart[]): number {
  let n = 0;
  for (const p of parts) n += Buffer.isBuffer(p) ? p.length : p.sizeBytes;
  return n;
}
