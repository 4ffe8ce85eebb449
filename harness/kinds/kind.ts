/**
 * A workload kind other than matrix: a focused comparison run by `strata bench --workload FILE`
 * whose results.json has the one results schema (cells of repetitions and their spreads, so that
 * `strata compare` reads it), with the kind's own record of the run under `details`.
 */
import { StrataError } from '../../core/errors.js';
import type { Fingerprint } from '../fingerprint.js';
import { RESULTS_SCHEMA_VERSION, summarizeRepetitions, type BenchResults, type CellResult, type Metrics } from '../results.js';
import type { Workload } from '../workload.js';

export interface KindRun {
  workload: Workload;
  workloadFile: string | null;
  /** Directory on the disk under test; the kind writes below it and removes what it wrote. */
  dataDir: string;
  outDir: string;
  quick: boolean;
  log: (line: string) => void;
}

/** The reader of a run's `options` for `kind`. */
export function kindOptions(run: KindRun, kind: string): KindOptions {
  return new KindOptions(run.workload.options ?? {}, run.workloadFile ?? 'command line', kind);
}

/** Reads one option of a kind's `options`, the error naming the file and the field. */
export class KindOptions {
  private readonly seen = new Set<string>();
  constructor(private readonly options: Record<string, unknown>, private readonly source: string, private readonly kind: string) {}

  private fail(field: string, message: string): never {
    throw new StrataError('INVALID_ARGUMENT', `workload ${this.source}: field "options.${field}" ${message}`);
  }

  private get(field: string): unknown {
    this.seen.add(field);
    return this.options[field];
  }

  positive(field: string, fallback: number): number {
    const v = this.get(field);
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) this.fail(field, `must be a positive number, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A non-empty list of positive integers (or one), ascending and without repeats. */
  positiveIntegers(field: string, fallback: number[]): number[] {
    const v = this.get(field);
    if (v === undefined) return fallback;
    const items = typeof v === 'number' ? [v] : v;
    if (!Array.isArray(items) || items.length === 0 || !items.every((n) => Number.isInteger(n) && n > 0)) this.fail(field, `must be a non-empty list of positive integers, got ${JSON.stringify(v)}`);
    const list = items as number[];
    if (list.some((n, i) => i > 0 && n <= list[i - 1]!)) this.fail(field, `must be ascending without repeats, got ${JSON.stringify(v)}`);
    return list;
  }

  /** A whole number (MiB, records, clients) up to `max`, cut to `quickMax` when given (a --quick run). */
  count(field: string, fallback: number, max: number, quickMax?: number): number {
    const v = Math.round(this.positive(field, fallback));
    if (v > max) this.fail(field, `must be at most ${max}, got ${v}`);
    return quickMax === undefined ? v : Math.min(v, quickMax);
  }

  bool(field: string, fallback: boolean): boolean {
    const v = this.get(field);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') this.fail(field, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  oneOf<T extends string>(field: string, allowed: readonly T[], fallback: T): T {
    const v = this.get(field);
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !allowed.includes(v as T)) this.fail(field, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  }

  /** A list of strings (or one string), each checked by `parse`, whose error is reported as the field's. */
  list<T>(field: string, fallback: T, parse: (csv: string) => T): T {
    const v = this.get(field);
    if (v === undefined) return fallback;
    const items = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(items) || items.length === 0 || !items.every((s) => typeof s === 'string')) this.fail(field, `must be a non-empty list of names, got ${JSON.stringify(v)}`);
    try {
      return parse(items.join(','));
    } catch (err) {
      this.fail(field, (err as Error).message.replace(/^--[a-z-]+: /, ''));
    }
  }

  string(field: string, fallback: string): string {
    const v = this.get(field);
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || v.length === 0) this.fail(field, `must be a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  }

  /** After every option was read: a field the kind does not know is a typo, not a default. */
  done(): void {
    const unknown = Object.keys(this.options).filter((k) => !this.seen.has(k));
    if (unknown.length) this.fail(unknown[0]!, `is not an option of kind ${this.kind} (known: ${[...this.seen].join(', ')})`);
  }
}

/** The cell fields a focused comparison fills; the matrix's own (baselines, ratios) stay empty. */
export interface FocusedCell {
  id: string;
  engine: string;
  transfer: string;
  codec: string;
  recordBytes: number;
  logImpl: string;
  notes: string[];
  repetitions: Metrics[];
  /** Set when no repetition measured anything: the cell is `failed` with this reason. */
  error?: string;
}

export function focusedCell(c: FocusedCell): CellResult {
  const base = { id: c.id, engine: c.engine, transfer: c.transfer, cache: 'none', codec: c.codec, recordBytes: c.recordBytes, batchRecords: 1, config: {}, notes: c.notes, baselineRefs: {}, ratios: {} };
  if (c.repetitions.length === 0) return { ...base, status: 'failed', reason: c.error ?? 'no repetition measured this cell', repetitions: [], summary: {} };
  return { ...base, status: 'ok', logImpl: c.logImpl, repetitions: c.repetitions, summary: summarizeRepetitions(c.repetitions) };
}

export function focusedResults(run: KindRun, fingerprint: Fingerprint, cells: CellResult[], details: Record<string, unknown>, notes: string[], startedMs: number): BenchResults {
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: 'strata bench',
    workload: run.workload,
    workloadFile: run.workloadFile,
    quick: run.quick,
    receiver: null,
    fingerprint,
    baselines: { fio: {}, iperf3: [], notes },
    cells,
    durationSeconds: Math.round((Date.now() - startedMs) / 100) / 10,
    details,
  };
}
