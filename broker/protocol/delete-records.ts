/** DeleteRecords (key 21), v0-v2 (DeleteRecordsRequest.json / DeleteRecordsResponse.json); flexible from v2. */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

/** Offset -1 in a DeleteRecords request: delete up to the high watermark. */
export const HIGH_WATERMARK_OFFSET = -1;

export interface DeleteRecordsRequest {
  topics: { name: string; partitions: { partitionIndex: number; offset: number }[] }[];
  timeoutMs: number;
}

export function decodeDeleteRecordsRequest(r: KafkaReader, version: number): DeleteRecordsRequest {
  const flexible = version >= 2;
  const topics = r.arr(flexible, (r) => {
    const name = r.str(flexible);
    const partitions = r.arr(flexible, (r) => {
      const p = { partitionIndex: r.int32(), offset: r.int64Clamped() };
      r.tags(flexible);
      return p;
    });
    r.tags(flexible);
    return { name, partitions };
  });
  const timeoutMs = r.int32();
  r.tags(flexible);
  return { topics, timeoutMs };
}

export interface DeleteRecordsPartitionResult {
  partitionIndex: number;
  lowWatermark: number;
  errorCode: number;
}

export function encodeDeleteRecordsResponse(w: KafkaWriter, version: number, resp: { throttleTimeMs: number; topics: { name: string; partitions: DeleteRecordsPartitionResult[] }[] }): void {
  const flexible = version >= 2;
  w.int32(resp.throttleTimeMs);
  w.array(
    resp.topics,
    (w, t) => {
      w.str(t.name, flexible);
      w.array(t.partitions, (w, p) => w.int32(p.partitionIndex).int64(p.lowWatermark).int16(p.errorCode).tags(flexible), flexible);
      w.tags(flexible);
    },
    flexible,
  );
  w.tags(flexible);
}
