/**
 * Topic-level log configuration with Kafka's keys and defaults (LogConfig / TopicConfig), so users
 * can carry their settings over unchanged. Values arrive as strings (CLI `--config key=value`,
 * CreateTopics configs) and are checked here; an unknown key or a bad value is an error naming it.
 */
import { StrataError } from '../errors.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Largest value Kafka's long configs take; used for "unbounded" (flush.messages, flush.ms). */
export const LONG_MAX = Number.MAX_SAFE_INTEGER;
/** Java's Long.MAX_VALUE as Kafka prints it: what LONG_MAX stands for on the wire. */
export const KAFKA_LONG_MAX = '9223372036854775807';

export interface LogConfig {
  /** segment.bytes: roll when an append would push the active segment past this. */
  segmentBytes: number;
  /** segment.ms: roll a non-empty segment this long after its first append. */
  segmentMs: number;
  /** index.interval.bytes: bytes appended between two offset-index entries. */
  indexIntervalBytes: number;
  /** segment.index.bytes: index file preallocation; also caps the entries (index full => roll). */
  segmentIndexBytes: number;
  /** retention.bytes: delete whole closed segments while the log is larger (-1 = no limit). */
  retentionBytes: number;
  /** retention.ms: delete closed segments whose newest record is older (-1 = no limit). */
  retentionMs: number;
  /** flush.messages: fsync after this many appended messages (LONG_MAX = leave it to the OS). */
  flushMessages: number;
  /** flush.ms: fsync when the last flush is this old (LONG_MAX = leave it to the OS). */
  flushMs: number;
  /** message.max.bytes: largest record batch accepted. */
  messageMaxBytes: number;
  /** preallocate: reserve segment.bytes of file up front, trimmed on roll and close. */
  preallocate: boolean;
  /** file.delete.delay.ms: how long a deleted segment's descriptor stays open for readers in flight. */
  fileDeleteDelayMs: number;
  /** compression.type: codec for batches the log's own producers build (producer = keep as sent). */
  compressionType: string;
  /**
   * cleanup.policy: `delete` (Kafka's default) or `compact`. strata never compacts, but a log
   * copied from a compacted Kafka topic has offset gaps inside its segments; with `delete` a gap
   * inside a segment can only be damage, and reads refuse it.
   */
  cleanupPolicy: string;
  /**
   * message.timestamp.type: `CreateTime` keeps the producer's timestamps; `LogAppendTime` makes
   * the log stamp every batch with the time it was appended (Kafka's LogValidator).
   */
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
  /** message.timestamp.before.max.ms: how far in the past a CreateTime record may be (Kafka 3.6+). */
  messageTimestampBeforeMaxMs: number;
  /** message.timestamp.after.max.ms: how far in the future a CreateTime record may be (Kafka 3.6+). */
  messageTimestampAfterMaxMs: number;
}

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * DAY_MS,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10 * 1024 * 1024,
  retentionBytes: -1,
  retentionMs: 7 * DAY_MS,
  flushMessages: LONG_MAX,
  flushMs: LONG_MAX,
  messageMaxBytes: 1048588,
  preallocate: false,
  fileDeleteDelayMs: 60_000,
  compressionType: 'producer',
  cleanupPolicy: 'delete',
  messageTimestampType: 'CreateTime',
  messageTimestampBeforeMaxMs: LONG_MAX,
  // Kafka 4's default: a record an hour ahead of the broker's clock is refused
  messageTimestampAfterMaxMs: 3_600_000,
});

interface KeySpec {
  field: keyof LogConfig;
  kind: 'int' | 'long' | 'bool' | 'string';
  min: number;
  /** Kafka's own lower bound for the key, named in the error. */
  choices?: readonly string[];
}

/** Kafka key -> field, with Kafka's validation bounds. */
export const LOG_CONFIG_KEYS: Readonly<Record<string, KeySpec>> = Object.freeze({
  'segment.bytes': { field: 'segmentBytes', kind: 'int', min: 14 },
  'segment.ms': { field: 'segmentMs', kind: 'long', min: 1 },
  'index.interval.bytes': { field: 'indexIntervalBytes', kind: 'int', min: 0 },
  'segment.index.bytes': { field: 'segmentIndexBytes', kind: 'int', min: 4 },
  'retention.bytes': { field: 'retentionBytes', kind: 'long', min: -1 },
  'retention.ms': { field: 'retentionMs', kind: 'long', min: -1 },
  'flush.messages': { field: 'flushMessages', kind: 'long', min: 1 },
  'flush.ms': { field: 'flushMs', kind: 'long', min: 0 },
  'message.max.bytes': { field: 'messageMaxBytes', kind: 'int', min: 0 },
  // Kafka's topic-level name for the same limit (message.max.bytes is the broker's)
  'max.message.bytes': { field: 'messageMaxBytes', kind: 'int', min: 0 },
  preallocate: { field: 'preallocate', kind: 'bool', min: 0 },
  'file.delete.delay.ms': { field: 'fileDeleteDelayMs', kind: 'long', min: 0 },
  'compression.type': {
    field: 'compressionType',
    kind: 'string',
    min: 0,
    choices: ['producer', 'uncompressed', 'none', 'gzip', 'snappy', 'lz4', 'zstd'],
  },
  'cleanup.policy': { field: 'cleanupPolicy', kind: 'string', min: 0, choices: ['delete', 'compact'] },
  'message.timestamp.type': { field: 'messageTimestampType', kind: 'string', min: 0, choices: ['CreateTime', 'LogAppendTime'] },
  'message.timestamp.before.max.ms': { field: 'messageTimestampBeforeMaxMs', kind: 'long', min: 0 },
  'message.timestamp.after.max.ms': { field: 'messageTimestampAfterMaxMs', kind: 'long', min: 0 },
});

const INT_MAX = 2 ** 31 - 1;

/** Builds a LogConfig from Kafka keys over the defaults (or over `base`). */
export function logConfigFrom(props: Readonly<Record<string, string | number | boolean>>, base: Readonly<LogConfig> = DEFAULT_LOG_CONFIG): LogConfig {
  const config: LogConfig = { ...base };
  for (const [key, raw] of Object.entries(props)) {
    const spec = LOG_CONFIG_KEYS[key];
    if (!spec) {
      throw new StrataError('INVALID_CONFIG', `unknown config key "${key}" (known: ${Object.keys(LOG_CONFIG_KEYS).join(', ')})`);
    }
    const text = String(raw).trim();
    if (spec.kind === 'bool') {
      if (text !== 'true' && text !== 'false') throw new StrataError('INVALID_CONFIG', `${key} must be true or false, got "${text}"`);
      (config[spec.field] as boolean) = text === 'true';
    } else if (spec.kind === 'string') {
      if (spec.choices && !spec.choices.includes(text)) {
        throw new StrataError('INVALID_CONFIG', `${key} must be one of ${spec.choices.join(', ')}, got "${text}"`);
      }
      (config[spec.field] as string) = text;
    } else {
      if (!/^-?\d+$/.test(text)) throw new StrataError('INVALID_CONFIG', `${key} must be an integer, got "${text}"`);
      // Kafka's Long.MAX_VALUE (its "unbounded", as DescribeConfigs shows it) is held as LONG_MAX
      const value = spec.kind === 'long' && text === KAFKA_LONG_MAX ? LONG_MAX : Number(text);
      const max = spec.kind === 'int' ? INT_MAX : LONG_MAX;
      if (!Number.isSafeInteger(value) || value < spec.min || value > max) {
        throw new StrataError('INVALID_CONFIG', `${key} must be between ${spec.min} and ${max}, got ${text}`);
      }
      (config[spec.field] as number) = value;
    }
  }
  return config;
}

/** Parses CLI-style `key=value` strings. */
export function parseConfigPairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new StrataError('INVALID_CONFIG', `config "${pair}" is not key=value`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return out;
}

/** The effective config as Kafka key -> value, e.g. for DescribeConfigs or a results file. */
export function logConfigToProps(config: Readonly<LogConfig>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, spec] of Object.entries(LOG_CONFIG_KEYS)) out[key] = String(config[spec.field]);
  return out;
}
