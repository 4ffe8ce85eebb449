import { ApiKey, SUPPORTED_APIS } from '../protocol/api-keys.js';
import { decodeApiVersionsRequest, encodeApiVersionsResponse } from '../protocol/api-versions.js';
import { ErrorCode } from '../protocol/errors.js';
import { simpleResponse } from '../response.js';
import type { RequestHandler } from '../context.js';

export const handleApiVersions: RequestHandler = async (_ctx, header, r) => {
  decodeApiVersionsRequest(r, header.apiVersion);
  r.expectEnd('ApiVersions');
  return simpleResponse(ApiKey.ApiVersions, header.apiVersion, header.correlationId, (w) =>
    encodeApiVersionsResponse(w, header.apiVersion, { errorCode: ErrorCode.NONE, apiKeys: SUPPORTED_APIS, throttleTimeMs: 0 }),
  );
};

/**
 * The answer to an ApiVersions request of a version this broker does not know: error 35 in the v0
 * body (which every version can read), listing what is supported, so the client retries with the
 * highest ApiVersions version in the list (what librdkafka and the Java client do).
 */
export function unsupportedApiVersionsResponse(correlationId: number) {
  return simpleResponse(ApiKey.ApiVersions, 0, correlationId, (w) =>
    encodeApiVersionsResponse(w, 0, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: SUPPORTED_APIS, throttleTimeMs: 0 }),
  );
}
