/** Produce (key 0), v0-v8 (ProduceRequest.json / ProduceResponse.json). */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface ProducePartitionData {
  index: number;
  /** The record batches as sent: a view into the request frame, validated before append. */
  records: Buffer | null;
}

export interface ProduceTopicData {
  name: string;
  partitions: ProducePartitionData[];
}

export interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topics: ProduceTopicData[];
}

export function decodeProduceRequest(r: KafkaReader, version: number): ProduceRequest {
  const transactionalId = version >= 3 ? r.nullableString() : null;
  const acks = r.int16();
  const timeoutMs = r.int32();
  const topics = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => ({ index: r.int32(), records: r.nullableBytes() })),
  }));
  return { transactionalId, acks, timeoutMs, topics };
}

export interface ProducePartitionResponse {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  errorMessage: string | null;
}

export interface ProduceTopicResponse {
  name: string;
  partitions: ProducePartitionResponse[];
}

export interface ProduceResponse {
  topics: ProduceTopicResponse[];
  throttleTimeMs: number;
}

export function encodeProduceResponse(w: KafkaWriter, version: number, resp: ProduceResponse): void {
  w.array(resp.topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => {
      w.int32(p.index).int16(p.errorCode).int64(p.baseOffset);
      if (version >= 2) w.int64(p.logAppendTimeMs);
      if (version >= 5) w.int64(p.logStartOffset);
      if (version >= 8) {
        w.arrayLength(0); // RecordErrors: strata rejects whole batches, never single records
        w.nullableString(p.errorMessage);
      }
    });
  });
  if (version >= 1) w.int32(resp.throttleTimeMs);
}
