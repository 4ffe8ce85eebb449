/**
 * SaslHandshake (key 17, v1; v0's unframed tokens were removed in Kafka 4.0) and SaslAuthenticate
 * (key 36, v0-v2) (SaslHandshakeRequest.json, SaslAuthenticateRequest.json and their responses).
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export function decodeSaslHandshakeRequest(r: KafkaReader): { mechanism: string } {
  return { mechanism: r.string() };
}

export function encodeSaslHandshakeResponse(w: KafkaWriter, resp: { errorCode: number; mechanisms: readonly string[] }): void {
  w.int16(resp.errorCode);
  w.array(resp.mechanisms, (w, m) => w.string(m));
}

export function decodeSaslAuthenticateRequest(r: KafkaReader, version: number): { authBytes: Buffer } {
  const flexible = version >= 2;
  const authBytes = r.byteArray(flexible);
  r.tags(flexible);
  return { authBytes };
}

export interface SaslAuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  sessionLifetimeMs: number;
}

export function encodeSaslAuthenticateResponse(w: KafkaWriter, version: number, resp: SaslAuthenticateResponse): void {
  const flexible = version >= 2;
  w.int16(resp.errorCode);
  w.nullableStr(resp.errorMessage, flexible);
  w.byteArray(resp.authBytes, flexible);
  if (version >= 1) w.int64(resp.sessionLifetimeMs);
  w.tags(flexible);
}
