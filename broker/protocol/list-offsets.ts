/**
 * ListOffsets (key 2), v0-v8 (ListOffsetsRequest.json / ListOffsetsResponse.json); flexible from
 * v6. v7 allows -3 (max timestamp), v8 -4 (earliest local offset).
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

/** Special timestamps in a ListOffsets request. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
/** v7+: the record with the newest timestamp (KIP-734). */
export const MAX_TIMESTAMP = -3;
/** v8+: the first offset held locally (KIP-405); without tiered storage, the log start offset. */
export const EARLIEST_LOCAL_TIMESTAMP = -4;

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
  const flexible = version >= 6;
  const replicaId = r.int32();
  const isolationLevel = version >= 2 ? r.int8() : 0;
  const topics = r.arr(flexible, (r) => {
    const name = r.str(flexible);
    const partitions = r.arr(flexible, (r) => {
      const partitionIndex = r.int32();
      const currentLeaderEpoch = version >= 4 ? r.int32() : -1;
      const timestamp = r.int64Clamped();
      const maxNumOffsets = version === 0 ? r.int32() : 1;
      r.tags(flexible);
      return { partitionIndex, currentLeaderEpoch, timestamp, maxNumOffsets };
    });
    r.tags(flexible);
    return { name, partitions };
  });
  r.tags(flexible);
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
  const flexible = version >= 6;
  if (version >= 2) w.int32(resp.throttleTimeMs);
  w.array(
    resp.topics,
    (w, t) => {
      w.str(t.name, flexible);
      w.array(
        t.partitions,
        (w, p) => {
          w.int32(p.partitionIndex).int16(p.errorCode);
          if (version === 0) w.array(p.oldStyleOffsets, (w, o) => w.int64(o));
          else {
            w.int64(p.timestamp).int64(p.offset);
            if (version >= 4) w.int32(p.leaderEpoch);
          }
          w.tags(flexible);
        },
        flexible,
      );
      w.tags(flexible);
    },
    flexible,
  );
  w.tags(flexible);
}
