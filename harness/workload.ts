/**
 * Workload files (YAML or JSON), in the spirit of OpenMessaging Benchmark's workloads: what a
 * producer sends (record size, keys, payload profile, rate, batching) and how long, plus a `matrix`
 * of axes (engine, transfer, cache, codec, record size, batch size, Kafka log config keys), each a
 * value or a list. Every field is checked against harness/schema/workload.schema.json (with ajv; the
 * same file gives editors completion), a bad one an error naming the field and the file. The
 * OpenMessaging Benchmark's own workload fields are accepted too. Documented in docs/harness.md.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { Ajv, type ErrorObject } from 'ajv';
import { StrataError } from '../core/errors.js';
import { LOG_CONFIG_KEYS } from '../core/config/log-config.js';
import schema from './schema/workload.schema.json' with { type: 'json' };
import { fromOpenMessaging, isOpenMessagingWorkload, ombName, OMB_FIELDS } from './workload-omb.js';

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

/** What a workload runs: the matrix's cells (the default), or one of the focused comparisons (harness/kinds/). */
export type WorkloadKind = 'matrix' | 'vs-kafka' | 'transfer' | 'engines' | 'lagging-consumer' | 'scale' | 'tls-fetch' | 'broker';

export interface Workload {
  name: string;
  description: string;
  /** Absent = matrix; absent rather than defaulted so the hash of a matrix workload stays what it was. */
  kind?: WorkloadKind;
  /** A kind other than matrix: its settings, checked by that kind (harness/kinds/). */
  options?: Record<string, unknown>;
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
  /**
   * Max-rate produce for this long before each repetition, thrown away like warmupRecords (fio's
   * ramp_time, OpenMessaging Benchmark's warm-up); when > 0 it replaces warmupRecords.
   */
  warmupSeconds: number;
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

/** The defaults, from the schema (harness/schema/workload.schema.json: the one place they live). */
export const WORKLOAD_DEFAULTS = Object.fromEntries(
  Object.entries(schema.properties as Record<string, { default?: unknown }>).filter(([, p]) => p.default !== undefined).map(([k, p]) => [k, p.default]),
) as Omit<Workload, 'name' | 'matrix' | 'kind' | 'options'>;

export const MATRIX_DEFAULTS: MatrixAxes = {
  engine: ['pwrite'],
  transfer: ['buffered'],
  cache: ['none'],
  codec: ['none'],
  recordBytes: [1024],
  batchRecords: [100],
  config: {},
};

/**
 * Limits on what one workload may ask for, so a typo cannot fill the disk or run for a day. The
 * schema's maxima are these (a test checks that they agree); cellsMax is checked by the matrix.
 */
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

const ajv = new Ajv({ allErrors: false, strict: false, verbose: true });
const validateSchema = ajv.compile(schema);

export { schema as workloadSchema };

const AXES = ['engine', 'transfer', 'cache', 'codec', 'recordBytes', 'batchRecords'] as const;

/** A copy with every matrix axis (and config value) a list; the paths that were scalars. */
function withLists(obj: Record<string, unknown>): { data: Record<string, unknown>; scalars: Set<string> } {
  const data = structuredClone(obj);
  const scalars = new Set<string>();
  const m = data.matrix;
  if (m && typeof m === 'object' && !Array.isArray(m)) {
    const matrix = m as Record<string, unknown>;
    for (const axis of AXES) {
      if (matrix[axis] !== undefined && !Array.isArray(matrix[axis])) {
        matrix[axis] = [matrix[axis]];
        scalars.add(`matrix.${axis}`);
      }
    }
    const config = matrix.config;
    if (config && typeof config === 'object' && !Array.isArray(config)) {
      for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
        if (!Array.isArray(value)) {
          (config as Record<string, unknown>)[key] = [value];
          scalars.add(`matrix.config.${key}`);
        }
      }
    }
  }
  return { data, scalars };
}

/** `/matrix/recordBytes/1` as `matrix.recordBytes[1]`; `[0]` dropped where the file gave a scalar. */
function fieldName(pointer: string, scalars: Set<string>): string {
  let out = '';
  for (const part of pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))) {
    if (/^\d+$/.test(part)) out += scalars.has(out) ? '' : `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}

const NATIVE_FIELDS = Object.keys(schema.properties).filter((k) => !OMB_FIELDS.has(k));

/** One ajv error as the sentence the hand-written checks used to give. */
function describeError(e: ErrorObject, scalars: Set<string>): { field: string; message: string } {
  const field = fieldName(e.instancePath, scalars);
  const got = JSON.stringify(e.data);
  const ps = (e.parentSchema ?? {}) as { minimum?: number; maximum?: number; 'x-message'?: string };
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      const name = field ? `${field}.${extra}` : extra;
      if (field === '') return { field: name, message: `is not a workload field (known: ${NATIVE_FIELDS.join(', ')}; or the OpenMessaging Benchmark's ${[...OMB_FIELDS].join(', ')})` };
      if (field === 'matrix') return { field: name, message: `is not a matrix axis (known: ${Object.keys(schema.properties.matrix.properties).join(', ')})` };
      return { field: name, message: `is not a log config key (known: ${Object.keys(LOG_CONFIG_KEYS).join(', ')})` };
    }
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      const hint = (schema.properties as Record<string, { 'x-message'?: string }>)[missing]?.['x-message'];
      return { field: missing, message: `is required${hint ? ` (${hint})` : ''}` };
    }
  }
  if (ps['x-message']) return { field, message: `${ps['x-message']}, got ${got}` };
  switch (e.keyword) {
    case 'type': {
      const t = (e.params as { type: string | string[] }).type;
      const types = Array.isArray(t) ? t : String(t).split(',');
      if (types.includes('object')) return { field, message: field === 'matrix' ? 'must be a mapping of axes' : field === 'matrix.config' ? 'must be a mapping of Kafka config keys' : 'must be a mapping of fields' };
      if (types.includes('integer')) return { field, message: `must be an integer, got ${got}` };
      if (types.includes('number') && types.length > 1) return { field, message: `must be a string, number or boolean, got ${got}` };
      if (types.includes('number')) return { field, message: `must be a number, got ${got}` };
      if (types.includes('boolean')) return { field, message: `must be true or false, got ${got}` };
      return { field, message: field === 'description' ? 'must be a string' : `must be a non-empty string, got ${got}` };
    }
    case 'minimum':
    case 'maximum':
      return { field, message: `must be between ${ps.minimum} and ${ps.maximum}, got ${got}` };
    case 'enum':
      return { field, message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}, got ${got}` };
    case 'minItems':
      return { field, message: 'must not be an empty list' };
    case 'minLength':
    case 'pattern':
      return { field, message: `must be a non-empty string, got ${got}` };
    default:
      return { field, message: e.message ?? 'is invalid' };
  }
}

function check(data: Record<string, unknown>, scalars: Set<string>, source: string, after: string): void {
  if (validateSchema(data)) return;
  const { field, message } = describeError(validateSchema.errors![0]!, scalars);
  fail(source, field, `${message}${after}`);
}

/**
 * Checks a parsed workload object against harness/schema/workload.schema.json (`source` names the
 * file in errors) and fills the defaults. An OpenMessaging Benchmark workload is converted first
 * (harness/workload-omb.ts), what it changed said in the description.
 */
export function validateWorkload(raw: unknown, source: string): Workload {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(source, '(top level)', 'must be a mapping of fields');
  const omb = isOpenMessagingWorkload(raw as Record<string, unknown>);
  const original = omb ? { ...(raw as Record<string, unknown>), name: ombName((raw as Record<string, unknown>).name) } : (raw as Record<string, unknown>);
  const first = withLists(original);
  check(first.data, first.scalars, source, '');
  let data = first.data;
  if (omb) {
    data = fromOpenMessaging(data, (raw as Record<string, unknown>).name, (field, message) => fail(source, field, message));
    check(data, first.scalars, source, ' (after converting the OpenMessaging Benchmark fields)');
  }
  const m = (data.matrix ?? {}) as Partial<Record<keyof MatrixAxes, unknown>>;
  const config: Record<string, string[]> = {};
  for (const [key, values] of Object.entries((m.config ?? {}) as Record<string, unknown[]>)) config[key] = values.map(String);
  const trimmed = (axis: 'engine' | 'transfer' | 'cache' | 'codec') => (m[axis] === undefined ? MATRIX_DEFAULTS[axis] : (m[axis] as string[]).map((v) => v.trim()));
  const matrix: MatrixAxes = {
    engine: trimmed('engine'),
    transfer: trimmed('transfer'),
    cache: trimmed('cache'),
    codec: trimmed('codec'),
    recordBytes: (m.recordBytes as number[] | undefined) ?? MATRIX_DEFAULTS.recordBytes,
    batchRecords: (m.batchRecords as number[] | undefined) ?? MATRIX_DEFAULTS.batchRecords,
    config,
  };
  const fields = Object.fromEntries(Object.keys(WORKLOAD_DEFAULTS).map((k) => [k, data[k] ?? (WORKLOAD_DEFAULTS as Record<string, unknown>)[k]]));
  const kind = data.kind === undefined || data.kind === 'matrix' ? {} : { kind: data.kind as WorkloadKind, options: (data.options ?? {}) as Record<string, unknown> };
  if (kind.kind === undefined && data.options !== undefined && Object.keys(data.options as object).length > 0) fail(source, 'options', 'is read by a workload kind other than matrix: give `kind` too');
  return { ...(fields as Omit<Workload, 'name' | 'matrix'>), ...kind, name: data.name as string, matrix };
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
