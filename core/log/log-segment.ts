/**
 * One segment of a partition log (Kafka's LogSegment): the `.log` file behind the engine, its
 * `.index` and `.timeindex`, and the bookkeeping that decides index entries and rolls.
 */
import fs from 'node:fs';
import { readThrough, type Cache, type FileCache } from '../cache.js';
import type { LogConfig } from '../config/log-config.js';
import type { SegmentFile, StorageEngine } from '../engine.js';
import { LOG_SEGMENT_FILE_METHODS, checkedSegmentFile } from '../engine-shape.js';
import { CorruptRecordError, assert, assertionFailed } from '../errors.js';
import { OffsetIndex } from '../index/offset-index.js';
import { readIndexFile } from '../index/index-file.js';
import { TimeIndex } from '../index/time-index.js';
import type { Logger } from '../tokens.js';
import type { FileSlice } from '../transfer.js';
import { SCAN_HEADER_ONLY_BYTES, SCAN_LARGE_BATCH_BYTES, scanBatchHeaders, scanValidBatches, type BatchLocation } from './file-records.js';
import { DELETED_SUFFIX, segmentPaths } from './file-names.js';

export interface SegmentDeps {
  engine: StorageEngine;
  cache: Cache;
  logger: Logger;
}

export interface RecoveryResult {
  validBytes: number;
  truncatedBytes: number;
  /** Why bytes were cut; undefined when the segment was whole. */
  reason?: string;
  /** Last offset of the last valid batch, or undefined when the segment holds none. */
  lastOffset?: number;
}

/** Where a read lies in one segment (LogSegment.locateRead). */
export interface ReadRange {
  first: BatchLocation;
  /** End of the last whole batch returned (a batch boundary). */
  end: number;
  /** Where the next read continues (the next batch's base offset); undefined when the range runs to the segment's end. */
  nextOffset: number | undefined;
}

const RELATIVE_OFFSET_MAX = 0xffffffff;

/**
 * The largest batch a scan of a segment file accepts (a bound on what a garbage length can make it
 * read). Not message.max.bytes: batches stored under a larger setting (or by Kafka with its own)
 * stay valid when the setting is lowered, as in Kafka, whose recovery applies no size limit.
 */
export const STORED_BATCH_BYTES_MAX = 100 * 1024 * 1024;

export class LogSegment {
  /** Bytes whose append completed: readers never look past this. */
  committedBytes: number;
  maxTimestampSoFar = -1;
  offsetOfMaxTimestampSoFar = -1;
  /** The first batch's max timestamp: segment.ms counts from it (Kafka's rollingBasedTimestamp). */
  rollingBasedTimestamp: number | undefined;
  private bytesSinceLastIndexEntry = 0;
  /** The last read here found a batch of SCAN_LARGE_BATCH_BYTES or more: scans start with one header. */
  private largeBatches = false;
  private active: boolean;
  /** Index file preallocation while active: segment.index.bytes rounded down to whole entries. */
  private readonly indexPreallocateBytes: number;
  /** The cache's operations for this open file: every read into user space asks them (core/cache.ts). */
  private readonly cached: FileCache;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    readonly file: SegmentFile,
    readonly offsetIndex: OffsetIndex,
    readonly timeIndex: TimeIndex,
    private readonly config: LogConfig,
    private readonly deps: SegmentDeps,
    active: boolean,
  ) {
    this.committedBytes = file.sizeBytes;
    this.active = active;
    this.indexPreallocateBytes = config.segmentIndexBytes;
    this.cached = deps.cache.open(file);
  }

  /** Opens (creating when missing) the segment at `baseOffset`; indexes load from their files. */
  static async open(dir: string, baseOffset: number, config: LogConfig, deps: SegmentDeps, active: boolean, loadIndexes: boolean): Promise<LogSegment> {
    const paths = segmentPaths(dir, baseOffset);
    const file = await checkedSegmentFile(await deps.engine.open(paths.log, { preallocateBytes: active && config.preallocate ? config.segmentBytes : 0 }), deps.engine, paths.log, LOG_SEGMENT_FILE_METHODS);
    const offsetBytes = loadIndexes ? readIndexFile(paths.index) : undefined;
    const timeBytes = loadIndexes ? readIndexFile(paths.timeIndex) : undefined;
    const segment = new LogSegment(
      dir,
      baseOffset,
      file,
      new OffsetIndex(paths.index, baseOffset, config.segmentIndexBytes, offsetBytes && trimZeroEntries(offsetBytes, 8)),
      new TimeIndex(paths.timeIndex, baseOffset, config.segmentIndexBytes, timeBytes && trimZeroEntries(timeBytes, 12)),
      config,
      deps,
      active,
    );
    if (active) segment.flushIndexes(false);
    return segment;
  }

  get sizeBytes(): number {
    return this.file.sizeBytes;
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Newest timestamp in the segment (for retention.ms); the file's mtime when none is known. */
  largestTimestamp(): number {
    if (this.maxTimestampSoFar >= 0) return this.maxTimestampSoFar;
    const last = this.timeIndex.lastEntry();
    if (last) return last.timestamp;
    return fs.statSync(this.file.path).mtimeMs;
  }

  /** Why this segment must roll before appending the batch set, or undefined (Kafka's shouldRoll). */
  rollReason(batchBytes: number, maxTimestamp: number, lastOffset: number): string | undefined {
    const size = this.file.sizeBytes;
    if (size > 0 && size > this.config.segmentBytes - batchBytes) return `segment.bytes (${this.config.segmentBytes}) reached`;
    if (size > 0 && this.rollingBasedTimestamp !== undefined && maxTimestamp - this.rollingBasedTimestamp > this.config.segmentMs) {
      return `segment.ms (${this.config.segmentMs}) elapsed`;
    }
    if (this.offsetIndex.isFull()) return 'offset index full';
    if (this.timeIndex.isFull()) return 'time index full';
    if (lastOffset - this.baseOffset > RELATIVE_OFFSET_MAX) return 'relative offset would overflow';
    return undefined;
  }

  /**
   * Appends a validated batch set whose offsets are assigned. Index entries follow Kafka's rule:
   * after more than index.interval.bytes since the last entry, one entry pairing the set's LAST
   * offset with its START position (the first append never gets one).
   */
  append(lastOffset: number, maxTimestamp: number, offsetOfMaxTimestamp: number, chunks: readonly Buffer[], bytes: number): Promise<void> {
    if (!this.active) assertionFailed(`append to inactive segment ${this.baseOffset}`);
    if (!(lastOffset - this.baseOffset <= RELATIVE_OFFSET_MAX && lastOffset >= this.baseOffset)) assertionFailed(`offset ${lastOffset} outside segment ${this.baseOffset}`);
    const position = this.file.sizeBytes;
    if (position === 0) this.rollingBasedTimestamp = maxTimestamp;
    if (maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = maxTimestamp;
      this.offsetOfMaxTimestampSoFar = offsetOfMaxTimestamp;
    }
    if (this.bytesSinceLastIndexEntry > this.config.indexIntervalBytes) {
      this.offsetIndex.append(lastOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += bytes;
    const written = this.file.append(chunks, bytes);
    this.cached.onAppend(position, bytes);
    return written;
  }

  /**
   * Where a read of at most `maxBytes` from `offset` lies in this segment, within its first
   * `endBytes` bytes (the committed bytes a read's snapshot saw): one offset-index lookup and a scan
   * for the first batch whose last offset >= `offset`; then, unless the read runs to the end, one
   * more index lookup by position near the byte limit and a short scan for the last whole batch
   * that fits. Undefined when nothing at or after `offset` is here.
   */
  async locateRead(offset: number, maxBytes: number, endBytes: number, minOneBatch: boolean): Promise<ReadRange | undefined> {
    const first = await this.translateOffset(offset, endBytes);
    if (!first) return undefined;
    const limit = first.position + maxBytes;
    if (limit >= endBytes) return { first, end: endBytes, nextOffset: undefined };
    // index entries point at batch starts, so everything before the entry at or below the limit is
    // whole batches that fit; the scan goes on from there to the first batch that does not
    let end = Math.max(first.position, this.offsetIndex.lookupByPosition(limit).position);
    let nextOffset: number | undefined;
    // the batches near the limit are most likely of the first one's kind (file-records.ts)
    this.largeBatches = first.sizeBytes >= SCAN_LARGE_BATCH_BYTES;
    for await (const batch of scanBatchHeaders(this.file, end, endBytes, this.cached, this.firstScanWindowBytes())) {
      if (batch.position + batch.sizeBytes > limit) {
        nextOffset = batch.baseOffset;
        break;
      }
      end = batch.position + batch.sizeBytes;
    }
    if (end > first.position) return { first, end, nextOffset };
    // not even the first batch fits: it alone, when asked (Kafka's minOneMessage), else nothing
    if (!minOneBatch) return { first, end, nextOffset: first.baseOffset };
    return { first, end: first.position + first.sizeBytes, nextOffset: first.lastOffset + 1 };
  }

  /**
   * The first batch whose last offset >= `offset`, from the index entry at or below it. What the
   * scan finds is checked, since a read must never return other offsets than asked for: the batch
   * at an index entry holds that entry's offset (or an index bit flip sent the scan elsewhere: the
   * segment is then scanned from its start, with a warning), and offsets increase from batch to
   * batch within the segment (a flipped base offset is a CorruptRecordError naming file and position).
   */
  async translateOffset(offset: number, endBytes = this.committedBytes): Promise<BatchLocation | undefined> {
    const entry = this.offsetIndex.lookup(offset);
    const found = await this.scanFor(offset, entry.position, endBytes, entry.position > 0 ? entry.offset : undefined);
    if (found !== 'index-mismatch') return found;
    this.deps.logger.warn(`${this.offsetIndex.path}: the entry for offset ${entry.offset} points at position ${entry.position}, where no batch holding it starts; scanning ${this.file.path} from its start`);
    const rescanned = await this.scanFor(offset, 0, endBytes, undefined);
    return rescanned === 'index-mismatch' ? undefined : rescanned;
  }

  /** One header when the last read found large batches here, else the scan's default window. */
  private firstScanWindowBytes(): number | undefined {
    return this.largeBatches ? SCAN_HEADER_ONLY_BYTES : undefined;
  }

  private async scanFor(offset: number, from: number, endBytes: number, entryOffset: number | undefined): Promise<BatchLocation | undefined | 'index-mismatch'> {
    // cleanup.policy=delete: offsets are consecutive in a segment (only compaction leaves gaps)
    const consecutive = this.config.cleanupPolicy !== 'compact';
    let previous: BatchLocation | undefined;
    let found: BatchLocation | undefined;
    for await (const batch of scanBatchHeaders(this.file, from, endBytes, this.cached, this.firstScanWindowBytes())) {
      if (previous === undefined && entryOffset !== undefined && !(batch.baseOffset >= this.baseOffset && batch.baseOffset <= entryOffset && batch.lastOffset >= batch.baseOffset)) return 'index-mismatch';
      const expected = previous ? previous.lastOffset + 1 : from === 0 ? this.baseOffset : undefined;
      if (expected !== undefined && (consecutive ? batch.baseOffset !== expected : batch.baseOffset < expected)) {
        throw new CorruptRecordError(`${this.file.path}: batch at position ${batch.position} has base offset ${batch.baseOffset}, expected ${consecutive ? '' : 'at least '}${expected} (after the batch at position ${previous?.position ?? 'none, segment base'})`, batch.position);
      }
      // the batch after the one found is checked too: a base offset flipped upwards shows only there
      if (found) return found;
      if (batch.lastOffset >= offset) {
        if (consecutive && batch.baseOffset > offset && previous !== undefined) {
          throw new CorruptRecordError(`${this.file.path}: batch at position ${batch.position} starts at ${batch.baseOffset}, past offset ${offset} that follows ${previous.lastOffset}`, batch.position);
        }
        found = batch;
      }
      previous = batch;
    }
    return found;
  }

  /** The first batch with maxTimestamp >= ts, scanning from the time index entry at or below ts. */
  async findBatchByTimestamp(timestamp: number, startingOffset: number): Promise<BatchLocation | undefined> {
    const entry = this.timeIndex.lookup(timestamp);
    const from = Math.max(entry.offset, startingOffset);
    const startPosition = this.offsetIndex.lookup(from).position;
    for await (const batch of scanBatchHeaders(this.file, startPosition, this.committedBytes, this.cached)) {
      if (batch.maxTimestamp >= timestamp && batch.lastOffset >= startingOffset) return batch;
    }
    return undefined;
  }

  /** A slice of this file, carrying its cache operations for a transfer that reads it (buffered). */
  slice(position: number, length: number): FileSlice {
    return { path: this.file.path, fd: this.file.fd, position, length, cache: this.cached };
  }

  /** Reads bytes of the committed region, through the cache; the result must not be modified. */
  async readBytes(position: number, length: number): Promise<Buffer> {
    if (position + length > this.committedBytes) assertionFailed(`read past committed bytes of segment ${this.baseOffset}`);
    return readThrough(this.cached, this.file, position, length, length);
  }

  /** The last batch of the segment (via the last index entry and a short scan), if any. */
  async lastBatch(): Promise<BatchLocation | undefined> {
    const start = this.offsetIndex.lastEntry()?.position ?? 0;
    let last: BatchLocation | undefined;
    for await (const batch of scanBatchHeaders(this.file, start, this.committedBytes, this.cached)) last = batch;
    return last;
  }

  /**
   * Validates the tail of a trusted segment, from its last offset-index entry to the end of the
   * file: every batch whole and valid, and the last one ending where the file ends. A clean-shutdown
   * marker vouches for the files, not for what happened to them since; returns what is wrong, or
   * undefined.
   */
  async validateTail(): Promise<string | undefined> {
    const entry = this.offsetIndex.lastEntry();
    const from = entry?.position ?? 0;
    const fileBytes = this.file.sizeBytes;
    const consecutive = this.config.cleanupPolicy !== 'compact';
    let first: BatchLocation | undefined;
    const scan = await scanValidBatches(this.file, from, fileBytes, STORED_BATCH_BYTES_MAX, this.baseOffset, (b) => (first ??= b), consecutive && (from === 0 || 'after-first'));
    // the batch at the last index entry holds (or starts the set ending at) the entry's offset
    if (entry && first && (first.baseOffset > entry.offset || first.baseOffset < this.baseOffset)) {
      return `the batch at the last index entry (position ${from}) starts at offset ${first.baseOffset}, not at or below the entry's ${entry.offset}`;
    }
    if (from + scan.validBytes === fileBytes) return undefined;
    return scan.stopReason ?? `valid batches end at position ${from + scan.validBytes} of ${fileBytes}`;
  }

  /**
   * Re-validates every batch from the start, rebuilds both indexes, and truncates at the first
   * invalid or partial batch (Kafka's LogSegment.recover).
   */
  async recover(expectedOffsetMin: number): Promise<RecoveryResult> {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.maxTimestampSoFar = -1;
    this.offsetOfMaxTimestampSoFar = -1;
    this.rollingBasedTimestamp = undefined;
    let lastIndexEntryBytes = 0;
    let lastOffset: number | undefined;
    const fileBytes = this.file.sizeBytes;
    this.committedBytes = fileBytes;
    // cleanup.policy=delete: the first batch starts at the segment's base, the rest follow on
    const consecutive = this.config.cleanupPolicy !== 'compact';
    const scan = await scanValidBatches(this.file, 0, fileBytes, STORED_BATCH_BYTES_MAX, consecutive ? Math.max(expectedOffsetMin, this.baseOffset) : expectedOffsetMin, (batch) => {
      if (lastOffset === undefined) this.rollingBasedTimestamp = batch.maxTimestamp;
      if (batch.maxTimestamp > this.maxTimestampSoFar) {
        this.maxTimestampSoFar = batch.maxTimestamp;
        this.offsetOfMaxTimestampSoFar = batch.lastOffset;
      }
      if (batch.position - lastIndexEntryBytes > this.config.indexIntervalBytes && !this.offsetIndex.isFull()) {
        this.offsetIndex.append(batch.lastOffset, batch.position);
        this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
        lastIndexEntryBytes = batch.position;
      }
      lastOffset = batch.lastOffset;
    }, consecutive);
    const truncatedBytes = fileBytes - scan.validBytes;
    if (truncatedBytes > 0) {
      await this.cutFile(scan.validBytes);
    }
    this.committedBytes = scan.validBytes;
    this.bytesSinceLastIndexEntry = scan.validBytes - lastIndexEntryBytes;
    this.offsetIndex.flushToFile(this.active ? this.indexPreallocateBytes : 0, false);
    this.timeIndex.flushToFile(this.active ? this.indexPreallocateBytes : 0, false);
    // zeros after the data of the active segment are its preallocated reservation, not damage; in a
    // closed segment (trimmed on roll) they are lost data and said so
    const reason = truncatedBytes > 0 && !(scan.stoppedAtZeros && this.active) ? scan.stopReason : undefined;
    return { validBytes: scan.validBytes, truncatedBytes: reason ? truncatedBytes : 0, reason, lastOffset };
  }

  /** Restores in-memory state of a cleanly closed segment from its indexes and last batch. */
  async loadState(): Promise<BatchLocation | undefined> {
    this.offsetIndex.sanityCheck();
    this.timeIndex.sanityCheck();
    const lastEntry = this.offsetIndex.lastEntry();
    assert(!lastEntry || lastEntry.position < this.file.sizeBytes, `offset index ${this.offsetIndex.path} points past the end of its segment`);
    const last = await this.lastBatch();
    const lastTime = this.timeIndex.lastEntry();
    // the last entries must lie inside the segment's offsets: a flipped bit there would otherwise
    // only show later, as an append that finds the time index going backwards
    const lastOffset = last?.lastOffset ?? this.baseOffset;
    for (const [what, entry] of [['offset index', lastEntry], ['time index', lastTime]] as const) {
      if (entry && (entry.offset < this.baseOffset || entry.offset > lastOffset)) {
        assertionFailed(`${what} of ${this.file.path}: last entry offset ${entry.offset} lies outside the segment's offsets ${this.baseOffset}..${lastOffset}`);
      }
    }
    if (lastTime) {
      this.maxTimestampSoFar = lastTime.timestamp;
      this.offsetOfMaxTimestampSoFar = lastTime.offset;
    }
    if (last && last.maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = last.maxTimestamp;
      this.offsetOfMaxTimestampSoFar = last.lastOffset;
    }
    if (this.active && this.file.sizeBytes > 0) {
      const first = await scanBatchHeaders(this.file, 0, this.committedBytes, this.cached).next();
      if (!first.done) this.rollingBasedTimestamp = first.value.maxTimestamp;
      const lastEntry = this.offsetIndex.lastEntry();
      this.bytesSinceLastIndexEntry = lastEntry ? this.file.sizeBytes - lastEntry.position : this.file.sizeBytes;
    }
    return last;
  }

  /**
   * Makes appended bytes durable. The index files of the active segment are not written: an active
   * segment is always re-validated after a crash and its indexes rebuilt (as Kafka's recovery does),
   * so a durable append costs one data sync. A closed segment's indexes are final and synced here,
   * before a recovery point past it lets a later load trust them.
   */
  async flush(): Promise<void> {
    await this.file.flush();
    if (!this.active) this.flushIndexes(true);
  }

  flushIndexes(sync: boolean): void {
    const preallocate = this.active ? this.indexPreallocateBytes : 0;
    this.offsetIndex.flushToFile(preallocate, sync);
    this.timeIndex.flushToFile(preallocate, sync);
  }

  /** On roll: final time index entry, indexes and log file trimmed to their valid size. */
  async onBecomeInactive(): Promise<void> {
    if (this.maxTimestampSoFar >= 0) this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
    this.active = false;
    this.flushIndexes(false);
    await this.file.trim();
  }

  /** Cuts the segment so that it ends at `position` (a batch boundary) and drops later index entries. */
  async truncateTo(position: number, firstRemovedOffset: number): Promise<void> {
    await this.cutFile(position);
    this.committedBytes = position;
    this.offsetIndex.truncateTo(firstRemovedOffset);
    this.timeIndex.truncateTo(firstRemovedOffset);
    this.flushIndexes(false);
  }

  /**
   * Truncates the file, with the cache told before (nothing past the cut is served while the
   * truncate runs) and after (a read that began during it may have read the old bytes: its
   * generation is then stale and what it read is not kept).
   */
  private async cutFile(position: number): Promise<void> {
    this.cached.invalidate(position);
    try {
      await this.file.truncate(position);
    } finally {
      this.cached.invalidate(position);
    }
  }

  /** Trims and closes; the file descriptor is closed even when trimming fails (a full disk). */
  async close(): Promise<void> {
    try {
      if (this.active) await this.onBecomeInactive();
      // synced: a clean-shutdown marker written after close lets the next open trust them
      this.flushIndexes(true);
    } finally {
      this.cached.close();
      await this.file.close();
    }
  }

  /**
   * Renames the files to `.deleted` so the segment is no longer part of the log (and a crash cannot
   * resurrect it); the descriptor stays open so reads and transfers already holding a slice finish.
   */
  markDeleted(): void {
    // what is held goes; slices still in flight read the renamed file through its descriptor
    this.cached.close();
    for (const path of this.paths()) {
      try {
        fs.renameSync(path, path + DELETED_SUFFIX);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }

  /** Closes the descriptor and removes the `.deleted` files. */
  async destroy(): Promise<void> {
    try {
      await this.file.close();
    } finally {
      for (const path of this.paths()) fs.rmSync(path + DELETED_SUFFIX, { force: true });
    }
  }

  /** Deletes at once (recovery, replacing an empty segment): nothing can hold a slice of it. */
  async delete(): Promise<void> {
    this.markDeleted();
    await this.destroy();
  }

  private paths(): string[] {
    return [this.file.path, this.offsetIndex.path, this.timeIndex.path];
  }
}

/** Index files of an active segment are preallocated with zeros; keep only real entries. */
function trimZeroEntries(bytes: Buffer, entryBytes: number): Buffer {
  let count = Math.floor(bytes.length / entryBytes);
  // an all-zero entry past the first can only be preallocated space (offsets strictly increase)
  while (count > 1 && bytes.subarray((count - 1) * entryBytes, count * entryBytes).every((b) => b === 0)) count--;
  if (count === 1 && bytes.subarray(0, entryBytes).every((b) => b === 0)) count = 0;
  return bytes.subarray(0, count * entryBytes);
}
