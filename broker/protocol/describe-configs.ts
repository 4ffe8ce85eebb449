/**
 * DescribeConfigs (key 32), v0-v4 (DescribeConfigsRequest.json / DescribeConfigsResponse.json);
 * flexible from v4. v1 adds the source and synonyms, v3 the type and documentation.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

/** ConfigResource.Type ids (this broker describes topics and itself; the others matter to ACL checks). */
export const ResourceType = Object.freeze({ TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16, GROUP: 32 } as const);

/** DescribeConfigsResponse.ConfigSource. */
export const ConfigSource = Object.freeze({
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const);

/** ConfigDef.Type as DescribeConfigs v3+ numbers it (DescribeConfigsResponse.ConfigType). */
export const ConfigType = Object.freeze({ UNKNOWN: 0, BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 } as const);

export interface DescribeConfigsResource {
  resourceType: number;
  resourceName: string;
  /** null: every key. */
  configurationKeys: string[] | null;
}

export interface DescribeConfigsRequest {
  resources: DescribeConfigsResource[];
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

export function decodeDescribeConfigsRequest(r: KafkaReader, version: number): DescribeConfigsRequest {
  const flexible = version >= 4;
  const resources = r.arr(flexible, (r) => {
    const resourceType = r.int8();
    const resourceName = r.str(flexible);
    const configurationKeys = r.nullableArr(flexible, (r) => r.str(flexible));
    r.tags(flexible);
    return { resourceType, resourceName, configurationKeys };
  });
  const includeSynonyms = version >= 1 ? r.bool() : false;
  const includeDocumentation = version >= 3 ? r.bool() : false;
  r.tags(flexible);
  return { resources, includeSynonyms, includeDocumentation };
}

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: number;
}

export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  source: number;
  isSensitive: boolean;
  synonyms: ConfigSynonym[];
  configType: number;
  documentation: string | null;
}

export interface DescribeConfigsResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  configs: DescribedConfig[];
}

export function encodeDescribeConfigsResponse(w: KafkaWriter, version: number, resp: { throttleTimeMs: number; results: DescribeConfigsResult[] }): void {
  const flexible = version >= 4;
  w.int32(resp.throttleTimeMs);
  w.array(
    resp.results,
    (w, res) => {
      w.int16(res.errorCode).nullableStr(res.errorMessage, flexible).int8(res.resourceType).str(res.resourceName, flexible);
      w.array(res.configs, (w, c) => encodeConfig(w, version, c), flexible);
      w.tags(flexible);
    },
    flexible,
  );
  w.tags(flexible);
}

function encodeConfig(w: KafkaWriter, version: number, c: DescribedConfig): void {
  const flexible = version >= 4;
  w.str(c.name, flexible).nullableStr(c.value, flexible).bool(c.readOnly);
  if (version === 0) w.bool(c.source === ConfigSource.DEFAULT_CONFIG);
  else w.int8(c.source);
  w.bool(c.isSensitive);
  if (version >= 1) w.array(c.synonyms, (w, s) => w.str(s.name, flexible).nullableStr(s.value, flexible).int8(s.source).tags(flexible), flexible);
  if (version >= 3) w.int8(c.configType).nullableStr(c.documentation, flexible);
  w.tags(flexible);
}
