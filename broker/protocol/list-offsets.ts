/** ListOffsets (key 2), v0-v5 (ListOffsetsRequest.json / ListOffsetsResponse.json). */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

/** Special timestamps in a ListOffsets request. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

export interface ListOffsetsPartition {
  partitionIndex: number;
  currentLeaderEpoch: number;
  timestamp: number;
  maxNumOffsets: number;
}

export interface ListOffsetsRequest {
  replicaId: number;
  isolationLevel: number;
  topics: { name: string; partitions: ListOffsetsPartition[] }[];
}

export function decodeListOffsetsRequest(r: KafkaReader, version: number): ListOffsetsRequest {
  const replicaId = r.int32();
  const isolationLevel = version >= 2 ? r.int8() : 0;
  const topics = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => {
      const partitionIndex = r.int32();
      const currentLeaderEpoch = version >= 4 ? r.int32() : -1;
      const timestamp = r.int64Clamped();
      const maxNumOffsets = version === 0 ? r.int32() : 1;
      return { partitionIndex, currentLeaderEpoch, timestamp, maxNumOffsets };
    }),
  }));
  return { replicaId, isolationLevel, topics };
}

export interface ListOffsetsPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  /** v0 only. */
  oldStyleOffsets: number[];
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}

export interface ListOffsetsResponse {
  throttleTimeMs: number;
  topics: { name: string; partitions: ListOffsetsPartitionResponse[] }[];
}

export function encodeListOffsetsResponse(w: KafkaWriter, version: number, resp: ListOffsetsResponse): void {
  if (version >= 2) w.int32(resp.throttleTimeMs);
  w.array(resp.topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partitionIndex).int16(p.errorCode);
      if (version === 0) w.array(p.oldStyleOffsets, (w, o) => w.int64(o));
      else {
        w.int64(p.timestamp).int64(p.offset);
        if (version >= 4) w.int32(p.leaderEpoch);
      }
    });
  });
}
