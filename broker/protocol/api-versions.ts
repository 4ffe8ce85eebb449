/** ApiVersions (key 18), v0-v3 (ApiVersionsRequest.json / ApiVersionsResponse.json). */
import type { ApiVersionRange } from './api-keys.js';
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface ApiVersionsRequest {
  clientSoftwareName: string | null;
  clientSoftwareVersion: string | null;
}

export function decodeApiVersionsRequest(r: KafkaReader, version: number): ApiVersionsRequest {
  if (version < 3) return { clientSoftwareName: null, clientSoftwareVersion: null };
  const clientSoftwareName = r.compactString();
  const clientSoftwareVersion = r.compactString();
  r.skipTaggedFields();
  return { clientSoftwareName, clientSoftwareVersion };
}

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: readonly ApiVersionRange[];
  throttleTimeMs: number;
}

export function encodeApiVersionsResponse(w: KafkaWriter, version: number, resp: ApiVersionsResponse): void {
  const flexible = version >= 3;
  w.int16(resp.errorCode);
  w.array(
    resp.apiKeys,
    (w, a) => {
      w.int16(a.apiKey).int16(a.minVersion).int16(a.maxVersion);
      w.tags(flexible);
    },
    flexible,
  );
  if (version >= 1) w.int32(resp.throttleTimeMs);
  w.tags(flexible);
}
