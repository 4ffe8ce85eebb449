/**
 * Request header v1/v2 and response header v0/v1 (RequestHeader.json, ResponseHeader.json).
 * Request header v2 (flexible APIs) adds a tagged-field section; its ClientId stays a classic
 * int16-length string ("flexibleVersions": "none"). Response header v1 adds tagged fields, except
 * for ApiVersions, whose response header is always v0 so a client that sent a version the broker
 * does not know can still read the answer.
 */
import { ApiKey, isFlexible } from './api-keys.js';
import { KafkaReader } from './reader.js';
import { ProtocolError } from './protocol-error.js';
import type { KafkaWriter } from './writer.js';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Fixed part of every request header: apiKey, apiVersion, correlationId. */
export const REQUEST_HEADER_FIXED_BYTES = 8;

/** Reads apiKey, apiVersion and correlationId only: enough to answer UNSUPPORTED_VERSION. */
export function peekRequestHeader(frame: Buffer): Pick<RequestHeader, 'apiKey' | 'apiVersion' | 'correlationId'> {
  if (frame.length < REQUEST_HEADER_FIXED_BYTES) {
    throw new ProtocolError(`request of ${frame.length} bytes is shorter than the ${REQUEST_HEADER_FIXED_BYTES}-byte request header`);
  }
  return { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4) };
}

/** Parses the full header of a supported API version; the reader is left at the body. */
export function readRequestHeader(r: KafkaReader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString();
  if (isFlexible(apiKey, apiVersion)) r.skipTaggedFields();
  return { apiKey, apiVersion, correlationId, clientId };
}

export function responseHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 {
  if (apiKey === ApiKey.ApiVersions) return 0;
  return isFlexible(apiKey, apiVersion) ? 1 : 0;
}

/** Writes the response header; the caller has written the int32 size placeholder before it. */
export function writeResponseHeader(w: KafkaWriter, correlationId: number, headerVersion: 0 | 1): void {
  w.int32(correlationId);
  if (headerVersion === 1) w.emptyTaggedFields();
}

/** Writes a request header (used by tests and the harness's raw client). */
export function writeRequestHeader(w: KafkaWriter, h: RequestHeader): void {
  w.int16(h.apiKey).int16(h.apiVersion).int32(h.correlationId).nullableString(h.clientId);
  if (isFlexible(h.apiKey, h.apiVersion)) w.emptyTaggedFields();
}
