/** Building a response frame: size placeholder, response header, body, then the size patched in. */
import { responseHeaderVersion, writeResponseHeader } from './protocol/headers.js';
import { partsSizeBytes, type ResponsePart } from './protocol/fetch.js';
import { KafkaWriter } from './protocol/writer.js';

/** A writer positioned after the size placeholder and the response header. */
export function startResponse(apiKey: number, apiVersion: number, correlationId: number): KafkaWriter {
  const w = new KafkaWriter(256);
  w.int32(0); // size, patched by finishResponse
  writeResponseHeader(w, correlationId, responseHeaderVersion(apiKey, apiVersion));
  return w;
}

/** Patches the frame size into the first part (which must start with the placeholder). */
export function finishResponse(parts: ResponsePart[]): ResponsePart[] {
  const first = parts[0];
  if (!Buffer.isBuffer(first) || first.length < 4) throw new Error('assertion failed: a response starts with its size placeholder');
  first.writeInt32BE(partsSizeBytes(parts) - 4, 0);
  return parts;
}

/** A response whose body is written by `encode` into one buffer. */
export function simpleResponse(apiKey: number, apiVersion: number, correlationId: number, encode: (w: KafkaWriter) => void): ResponsePart[] {
  const w = startResponse(apiKey, apiVersion, correlationId);
  encode(w);
  return finishResponse([w.toBuffer()]);
}
