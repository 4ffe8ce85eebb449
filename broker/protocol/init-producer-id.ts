/** InitProducerId (key 22), v0-v5 (InitProducerIdRequest.json / InitProducerIdResponse.json); flexible from v2. */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
  /** v3+: the id and epoch a producer asks to resume (KIP-360); -1 otherwise. */
  producerId: number;
  producerEpoch: number;
}

export function decodeInitProducerIdRequest(r: KafkaReader, version: number): InitProducerIdRequest {
  const flexible = version >= 2;
  const transactionalId = r.nullableStr(flexible);
  const transactionTimeoutMs = r.int32();
  const producerId = version >= 3 ? r.int64() : -1;
  const producerEpoch = version >= 3 ? r.int16() : -1;
  r.tags(flexible);
  return { transactionalId, transactionTimeoutMs, producerId, producerEpoch };
}

export interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export function encodeInitProducerIdResponse(w: KafkaWriter, version: number, resp: InitProducerIdResponse): void {
  w.int32(resp.throttleTimeMs).int16(resp.errorCode).int64(resp.producerId).int16(resp.producerEpoch);
  w.tags(version >= 2);
}
