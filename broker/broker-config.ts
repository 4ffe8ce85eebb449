/**
 * Broker settings with Kafka's server config keys and defaults (KafkaConfig), so the same keys work
 * in `strata serve --config key=value`; keys that are topic configs go to LogConfig instead.
 */
import { isIP } from 'node:net';
import { StrataError } from '../core/errors.js';

export interface BrokerConfig {
  /** socket.request.max.bytes: largest request frame accepted; a larger one closes the connection. */
  socketRequestMaxBytes: number;
  /** max.connections: connections beyond this are closed on accept, with a log line. */
  maxConnections: number;
  /** max.connections.per.ip: connections from one address beyond this are closed on accept. */
  maxConnectionsPerIp: number;
  /** max.connections.per.ip.overrides: "host:count,host:count", a per-address max.connections.per.ip. */
  maxConnectionsPerIpOverrides: ReadonlyMap<string, number>;
  /**
   * connections.max.idle.ms: a connection with no request for this long is closed; so is one whose
   * response makes no progress (the peer reads nothing) for this long, and a TLS handshake that
   * has not finished by then (at most TLS_HANDSHAKE_TIMEOUT_MS).
   */
  connectionsMaxIdleMs: number;
  /** queued.max.requests: requests read ahead per connection before reading pauses. */
  queuedMaxRequests: number;
  /**
   * queued.max.request.bytes: bytes of requests (whole or partly received) all connections may hold
   * at once; a connection whose next request does not fit stops being read until memory frees.
   * -1: unbounded (Kafka's default).
   */
  queuedMaxRequestBytes: number;
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
  maxConnectionsPerIp: 2147483647,
  maxConnectionsPerIpOverrides: new Map<string, number>(),
  connectionsMaxIdleMs: 600000,
  queuedMaxRequests: 500,
  // Kafka's default is -1 (unbounded): max.connections half-received frames of
  // socket.request.max.bytes could then hold 100 GiB. Two maximal requests at once bound RSS.
  queuedMaxRequestBytes: 2 * 104857600,
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

const KEYS: Record<string, { field: keyof BrokerConfig; kind: 'int' | 'bool' | 'overrides'; min: number }> = {
  'socket.request.max.bytes': { field: 'socketRequestMaxBytes', kind: 'int', min: 1 },
  'max.connections': { field: 'maxConnections', kind: 'int', min: 1 },
  'max.connections.per.ip': { field: 'maxConnectionsPerIp', kind: 'int', min: 0 },
  'max.connections.per.ip.overrides': { field: 'maxConnectionsPerIpOverrides', kind: 'overrides', min: 0 },
  'connections.max.idle.ms': { field: 'connectionsMaxIdleMs', kind: 'int', min: 1 },
  'queued.max.requests': { field: 'queuedMaxRequests', kind: 'int', min: 1 },
  'queued.max.request.bytes': { field: 'queuedMaxRequestBytes', kind: 'int', min: -1 },
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
export function brokerConfigEntries(config: Readonly<BrokerConfig>): { name: string; value: string; kind: 'int' | 'bool' | 'overrides'; isDefault: boolean }[] {
  return Object.entries(KEYS).map(([name, spec]) => {
    const value = config[spec.field];
    if (value instanceof Map) {
      // Kafka's own syntax back: "host:count,host:count"
      const text = [...value].map(([host, count]) => `${host.includes(':') ? `[${host}]` : host}:${count}`).join(',');
      return { name, value: text, kind: spec.kind, isDefault: value.size === 0 };
    }
    return { name, value: String(value), kind: spec.kind, isDefault: value === DEFAULT_BROKER_CONFIG[spec.field] };
  });
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
    if (spec.kind === 'overrides') {
      (config[spec.field] as ReadonlyMap<string, number>) = parsePerIpOverrides(key, text);
      continue;
    }
    if (text === '-1' && spec.min === -1) {
      (config[spec.field] as number) = -1;
      continue;
    }
    if (!/^\d+$/.test(text) || Number(text) < spec.min || Number(text) > 2 ** 31 - 1) {
      throw new StrataError('INVALID_CONFIG', `${key} must be an integer between ${spec.min} and ${2 ** 31 - 1}, got "${text}"`);
    }
    (config[spec.field] as number) = Number(text);
  }
  // as Kafka: a request of socket.request.max.bytes must fit in the pool, or it would wait forever
  if (config.queuedMaxRequestBytes === 0 || (config.queuedMaxRequestBytes > 0 && config.queuedMaxRequestBytes < config.socketRequestMaxBytes)) {
    throw new StrataError('INVALID_CONFIG', `queued.max.request.bytes (${config.queuedMaxRequestBytes}) must be -1 or at least socket.request.max.bytes (${config.socketRequestMaxBytes})`);
  }
  if (config.groupMinSessionTimeoutMs > config.groupMaxSessionTimeoutMs) {
    throw new StrataError('INVALID_CONFIG', 'group.min.session.timeout.ms is larger than group.max.session.timeout.ms');
  }
  return config;
}

/**
 * Kafka's max.connections.per.ip.overrides: "host:count,host:count" (an IPv6 host keeps its colons:
 * the count is after the last one). Hosts are addresses as clients connect from; Kafka also
 * resolves host names, strata takes addresses only and says so.
 */
export function parsePerIpOverrides(key: string, text: string): Map<string, number> {
  const overrides = new Map<string, number>();
  if (text === '') return overrides;
  for (const entry of text.split(',')) {
    const item = entry.trim();
    const colon = item.lastIndexOf(':');
    const host = colon > 0 ? item.slice(0, colon).trim().replace(/^\[(.*)\]$/, '$1') : '';
    const count = colon > 0 ? item.slice(colon + 1).trim() : '';
    if (host === '' || !/^\d+$/.test(count) || Number(count) > 2 ** 31 - 1) {
      throw new StrataError('INVALID_CONFIG', `${key}: "${item}" is not host:count (e.g. "127.0.0.1:10,::1:5")`);
    }
    if (isIP(host) === 0) throw new StrataError('INVALID_CONFIG', `${key}: "${host}" is not an IP address (host names are not resolved)`);
    overrides.set(canonicalIp(host), Number(count));
  }
  return overrides;
}

/** One spelling per address: an IPv4 client on a dual-stack socket is "::ffff:a.b.c.d". */
export function canonicalIp(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (mapped ? mapped[1]! : address).toLowerCase();
}
