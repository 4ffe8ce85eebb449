/**
 * What every conformance module shares: the injected test function wrapped so that each test gets
 * its own scope (temp dirs, logs and segment files it opened, all closed and removed when the test
 * ends, pass or fail), record builders, and a reader of a whole log. No hooks are needed from the
 * test runner, so any runner whose `test(name, fn)` awaits a promise can run the suite.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { logConfigFrom } from '../../core/config/log-config.js';
import type { SegmentFile, SegmentOpenOptions, StorageEngine } from '../../core/engine.js';
import type { ProducerRecord } from '../../core/format/records.js';
import { checkedSegmentFile } from '../../core/engine-shape.js';
import { Log, type LoadOptions } from '../../core/log/log.js';
import { silentLogger, type Logger } from '../../core/tokens.js';

/** The test functions the suite needs, injected (vitest's and jest's have this shape). */
export interface ConformanceTestApi {
  /** Registers a test; the suite passes a timeout as the third argument for its long tests. */
  test(name: string, fn: () => Promise<void>, timeoutMs?: number): unknown;
  /** Groups a module's tests; without it the module's name prefixes each test's name. */
  describe?(name: string, fn: () => void): unknown;
}

export interface ConformanceOptions {
  engine: StorageEngine;
  /** How a child process loads the engine (name or module path), for the crash and native tests. */
  engineModule?: string;
  /** SIGKILL cycles of the crash test (default 20). */
  crashCycles?: number;
  /** The test functions; default: vitest's, when vitest is installed. */
  test?: ConformanceTestApi;
  /** Only these modules (names as in MODULES, suite.ts); default all. */
  modules?: readonly string[];
}

export const BASE_TS = 1_700_000_000_000;

export function records(n: number, from: number, valueBytes = 100): ProducerRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    key: Buffer.from(`key-${from + i}`),
    value: Buffer.alloc(valueBytes, (from + i) % 251),
    headers: [{ key: 'h', value: Buffer.from(String(from + i)) }],
    timestamp: BASE_TS + from + i,
  }));
}

export class CapturingLogger implements Logger {
  readonly lines: string[] = [];
  info = (m: string) => void this.lines.push(`INFO ${m}`);
  warn = (m: string) => void this.lines.push(`WARN ${m}`);
  error = (m: string) => void this.lines.push(`ERROR ${m}`);
  get warnings(): string[] {
    return this.lines.filter((l) => !l.startsWith('INFO'));
  }
}

export interface ReadRecord {
  offset: number;
  key: string;
  value: Buffer;
}

/** Every record from `from` to the log end, through readBatches (which validates each CRC). */
export async function readAll(log: Log, from = log.logStartOffset): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const batches = await log.readBatches(offset, 64 * 1024);
    assert.ok(batches.length > 0, `no batch at offset ${offset} below the log end ${log.logEndOffset}`);
    for (const b of batches) {
      for (const r of b.records) if (r.offset >= offset) out.push({ offset: r.offset, key: r.key!.toString(), value: Buffer.from(r.value!) });
      offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
    }
  }
  return out;
}

/** One test's resources, released when it ends. */
export class Scope {
  private readonly dirs: string[] = [];
  private readonly logs: Log[] = [];
  private readonly files: SegmentFile[] = [];

  constructor(readonly engine: StorageEngine) {}

  dir(): string {
    const d = fs.mkdtempSync(join(os.tmpdir(), 'strata-conf-'));
    this.dirs.push(d);
    return d;
  }

  /** `load` is what a LogManager passes (the clean-shutdown marker it found, the recovery point). */
  async openLog(dir: string, props: Record<string, string> = {}, logger: Logger = silentLogger, now?: () => number, load?: LoadOptions): Promise<Log> {
    const log = await Log.open(dir, logConfigFrom({ 'retention.ms': '-1', ...props }), { engine: this.engine, logger, now }, load);
    this.logs.push(log);
    return log;
  }

  /** The engine's own open, not through the Log. */
  async openFile(path: string, options: SegmentOpenOptions = { preallocateBytes: 0 }): Promise<SegmentFile> {
    // a file lacking methods fails here, naming them, not later as `file.x is not a function`
    const file = await checkedSegmentFile(await this.engine.open(path, options), this.engine, path);
    this.files.push(file);
    return file;
  }

  async release(): Promise<void> {
    for (const log of this.logs.splice(0)) await log.close().catch(() => {});
    for (const file of this.files.splice(0)) await file.close().catch(() => {});
    for (const d of this.dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  }
}

/** How a module registers its tests: each body gets a fresh Scope, released after it. */
export interface Suite {
  readonly engine: StorageEngine;
  readonly options: ConformanceOptions;
  test(name: string, body: (scope: Scope) => Promise<void>, timeoutMs?: number): void;
}

export function suiteFor(api: ConformanceTestApi, options: ConformanceOptions, prefix: string): Suite {
  return {
    engine: options.engine,
    options,
    test(name, body, timeoutMs) {
      const run = async () => {
        const scope = new Scope(options.engine);
        try {
          await body(scope);
        } finally {
          await scope.release();
        }
      };
      api.test(prefix ? `${prefix}: ${name}` : name, run, timeoutMs);
    },
  };
}

/**
 * A child-process script of the suite and how to run it: from dist/ the built JavaScript
 * (`conformance-<name>.js`, a tsup entry beside conformance.js), from source the TypeScript
 * through tsx. Resolved from this module, which is test/conformance/ in source and dist/ built.
 */
export function childScript(name: string): { script: string; nodeArgs: string[] } {
  const built = fileURLToPath(new URL(`./conformance-${name}.js`, import.meta.url));
  if (fs.existsSync(built)) return { script: built, nodeArgs: [] };
  return { script: fileURLToPath(new URL(`./${name}.ts`, import.meta.url)), nodeArgs: ['--import', 'tsx'] };
}

/** Bytes of `chunks` together. */
export const bytesOf = (chunks: readonly Buffer[]): number => chunks.reduce((n, c) => n + c.length, 0);

const NO_RUNNER =
  'strata-log/conformance: no test functions were given and vitest is not installed. Either install vitest ' +
  '(`npm install --save-dev vitest`) or pass your runner\'s: runConformance({ engine, test: { test, describe } })';

/** vitest's test functions, when vitest is installed (every suite's default runner). */
export async function vitestApi(): Promise<ConformanceTestApi> {
  let vitest: typeof import('vitest');
  try {
    vitest = await import('vitest');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new Error(NO_RUNNER, { cause: err });
    throw err;
  }
  return { test: (name, fn, timeoutMs) => vitest.test(name, fn, timeoutMs), describe: (name, fn) => vitest.describe(name, fn) };
}
