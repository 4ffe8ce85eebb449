/**
 * AlterConfigs (key 33), v0-v2, flexible from v2, and IncrementalAlterConfigs (key 44), v0-v1,
 * flexible from v1 (AlterConfigs*.json / IncrementalAlterConfigs*.json): the same resources, the
 * incremental one with an operation per key, and the same response.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

/** IncrementalAlterConfigsRequest.ConfigOperation. */
export const ConfigOperation = Object.freeze({ SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const);

export interface AlterableConfig {
  name: string;
  /** SET for AlterConfigs, whose request replaces every override. */
  operation: number;
  value: string | null;
}

export interface AlterConfigsResource {
  resourceType: number;
  resourceName: string;
  configs: AlterableConfig[];
}

export interface AlterConfigsRequest {
  resources: AlterConfigsResource[];
  validateOnly: boolean;
}

function decode(r: KafkaReader, flexible: boolean, incremental: boolean): AlterConfigsRequest {
  const resources = r.arr(flexible, (r) => {
    const resourceType = r.int8();
    const resourceName = r.str(flexible);
    const configs = r.arr(flexible, (r) => {
      const name = r.str(flexible);
      const operation = incremental ? r.int8() : ConfigOperation.SET;
      const value = r.nullableStr(flexible);
      r.tags(flexible);
      return { name, operation, value };
    });
    r.tags(flexible);
    return { resourceType, resourceName, configs };
  });
  const validateOnly = r.bool();
  r.tags(flexible);
  return { resources, validateOnly };
}

export function decodeAlterConfigsRequest(r: KafkaReader, version: number): AlterConfigsRequest {
  return decode(r, version >= 2, false);
}

export function decodeIncrementalAlterConfigsRequest(r: KafkaReader, version: number): AlterConfigsRequest {
  return decode(r, version >= 1, true);
}

export interface AlterConfigsResourceResponse {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

/** Both APIs' response; `flexible` is v2+ of AlterConfigs, v1+ of IncrementalAlterConfigs. */
export function encodeAlterConfigsResponse(w: KafkaWriter, flexible: boolean, resp: { throttleTimeMs: number; responses: AlterConfigsResourceResponse[] }): void {
  w.int32(resp.throttleTimeMs);
  w.array(resp.responses, (w, r) => w.int16(r.errorCode).nullableStr(r.errorMessage, flexible).int8(r.resourceType).str(r.resourceName, flexible).tags(flexible), flexible);
  w.tags(flexible);
}
