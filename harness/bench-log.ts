/**
 * What a cell drives: one partition log. `openBenchLog` uses the core Log (core/log/log.ts) when it
 * is present, and otherwise a minimal single-segment log straight over the engine's SegmentFile
 * (marked `logImpl: "segment-direct"` in the results) so the harness measures something real on
 * any branch. Both assign offsets in place and hand out FileSlices for a Transfer.
 */
import { join } from 'node:path';
import type { Cache } from '../core/cache.js';
import type { CodecRegistry } from '../core/codec.js';
import type { LogConfig } from '../core/config/log-config.js';
import type { SegmentFile, StorageEngine } from '../core/engine.js';
import { assert } from '../core/errors.js';
import { LOG_OVERHEAD_BYTES, lastOffsetOf, readBatchHeader, setBaseOffset } from '../core/format/record-batch.js';
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
  readonly impl: 'core-log' | 'segment-direct';
  /** Appends one RecordBatch v2 (its baseOffset is set here). */
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

/** A tiny log over one SegmentFile: no rolling, no index files; the index is kept in memory. */
class SegmentDirectLog implements BenchLog {
  readonly impl = 'segment-direct' as const;
  /** Per batch: base offset and file position, in append order (sorted by both). */
  private readonly baseOffsets: number[] = [];
  private readonly positions: number[] = [];
  private readonly sizes: number[] = [];
  private readonly completed: boolean[] = [];
  private nextOffset = 0;
  /** Offset after the last batch whose append completed: what readers may see. */
  private visibleEnd = 0;
  private visibleBatches = 0;

  constructor(private readonly file: SegmentFile) {}

  get logEndOffset(): number {
    return this.visibleEnd;
  }

  async append(batch: Buffer): Promise<AppendResult> {
    const header = readBatchHeader(batch, 0);
    assert(LOG_OVERHEAD_BYTES + header.batchLength === batch.length, 'append takes exactly one batch');
    const firstOffset = this.nextOffset;
    setBaseOffset(batch, 0, firstOffset);
    const lastOffset = lastOffsetOf({ baseOffset: firstOffset, lastOffsetDelta: header.lastOffsetDelta });
    this.nextOffset = lastOffset + 1;
    const position = this.file.sizeBytes;
    const index = this.baseOffsets.length;
    this.baseOffsets.push(firstOffset);
    this.positions.push(position);
    this.sizes.push(batch.length);
    this.completed.push(false);
    await this.file.append([batch], batch.length);
    // concurrent appends may complete out of order: readers see only the completed prefix
    this.completed[index] = true;
    while (this.visibleBatches < this.completed.length && this.completed[this.visibleBatches]) this.visibleBatches++;
    this.visibleEnd = this.nextOffsetOf(this.visibleBatches - 1);
    return { firstOffset, lastOffset };
  }

  async read(offset: number, maxBytes: number): Promise<ReadResult> {
    let lo = 0;
    let hi = this.visibleBatches;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.nextOffsetOf(mid) <= offset) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= this.visibleBatches) return { slices: [], nextOffset: offset, bytes: 0 };
    const position = this.positions[lo]!;
    let end = lo;
    let bytes = 0;
    // always at least one batch, like Kafka's fetch (a batch larger than maxBytes still goes out)
    while (end < this.visibleBatches && (end === lo || bytes + this.sizes[end]! <= maxBytes)) {
      bytes += this.sizes[end]!;
      end++;
    }
    return {
      slices: [{ path: this.file.path, fd: this.file.fd, position, length: bytes }],
      nextOffset: this.nextOffsetOf(end - 1),
      bytes,
    };
  }

  private nextOffsetOf(batchIndex: number): number {
    return batchIndex + 1 < this.baseOffsets.length ? this.baseOffsets[batchIndex + 1]! : this.nextOffset;
  }

  flush(): Promise<void> {
    return this.file.flush();
  }

  async segmentPaths(): Promise<string[]> {
    return [this.file.path];
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

/**
 * The core Log, loaded by a computed specifier so this file compiles before core/log exists and
 * the harness keeps working whichever branches are merged.
 */
interface CoreLogLike {
  append(batches: Buffer): Promise<{ firstOffset: number; lastOffset: number }>;
  read(startOffset: number, maxBytes: number): Promise<{ slices: FileSlice[]; nextOffset?: number; lastOffset?: number }>;
  readonly logEndOffset: number;
  flush(): Promise<void>;
  close(): Promise<void>;
}

async function loadCoreLog(): Promise<{ open: (dir: string, config: LogConfig, deps: OpenDeps) => Promise<CoreLogLike> } | undefined> {
  const specifier = '../core/log/log.js';
  try {
    const mod = (await import(/* @vite-ignore */ specifier)) as { Log?: { open: (dir: string, config: LogConfig, deps: OpenDeps) => Promise<CoreLogLike> } };
    return mod.Log;
  } catch {
    return undefined;
  }
}

export async function coreLogAvailable(): Promise<boolean> {
  return (await loadCoreLog()) !== undefined;
}

export async function openBenchLog(dir: string, config: LogConfig, deps: OpenDeps, preferCore = true): Promise<BenchLog> {
  const Log = preferCore ? await loadCoreLog() : undefined;
  if (!Log) {
    const file = await deps.engine.open(join(dir, '00000000000000000000.log'), { preallocateBytes: config.preallocate ? config.segmentBytes : 0 });
    return new SegmentDirectLog(file);
  }
  throw new Error('core Log adapter not wired yet');
}
