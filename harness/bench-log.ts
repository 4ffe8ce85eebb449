/**
 * What a cell drives: one partition log, the core Log (core/log/log.ts) over the cell's engine,
 * cache and codecs. A thin view so run-cell reads as the phases it measures.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cache } from '../core/cache.js';
import type { CodecRegistry } from '../core/codec.js';
import type { LogConfig } from '../core/config/log-config.js';
import type { StorageEngine } from '../core/engine.js';
import { Log } from '../core/log/log.js';
import type { FileSlice } from '../core/transfer.js';

export interface AppendResult {
  firstOffset: number;
  lastOffset: number;
}

export interface ReadResult {
  slices: FileSlice[];
  /** The offset after the last batch in the slices. */
  nextOffset: number;
  bytes: number;
}

export interface BenchLog {
  readonly impl: string;
  /** The core Log underneath (log shipping takes it). */
  readonly coreLog: Log;
  /** Reads whose slices ran past their nextOffset and were trimmed (see CoreLog). */
  readonly trimmedReads: number;
  /** Appends one or more RecordBatch v2 (offsets assigned in place, CRCs validated like a broker). */
  append(batch: Buffer): Promise<AppendResult>;
  read(offset: number, maxBytes: number): Promise<ReadResult>;
  readonly logEndOffset: number;
  flush(): Promise<void>;
  /** Paths of the segment data files, for residency probes and cold reads. */
  segmentPaths(): Promise<string[]>;
  close(): Promise<void>;
}

export interface OpenDeps {
  engine: StorageEngine;
  codecs: CodecRegistry;
  cache: Cache;
}

class CoreLog implements BenchLog {
  readonly impl = 'core-log';
  /**
   * Bytes and next offset of every batch this log appended, by base offset. Used to trim a read
   * that overshoots: core Log.read takes the log end offset before it awaits and the segment's
   * committed bytes after, so while appends land it can return batches past the `nextOffset` it
   * reports, and a tailing reader would send them twice. Remove once Log.read is fixed.
   */
  private readonly batchesByOffset = new Map<number, { bytes: number; next: number }>();
  trimmedReads = 0;

  constructor(private readonly log: Log, private readonly dir: string) {}
  get coreLog(): Log {
    return this.log;
  }
  get logEndOffset(): number {
    return this.log.logEndOffset;
  }
  async append(batch: Buffer): Promise<AppendResult> {
    const bytes = batch.length;
    const r = await this.log.append(batch);
    this.batchesByOffset.set(r.firstOffset, { bytes, next: r.lastOffset + 1 });
    return r;
  }
  async read(offset: number, maxBytes: number): Promise<ReadResult> {
    const r = await this.log.read(offset, maxBytes);
    if (r.firstBatchOffset === undefined || r.bytes === 0) return r;
    let expected = 0;
    for (let o = r.firstBatchOffset; o < r.nextOffset; ) {
      const b = this.batchesByOffset.get(o);
      if (!b) return r; // not a batch this log appended (cannot check): pass through
      expected += b.bytes;
      o = b.next;
    }
    if (expected >= r.bytes) return r;
    this.trimmedReads++;
    const slices: FileSlice[] = [];
    let left = expected;
    for (const slice of r.slices) {
      if (left <= 0) break;
      const length = Math.min(slice.length, left);
      slices.push({ ...slice, length });
      left -= length;
    }
    return { slices, nextOffset: r.nextOffset, bytes: expected };
  }
  flush(): Promise<void> {
    return this.log.flush();
  }
  async segmentPaths(): Promise<string[]> {
    return (await readdir(this.dir)).filter((n) => n.endsWith('.log')).sort().map((n) => join(this.dir, n));
  }
  close(): Promise<void> {
    return this.log.close();
  }
}

export async function openBenchLog(dir: string, config: LogConfig, deps: OpenDeps): Promise<BenchLog> {
  const log = await Log.open(dir, config, { engine: deps.engine, codecs: deps.codecs, cache: deps.cache });
  return new CoreLog(log, dir);
}
