/** CreatePartitions (key 37), v0-v3 (CreatePartitionsRequest.json / CreatePartitionsResponse.json); flexible from v2. */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface CreatePartitionsTopic {
  name: string;
  /** The partition count wanted in all (not the number to add). */
  count: number;
  /** Broker ids of each new partition's replicas, or null to let the broker choose. */
  assignments: { brokerIds: number[] }[] | null;
}

export interface CreatePartitionsRequest {
  topics: CreatePartitionsTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}

export function decodeCreatePartitionsRequest(r: KafkaReader, version: number): CreatePartitionsRequest {
  const flexible = version >= 2;
  const topics = r.arr(flexible, (r) => {
    const name = r.str(flexible);
    const count = r.int32();
    const assignments = r.nullableArr(flexible, (r) => {
      const brokerIds = r.arr(flexible, (r) => r.int32());
      r.tags(flexible);
      return { brokerIds };
    });
    r.tags(flexible);
    return { name, count, assignments };
  });
  const timeoutMs = r.int32();
  const validateOnly = r.bool();
  r.tags(flexible);
  return { topics, timeoutMs, validateOnly };
}

export interface CreatePartitionsTopicResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

export function encodeCreatePartitionsResponse(w: KafkaWriter, version: number, resp: { throttleTimeMs: number; results: CreatePartitionsTopicResult[] }): void {
  const flexible = version >= 2;
  w.int32(resp.throttleTimeMs);
  w.array(resp.results, (w, t) => w.str(t.name, flexible).int16(t.errorCode).nullableStr(t.errorMessage, flexible).tags(flexible), flexible);
  w.tags(flexible);
}
