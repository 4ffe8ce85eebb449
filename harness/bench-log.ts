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
  constructor(private readonly log: Log, private readonly dir: string) {}
  get coreLog(): Log {
    return this.log;
  }
  get logEndOffset(): number {
    return this.log.logEndOffset;
  }
  append(batch: Buffer): Promise<AppendResult> {
    return this.log.append(batch);
  }
  read(offset: number, maxBytes: number): Promise<ReadResult> {
    return this.log.read(offset, maxBytes);
  }
  flush(): Promise<void> {
    return this.log.flush();
  }
  async segmentPaths(): Promise<string[]> {
    return (await readdir(this.dir)).filter((n) => n.endsWith('.log')).sort().map((n) => join(this.dir, n));
  }
  async close(): Promise<void> {
    await this.log.close();
  }
}

export async function openBenchLog(dir: string, config: LogConfig, deps: OpenDeps): Promise<BenchLog> {
  const log = await Log.open(dir, config, { engine: deps.engine, codecs: deps.codecs, cache: deps.cache });
  return new CoreLog(log, dir);
}
