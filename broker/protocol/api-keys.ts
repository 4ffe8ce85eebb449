/**
 * The APIs this broker serves and the versions it advertises in ApiVersions. The flexible-version
 * thresholds are Kafka's (the "flexibleVersions" of each message schema); strata advertises the
 * classic (non-flexible) versions of every API except ApiVersions v3, which librdkafka and the
 * Java client try first. Both librdkafka 2.0.2 and kafkajs 2.2.4 pick the highest version both
 * sides know, and neither needs a flexible version of anything but ApiVersions.
 */
export enum ApiKey {
  Produce = 0,
  Fetch = 1,
  ListOffsets = 2,
  Metadata = 3,
  OffsetCommit = 8,
  OffsetFetch = 9,
  FindCoordinator = 10,
  JoinGroup = 11,
  Heartbeat = 12,
  LeaveGroup = 13,
  SyncGroup = 14,
  SaslHandshake = 17,
  DescribeGroups = 15,
  ListGroups = 16,
  ApiVersions = 18,
  CreateTopics = 19,
  DeleteTopics = 20,
  DeleteRecords = 21,
  InitProducerId = 22,
  SaslAuthenticate = 36,
  DescribeConfigs = 32,
  AlterConfigs = 33,
  CreatePartitions = 37,
  IncrementalAlterConfigs = 44,
  DeleteGroups = 42,
  OffsetDelete = 47,
}

export interface ApiVersionRange {
  apiKey: ApiKey;
  minVersion: number;
  maxVersion: number;
  /** First flexible version of the API in Kafka's schema. */
  flexibleFrom: number;
}

/**
 * Fetch starts at v4, the first version whose clients read RecordBatch v2, the only format strata
 * stores (it never down-converts). Produce is advertised from v0 although only batches of magic 2
 * are accepted (any version may carry them; librdkafka sends v2 batches with Produce v3+ once it
 * sees Produce >= 3 and Fetch >= 4): librdkafka 2.0.2 enables gzip, snappy and lz4 only when the
 * broker's Produce range includes v0 (rd_kafka_msgset_writer_select_MsgVersion checks Produce
 * [0, 0] for them), and zstd only with Produce v7 and Fetch v10, which the ranges include.
 */
export const SUPPORTED_APIS: readonly ApiVersionRange[] = Object.freeze([
  { apiKey: ApiKey.Produce, minVersion: 0, maxVersion: 8, flexibleFrom: 9 },
  { apiKey: ApiKey.Fetch, minVersion: 4, maxVersion: 11, flexibleFrom: 12 },
  // v7 lists the newest timestamp (-3), v8 the earliest local offset (-4); v9 (-5, tiered) not served
  { apiKey: ApiKey.ListOffsets, minVersion: 0, maxVersion: 8, flexibleFrom: 6 },
  { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 8, flexibleFrom: 9 },
  { apiKey: ApiKey.OffsetCommit, minVersion: 0, maxVersion: 7, flexibleFrom: 8 },
  { apiKey: ApiKey.OffsetFetch, minVersion: 0, maxVersion: 5, flexibleFrom: 6 },
  { apiKey: ApiKey.FindCoordinator, minVersion: 0, maxVersion: 2, flexibleFrom: 3 },
  { apiKey: ApiKey.JoinGroup, minVersion: 0, maxVersion: 5, flexibleFrom: 6 },
  { apiKey: ApiKey.Heartbeat, minVersion: 0, maxVersion: 3, flexibleFrom: 4 },
  { apiKey: ApiKey.LeaveGroup, minVersion: 0, maxVersion: 3, flexibleFrom: 4 },
  { apiKey: ApiKey.SyncGroup, minVersion: 0, maxVersion: 3, flexibleFrom: 4 },
  { apiKey: ApiKey.DescribeGroups, minVersion: 0, maxVersion: 6, flexibleFrom: 5 },
  { apiKey: ApiKey.ListGroups, minVersion: 0, maxVersion: 5, flexibleFrom: 3 },
  { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3, flexibleFrom: 3 },
  { apiKey: ApiKey.CreateTopics, minVersion: 0, maxVersion: 4, flexibleFrom: 5 },
  // the idempotent producer (Java's default since 3.0); v5 has v4's layout, v6 adds 2PC fields
  { apiKey: ApiKey.InitProducerId, minVersion: 0, maxVersion: 5, flexibleFrom: 2 },
  // SASL (auth/). Handshake v0 (tokens unframed after it) is advertised because librdkafka turns SASL
  // on only when the range includes v0 (its SASL_HANDSHAKE feature); a v0 handshake is refused
  // with UNSUPPORTED_VERSION. Handshake is never flexible.
  { apiKey: ApiKey.SaslHandshake, minVersion: 0, maxVersion: 1, flexibleFrom: 0x7fff },
  { apiKey: ApiKey.SaslAuthenticate, minVersion: 0, maxVersion: 2, flexibleFrom: 2 },
  // the admin calls: every version of Kafka 3.9's schemas (Kafka 4 dropped DeleteTopics v0 and DescribeConfigs v0)
  { apiKey: ApiKey.DeleteTopics, minVersion: 0, maxVersion: 6, flexibleFrom: 4 },
  { apiKey: ApiKey.DeleteRecords, minVersion: 0, maxVersion: 2, flexibleFrom: 2 },
  { apiKey: ApiKey.DescribeConfigs, minVersion: 0, maxVersion: 4, flexibleFrom: 4 },
  { apiKey: ApiKey.CreatePartitions, minVersion: 0, maxVersion: 3, flexibleFrom: 2 },
  { apiKey: ApiKey.AlterConfigs, minVersion: 0, maxVersion: 2, flexibleFrom: 2 },
  { apiKey: ApiKey.IncrementalAlterConfigs, minVersion: 0, maxVersion: 1, flexibleFrom: 1 },
  { apiKey: ApiKey.DeleteGroups, minVersion: 0, maxVersion: 2, flexibleFrom: 2 },
  { apiKey: ApiKey.OffsetDelete, minVersion: 0, maxVersion: 0, flexibleFrom: Number.POSITIVE_INFINITY }, // flexibleVersions "none"
]);

const BY_KEY = new Map<number, ApiVersionRange>(SUPPORTED_APIS.map((a) => [a.apiKey, a]));

export function apiRange(apiKey: number): ApiVersionRange | undefined {
  return BY_KEY.get(apiKey);
}

export function isSupported(apiKey: number, apiVersion: number): boolean {
  const r = BY_KEY.get(apiKey);
  return !!r && apiVersion >= r.minVersion && apiVersion <= r.maxVersion;
}

export function isFlexible(apiKey: number, apiVersion: number): boolean {
  const r = BY_KEY.get(apiKey);
  return !!r && apiVersion >= r.flexibleFrom;
}

export function apiName(apiKey: number): string {
  return ApiKey[apiKey] ?? `api key ${apiKey}`;
}
