/**
 * Broker settings with Kafka's server config keys and defaults (KafkaConfig), so the same keys work
 * in `strata serve --config key=value`; keys that are topic configs go to LogConfig instead.
 */
import { StrataError } from '../core/errors.js';

export interface BrokerConfig {
  /** socket.request.max.bytes: largest request frame accepted; a larger one closes the connection. */
  socketRequestMaxBytes: number;
  /** max.connections: connections beyond this are closed on accept, with a log line. */
  maxConnections: number;
  /** connections.max.idle.ms: a connection with no request for this long is closed. */
  connectionsMaxIdleMs: number;
  /** queued.max.requests: requests read ahead per connection before reading pauses. */
  queuedMaxRequests: number;
  /** auto.create.topics.enable: Metadata and Produce create unknown topics. */
  autoCreateTopicsEnable: boolean;
  /** num.partitions: partitions of an auto-created topic (and CreateTopics with -1). */
  numPartitions: number;
  /** fetch.max.bytes: cap on a Fetch response's record bytes. */
  fetchMaxBytes: number;
  /** group.initial.rebalance.delay.ms: wait for more members before the first rebalance of an empty group. */
  groupInitialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms / group.max.session.timeout.ms: accepted session timeouts. */
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  /** group.max.size: members per group. */
  groupMaxSize: number;
  /** offset.metadata.max.bytes: metadata string of a committed offset. */
  offsetMetadataMaxBytes: number;
  /** producer.id.expiration.ms: an idempotent producer idle this long is forgotten by each partition. */
  producerIdExpirationMs: number;
  /** producer.id.expiration.check.interval.ms: how often partitions look for expired producers. */
  producerIdExpirationCheckIntervalMs: number;
  /** log.retention.check.interval.ms: how often retention.ms / retention.bytes are applied. */
  logRetentionCheckIntervalMs: number;
  /** log.flush.offset.checkpoint.interval.ms: how often recovery points are checkpointed. */
  logFlushOffsetCheckpointIntervalMs: number;
}

export const DEFAULT_BROKER_CONFIG: Readonly<BrokerConfig> = Object.freeze({
  socketRequestMaxBytes: 104857600,
  // Kafka's default is unbounded (Int.MaxValue); a bound is kept so a flood cannot exhaust fds
  maxConnections: 1024,
  connectionsMaxIdleMs: 600000,
  queuedMaxRequests: 500,
  // Kafka's default: a producer (kcat -P) to a new topic creates it on its Metadata request
  autoCreateTopicsEnable: true,
  numPartitions: 1,
  fetchMaxBytes: 57671680,
  groupInitialRebalanceDelayMs: 3000,
  groupMinSessionTimeoutMs: 6000,
  groupMaxSessionTimeoutMs: 1800000,
  groupMaxSize: 1000,
  offsetMetadataMaxBytes: 4096,
  producerIdExpirationMs: 86400000,
  producerIdExpirationCheckIntervalMs: 600000,
  logRetentionCheckIntervalMs: 300000,
  logFlushOffsetCheckpointIntervalMs: 60000,
});

const KEYS: Record<string, { field: keyof BrokerConfig; kind: 'int' | 'bool'; min: number }> = {
  'socket.request.max.bytes': { field: 'socketRequestMaxBytes', kind: 'int', min: 1 },
  'max.connections': { field: 'maxConnections', kind: 'int', min: 1 },
  'connections.max.idle.ms': { field: 'connectionsMaxIdleMs', kind: 'int', min: 1 },
  'queued.max.requests': { field: 'queuedMaxRequests', kind: 'int', min: 1 },
  'auto.create.topics.enable': { field: 'autoCreateTopicsEnable', kind: 'bool', min: 0 },
  'num.partitions': { field: 'numPartitions', kind: 'int', min: 1 },
  'fetch.max.bytes': { field: 'fetchMaxBytes', kind: 'int', min: 1024 },
  'group.initial.rebalance.delay.ms': { field: 'groupInitialRebalanceDelayMs', kind: 'int', min: 0 },
  'group.min.session.timeout.ms': { field: 'groupMinSessionTimeoutMs', kind: 'int', min: 1 },
  'group.max.session.timeout.ms': { field: 'groupMaxSessionTimeoutMs', kind: 'int', min: 1 },
  'group.max.size': { field: 'groupMaxSize', kind: 'int', min: 1 },
  'offset.metadata.max.bytes': { field: 'offsetMetadataMaxBytes', kind: 'int', min: 0 },
  'producer.id.expiration.ms': { field: 'producerIdExpirationMs', kind: 'int', min: 1 },
  'producer.id.expiration.check.interval.ms': { field: 'producerIdExpirationCheckIntervalMs', kind: 'int', min: 1 },
  'log.retention.check.interval.ms': { field: 'logRetentionCheckIntervalMs', kind: 'int', min: 1 },
  'log.flush.offset.checkpoint.interval.ms': { field: 'logFlushOffsetCheckpointIntervalMs', kind: 'int', min: 1 },
};

/** Every broker key with its value and whether it is Kafka's default (for DescribeConfigs). */
export function brokerConfigEntries(config: Readonly<BrokerConfig>): { name: string; value: string; kind: 'int' | 'bool'; isDefault: boolean }[] {
  return Object.entries(KEYS).map(([name, spec]) => ({ name, value: String(config[spec.field]), kind: spec.kind, isDefault: config[spec.field] === DEFAULT_BROKER_CONFIG[spec.field] }));
}

export function isBrokerConfigKey(key: string): boolean {
  return key in KEYS;
}

export function brokerConfigFrom(props: Readonly<Record<string, string>>, base: Readonly<BrokerConfig> = DEFAULT_BROKER_CONFIG): BrokerConfig {
  const config: BrokerConfig = { ...base };
  for (const [key, raw] of Object.entries(props)) {
    const spec = KEYS[key];
    if (!spec) throw new StrataError('INVALID_CONFIG', `unknown broker config key "${key}" (known: ${Object.keys(KEYS).join(', ')})`);
    const text = raw.trim();
    if (spec.kind === 'bool') {
      if (text !== 'true' && text !== 'false') throw new StrataError('INVALID_CONFIG', `${key} must be true or false, got "${text}"`);
      (config[spec.field] as boolean) = text === 'true';
      continue;
    }
    if (!/^\d+$/.test(text) || Number(text) < spec.min || Number(text) > 2 ** 31 - 1) {
      throw new StrataError('INVALID_CONFIG', `${key} must be an integer between ${spec.min} and ${2 ** 31 - 1}, got "${text}"`);
    }
    (config[spec.field] as number) = Number(text);
  }
  if (config.groupMinSessionTimeoutMs > config.groupMaxSessionTimeoutMs) {
    throw new StrataError('INVALID_CONFIG', 'group.min.session.timeout.ms is larger than group.max.session.timeout.ms');
  }
  return config;
}
