/**
 * Workload files (YAML or JSON), in the spirit of OpenMessaging Benchmark's workloads: what a
 * producer sends (record size, keys, payload profile, rate, batching) and how long, plus a `matrix`
 * of axes (engine, transfer, cache, codec, record size, batch size, Kafka log config keys), each a
 * value or a list. Every field is checked here; a bad one is an error naming the field and the file.
 * The format is documented in docs/harness.md.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { StrataError } from '../core/errors.js';
import { LOG_CONFIG_KEYS } from '../core/config/log-config.js';

export type PayloadProfile = 'random' | 'json' | 'repetitive';
export type KeyDistribution = 'none' | 'sequential' | 'uniform' | 'zipf';
export const PAYLOAD_PROFILES: readonly PayloadProfile[] = ['random', 'json', 'repetitive'];
export const KEY_DISTRIBUTIONS: readonly KeyDistribution[] = ['none', 'sequential', 'uniform', 'zipf'];

/** The axes a matrix expands over; each is a list after parsing (a scalar becomes a list of one). */
export interface MatrixAxes {
  engine: string[];
  transfer: string[];
  cache: string[];
  codec: string[];
  recordBytes: number[];
  batchRecords: number[];
  /** Kafka log config key -> values (e.g. flush.messages: [1, 1000]); each key is an axis. */
  config: Record<string, string[]>;
}

export interface Workload {
  name: string;
  description: string;
  /** Seeds the payload and key generators: the same seed gives the same bytes. */
  seed: number;
  payload: PayloadProfile;
  keyDistribution: KeyDistribution;
  /** Distinct keys drawn from (uniform, zipf) or cycled through (sequential). */
  keyCount: number;
  keyBytes: number;
  /** Records per second over all producers; 0 = as fast as possible (max-rate mode). */
  producerRate: number;
  /** Fixed-rate mode only: a batch goes out when full or this long after its first record. */
  lingerMs: number;
  /** Records per repetition (after warm-up), over all producers. Ignored when durationSeconds > 0. */
  records: number;
  /** Produce for this long per repetition instead of a record count (0 = use records). */
  durationSeconds: number;
  /** Records produced and thrown away from the measurements before each repetition. */
  warmupRecords: number;
  repetitions: number;
  producers: number;
  /** Each consumer reads every partition from the start (its own group), over TCP. */
  consumers: number;
  partitions: number;
  /** Also read the whole log after its pages were dropped from the page cache (a cold read). */
  coldRead: boolean;
  /**
   * Consumer 0 tails the log while the producers run, giving end-to-end latency (append start to
   * receipt). Its transfer shares the producer's event loop, as a broker's would; turn it off for
   * pure produce-throughput cells.
   */
  endToEnd: boolean;
  /** Max-rate mode: end-to-end latency is measured in a phase of its own at this fixed rate (records/s)... */
  endToEndRate: number;
  /** ...for this many records. */
  endToEndRecords: number;
  matrix: MatrixAxes;
}

export const WORKLOAD_DEFAULTS: Omit<Workload, 'name' | 'matrix'> = {
  description: '',
  seed: 1,
  payload: 'json',
  keyDistribution: 'none',
  keyCount: 1000,
  keyBytes: 16,
  producerRate: 0,
  lingerMs: 5,
  records: 100_000,
  durationSeconds: 0,
  warmupRecords: 0,
  repetitions: 3,
  producers: 1,
  consumers: 1,
  partitions: 1,
  coldRead: true,
  endToEnd: true,
  endToEndRate: 5000,
  endToEndRecords: 5000,
};

export const MATRIX_DEFAULTS: MatrixAxes = {
  engine: ['pwrite'],
  transfer: ['buffered'],
  cache: ['none'],
  codec: ['none'],
  recordBytes: [1024],
  batchRecords: [100],
  config: {},
};

/** Limits on what one workload may ask for, so a typo cannot fill the disk or run for a day. */
export const LIMITS = {
  recordBytesMax: 16 * 1024 * 1024,
  batchRecordsMax: 100_000,
  recordsMax: 1_000_000_000,
  durationSecondsMax: 24 * 3600,
  repetitionsMax: 100,
  producersMax: 64,
  consumersMax: 64,
  partitionsMax: 1024,
  cellsMax: 10_000,
} as const;

function fail(source: string, field: string, message: string): never {
  throw new StrataError('INVALID_ARGUMENT', `workload ${source}: field "${field}" ${message}`);
}

function intField(source: string, field: string, value: unknown, min: number, max: number): number {
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) value = Number(value);
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(source, field, `must be an integer, got ${JSON.stringify(value)}`);
  if (value < min || value > max) fail(source, field, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function numberField(source: string, field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(source, field, `must be a number, got ${JSON.stringify(value)}`);
  if (value < min || value > max) fail(source, field, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function choiceField<T extends string>(source: string, field: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !choices.includes(value as T)) {
    fail(source, field, `must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function stringAxis(source: string, field: string, value: unknown): string[] {
  const list = asList(value);
  if (list.length === 0) fail(source, field, 'must not be an empty list');
  return list.map((v, i) => {
    if (typeof v !== 'string' || v.trim() === '') fail(source, `${field}[${i}]`, `must be a non-empty string, got ${JSON.stringify(v)}`);
    return v.trim();
  });
}

function intAxis(source: string, field: string, value: unknown, min: number, max: number): number[] {
  const list = asList(value);
  if (list.length === 0) fail(source, field, 'must not be an empty list');
  return list.map((v, i) => intField(source, Array.isArray(value) ? `${field}[${i}]` : field, v, min, max));
}

const TOP_FIELDS = new Set([
  'name', 'description', 'seed', 'payload', 'keyDistribution', 'keyCount', 'keyBytes', 'producerRate', 'lingerMs',
  'records', 'durationSeconds', 'warmupRecords', 'repetitions', 'producers', 'consumers', 'partitions', 'coldRead', 'endToEnd', 'endToEndRate', 'endToEndRecords', 'matrix',
]);
const MATRIX_FIELDS = new Set(['engine', 'transfer', 'cache', 'codec', 'recordBytes', 'batchRecords', 'config']);

/** Checks a parsed workload object; `source` names the file in errors. */
export function validateWorkload(raw: unknown, source: string): Workload {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(source, '(top level)', 'must be a mapping of fields');
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!TOP_FIELDS.has(key)) fail(source, key, `is not a workload field (known: ${[...TOP_FIELDS].join(', ')})`);
  }
  const d = WORKLOAD_DEFAULTS;
  const get = (k: string): unknown => (obj[k] === undefined ? (d as Record<string, unknown>)[k] : obj[k]);
  if (typeof obj.name !== 'string' || !/^[A-Za-z0-9._-]{1,100}$/.test(obj.name)) {
    fail(source, 'name', `must be 1-100 characters of letters, digits, '.', '_' or '-', got ${JSON.stringify(obj.name)}`);
  }
  const description = get('description');
  if (typeof description !== 'string') fail(source, 'description', 'must be a string');
  const coldRead = get('coldRead');
  if (typeof coldRead !== 'boolean') fail(source, 'coldRead', `must be true or false, got ${JSON.stringify(coldRead)}`);
  const endToEnd = get('endToEnd');
  if (typeof endToEnd !== 'boolean') fail(source, 'endToEnd', `must be true or false, got ${JSON.stringify(endToEnd)}`);

  const matrixRaw = obj.matrix ?? {};
  if (typeof matrixRaw !== 'object' || matrixRaw === null || Array.isArray(matrixRaw)) fail(source, 'matrix', 'must be a mapping of axes');
  const m = matrixRaw as Record<string, unknown>;
  for (const key of Object.keys(m)) {
    if (!MATRIX_FIELDS.has(key)) fail(source, `matrix.${key}`, `is not a matrix axis (known: ${[...MATRIX_FIELDS].join(', ')})`);
  }
  const config: Record<string, string[]> = {};
  if (m.config !== undefined) {
    if (typeof m.config !== 'object' || m.config === null || Array.isArray(m.config)) fail(source, 'matrix.config', 'must be a mapping of Kafka config keys');
    for (const [key, value] of Object.entries(m.config as Record<string, unknown>)) {
      if (!LOG_CONFIG_KEYS[key]) fail(source, `matrix.config.${key}`, `is not a log config key (known: ${Object.keys(LOG_CONFIG_KEYS).join(', ')})`);
      const list = asList(value);
      if (list.length === 0) fail(source, `matrix.config.${key}`, 'must not be an empty list');
      config[key] = list.map((v, i) => {
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
          fail(source, `matrix.config.${key}[${i}]`, `must be a string, number or boolean, got ${JSON.stringify(v)}`);
        }
        return String(v);
      });
    }
  }
  const matrix: MatrixAxes = {
    engine: m.engine === undefined ? MATRIX_DEFAULTS.engine : stringAxis(source, 'matrix.engine', m.engine),
    transfer: m.transfer === undefined ? MATRIX_DEFAULTS.transfer : stringAxis(source, 'matrix.transfer', m.transfer),
    cache: m.cache === undefined ? MATRIX_DEFAULTS.cache : stringAxis(source, 'matrix.cache', m.cache),
    codec: m.codec === undefined ? MATRIX_DEFAULTS.codec : stringAxis(source, 'matrix.codec', m.codec),
    recordBytes: m.recordBytes === undefined ? MATRIX_DEFAULTS.recordBytes : intAxis(source, 'matrix.recordBytes', m.recordBytes, 1, LIMITS.recordBytesMax),
    batchRecords: m.batchRecords === undefined ? MATRIX_DEFAULTS.batchRecords : intAxis(source, 'matrix.batchRecords', m.batchRecords, 1, LIMITS.batchRecordsMax),
    config,
  };

  const workload: Workload = {
    name: obj.name,
    description,
    seed: intField(source, 'seed', get('seed'), 0, 2 ** 32 - 1),
    payload: choiceField(source, 'payload', get('payload'), PAYLOAD_PROFILES),
    keyDistribution: choiceField(source, 'keyDistribution', get('keyDistribution'), KEY_DISTRIBUTIONS),
    keyCount: intField(source, 'keyCount', get('keyCount'), 1, 10_000_000),
    keyBytes: intField(source, 'keyBytes', get('keyBytes'), 1, 1024),
    producerRate: numberField(source, 'producerRate', get('producerRate'), 0, 1e9),
    lingerMs: numberField(source, 'lingerMs', get('lingerMs'), 0, 60_000),
    records: intField(source, 'records', get('records'), 1, LIMITS.recordsMax),
    durationSeconds: numberField(source, 'durationSeconds', get('durationSeconds'), 0, LIMITS.durationSecondsMax),
    warmupRecords: intField(source, 'warmupRecords', get('warmupRecords'), 0, LIMITS.recordsMax),
    repetitions: intField(source, 'repetitions', get('repetitions'), 1, LIMITS.repetitionsMax),
    producers: intField(source, 'producers', get('producers'), 1, LIMITS.producersMax),
    consumers: intField(source, 'consumers', get('consumers'), 0, LIMITS.consumersMax),
    partitions: intField(source, 'partitions', get('partitions'), 1, LIMITS.partitionsMax),
    coldRead,
    endToEnd,
    endToEndRate: numberField(source, 'endToEndRate', get('endToEndRate'), 1, 1e9),
    endToEndRecords: intField(source, 'endToEndRecords', get('endToEndRecords'), 1, LIMITS.recordsMax),
    matrix,
  };
  return workload;
}

/** Parses YAML or JSON text (JSON is YAML, but a .json file gets JSON's own error messages). */
export function parseWorkloadText(text: string, source: string): Workload {
  let raw: unknown;
  try {
    raw = source.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new StrataError('INVALID_ARGUMENT', `workload ${source}: cannot parse: ${(err as Error).message}`);
  }
  return validateWorkload(raw, source);
}

export function loadWorkloadFile(path: string): Workload {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new StrataError('INVALID_ARGUMENT', `workload ${path}: cannot read: ${(err as Error).message}`);
  }
  return parseWorkloadText(text, path);
}

/** A stable hash of the effective workload (after defaults), recorded with every result. */
export function workloadHash(workload: Workload): string {
  return createHash('sha256').update(stableJson(workload)).digest('hex').slice(0, 16);
}

export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
