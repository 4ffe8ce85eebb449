/** FindCoordinator (key 10), v0-v2 (FindCoordinatorRequest.json / FindCoordinatorResponse.json). */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export const COORDINATOR_KEY_TYPE_GROUP = 0;
export const COORDINATOR_KEY_TYPE_TRANSACTION = 1;

export interface FindCoordinatorRequest {
  key: string;
  keyType: number;
}

export function decodeFindCoordinatorRequest(r: KafkaReader, version: number): FindCoordinatorRequest {
  const key = r.string();
  const keyType = version >= 1 ? r.int8() : COORDINATOR_KEY_TYPE_GROUP;
  return { key, keyType };
}

export interface FindCoordinatorResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

export function encodeFindCoordinatorResponse(w: KafkaWriter, version: number, resp: FindCoordinatorResponse): void {
  if (version >= 1) w.int32(resp.throttleTimeMs);
  w.int16(resp.errorCode);
  if (version >= 1) w.nullableString(resp.errorMessage);
  w.int32(resp.nodeId).string(resp.host).int32(resp.port);
}
