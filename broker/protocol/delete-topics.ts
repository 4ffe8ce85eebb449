/**
 * DeleteTopics (key 20), v0-v6 (DeleteTopicsRequest.json / DeleteTopicsResponse.json); flexible
 * from v4. v6 names each topic by name or topic id (name nullable); v5 adds the error message.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

/** The all-zero topic id: "no id given". */
export const ZERO_UUID = Buffer.alloc(16);

export interface DeleteTopicState {
  name: string | null;
  topicId: Buffer;
}

export interface DeleteTopicsRequest {
  topics: DeleteTopicState[];
  timeoutMs: number;
}

export function decodeDeleteTopicsRequest(r: KafkaReader, version: number): DeleteTopicsRequest {
  const flexible = version >= 4;
  const topics =
    version >= 6
      ? r.arr(flexible, (r) => {
          const t = { name: r.nullableStr(flexible), topicId: r.uuid() };
          r.tags(flexible);
          return t;
        })
      : r.arr(flexible, (r) => ({ name: r.str(flexible), topicId: ZERO_UUID }));
  const timeoutMs = r.int32();
  r.tags(flexible);
  return { topics, timeoutMs };
}

export interface DeletableTopicResult {
  name: string | null;
  topicId: Buffer;
  errorCode: number;
  errorMessage: string | null;
}

export function encodeDeleteTopicsResponse(w: KafkaWriter, version: number, resp: { throttleTimeMs: number; responses: DeletableTopicResult[] }): void {
  const flexible = version >= 4;
  if (version >= 1) w.int32(resp.throttleTimeMs);
  w.array(
    resp.responses,
    (w, t) => {
      if (version >= 6) w.nullableStr(t.name, flexible).uuid(t.topicId);
      else w.str(t.name ?? '', flexible);
      w.int16(t.errorCode);
      if (version >= 5) w.nullableStr(t.errorMessage, flexible);
      w.tags(flexible);
    },
    flexible,
  );
  w.tags(flexible);
}
