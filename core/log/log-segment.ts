/**
 * One segment of a partition log (Kafka's LogSegment): the `.log` file behind the engine, its
 * `.index` and `.timeindex`, and the bookkeeping that decides index entries and rolls.
 */
import fs from 'node:fs';
import { readThrough, type Cache, type FileCache } from '../cache.js';
import type { LogConfig } from '../config/log-config.js';
import type { SegmentFile, StorageEngine } from '../engine.js';
import { CorruptRecordError, assert, assertionFailed } from '../errors.js';
import type { Logger } from '../tokens.js';
import type { FileSlice } from '../transfer.js';
import { SCAN_HEADER_ONLY_BYTES, SCAN_LARGE_BATCH_BYTES, scanBatchHeaders, type BatchLocation } from './file-records.js';
import { DELETED_SUFFIX, segmentPaths } from './file-names.js';
import { expectedOffsetText, follows, offsetsConsecutive } from './offset-order.js';
import { openSegmentLog } from './segment-files.js';
import { SegmentIndexes } from './segment-indexes.js';
import { TransactionIndex } from '../index/transaction-index.js';
import type { CompletedTxn } from './producer-transactions.js';
import { recoveryWalk, tailProblem, type RecoveryResult } from './segment-recovery.js';


export interface SegmentDeps {
  engine: StorageEngine;
  cache: Cache;
  logger: Logger;
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

export class LogSegment {
  /** Bytes whose append completed (see committedBytes): owned here, moved by commitTo and cuts. */
  private committed: number;
  /** The first batch's max timestamp: segment.ms counts from it (Kafka's rollingBasedTimestamp). */
  rollingBasedTimestamp: number | undefined;
  /** The last read here found a batch of SCAN_LARGE_BATCH_BYTES or more: scans start with one header. */
  private largeBatches = false;
  private active: boolean;
  /** The offset rule of this log (offset-order.ts). */
  private readonly consecutive: boolean;
  /** The cache's operations for this open file: every read into user space asks them (core/cache.ts). */
  private readonly cached: FileCache;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    readonly file: SegmentFile,
    readonly indexes: SegmentIndexes,
    /** The aborted transactions whose markers are in this segment (`.txnindex`). */
    readonly txnIndex: TransactionIndex,
    private readonly config: LogConfig,
    private readonly deps: SegmentDeps,
    active: boolean,
  ) {
    this.committed = file.sizeBytes;
    this.active = active;
    this.consecutive = offsetsConsecutive(config);
    this.cached = deps.cache.open(file);
  }

  /** Opens (creating when missing) the segment at `baseOffset`; indexes load from their files. */
  static async open(dir: string, baseOffset: number, config: LogConfig, deps: SegmentDeps, active: boolean, loadIndexes: boolean): Promise<LogSegment> {
    const paths = segmentPaths(dir, baseOffset);
    const file = await openSegmentLog(deps.engine, paths.log, { preallocateBytes: active && config.preallocate ? config.segmentBytes : 0 });
    let indexes: SegmentIndexes;
    let txnIndex: TransactionIndex;
    try {
      indexes = SegmentIndexes.open(paths, baseOffset, config, file.sizeBytes, loadIndexes);
      txnIndex = new TransactionIndex(paths.txnIndex, baseOffset, loadIndexes);
    } catch (err) {
      await file.close();
      throw err;
    }
    const segment = new LogSegment(dir, baseOffset, file, indexes, txnIndex, config, deps, active);
    try {
      if (active) await indexes.flushActive();
    } catch (err) {
      // no descriptor left behind by a segment that never opened (EMFILE while creating many)
      segment.cached.close();
      await file.close();
      throw err;
    }
    return segment;
  }

  get maxTimestampSoFar(): number {
    return this.indexes.maxTimestampSoFar;
  }

  /** Bytes whose append completed: readers never look past this. */
  get committedBytes(): number {
    return this.committed;
  }

  /** An acknowledged append ends at `endPosition` (the sequencer, in offset order). */
  commitTo(endPosition: number): void {
    if (!(endPosition <= this.file.sizeBytes)) assertionFailed(`commit to ${endPosition} past the ${this.file.sizeBytes} bytes written to ${this.file.path}`);
    if (endPosition > this.committed) this.committed = endPosition;
  }

  get sizeBytes(): number {
    return this.file.sizeBytes;
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Newest timestamp in the segment (for retention.ms); the file's mtime when none is known. */
  largestTimestamp(): number {
    return this.indexes.largestTimestamp() ?? fs.statSync(this.file.path).mtimeMs;
  }

  /** Why this segment must roll before appending the batch set, or undefined (Kafka's shouldRoll). */
  rollReason(batchBytes: number, maxTimestamp: number, lastOffset: number): string | undefined {
    const size = this.file.sizeBytes;
    if (size > 0 && size > this.config.segmentBytes - batchBytes) return `segment.bytes (${this.config.segmentBytes}) reached`;
    if (size > 0 && this.rollingBasedTimestamp !== undefined && maxTimestamp - this.rollingBasedTimestamp > this.config.segmentMs) {
      return `segment.ms (${this.config.segmentMs}) elapsed`;
    }
    if (this.indexes.offsetIndex.isFull()) return 'offset index full';
    if (this.indexes.timeIndex.isFull()) return 'time index full';
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
    this.indexes.maybeIndex(lastOffset, position, maxTimestamp, offsetOfMaxTimestamp);
    const written = this.file.append(chunks, bytes);
    // the other end of the append: the file grew by exactly the bytes handed to it
    if (this.file.sizeBytes !== position + bytes) assertionFailed(`append of ${bytes} bytes at ${position} left ${this.file.path} at ${this.file.sizeBytes} bytes`);
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
    let end = Math.max(first.position, this.indexes.offsetIndex.lookupByPosition(limit).position);
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
    if (end > endBytes) assertionFailed(`read range of ${this.file.path} ends at ${end}, past the ${endBytes} bytes it may see`);
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
    const entry = this.indexes.lookup(offset, this.file.sizeBytes);
    const found = await this.scanFor(offset, entry.position, endBytes, entry.position > 0 ? entry.offset : undefined);
    if (found !== 'index-mismatch') return found;
    this.deps.logger.warn(`${this.indexes.offsetIndex.path}: the entry for offset ${entry.offset} points at position ${entry.position}, where no batch holding it starts; scanning ${this.file.path} from its start`);
    const rescanned = await this.scanFor(offset, 0, endBytes, undefined);
    return rescanned === 'index-mismatch' ? undefined : rescanned;
  }

  /** One header when the last read found large batches here, else the scan's default window. */
  private firstScanWindowBytes(): number | undefined {
    return this.largeBatches ? SCAN_HEADER_ONLY_BYTES : undefined;
  }

  private async scanFor(offset: number, from: number, endBytes: number, entryOffset: number | undefined): Promise<BatchLocation | undefined | 'index-mismatch'> {
    const consecutive = this.consecutive;
    let previous: BatchLocation | undefined;
    let found: BatchLocation | undefined;
    for await (const batch of scanBatchHeaders(this.file, from, endBytes, this.cached, this.firstScanWindowBytes())) {
      if (previous === undefined && entryOffset !== undefined && !(batch.baseOffset >= this.baseOffset && batch.baseOffset <= entryOffset && batch.lastOffset >= batch.baseOffset)) return 'index-mismatch';
      const expected = previous ? previous.lastOffset + 1 : from === 0 ? this.baseOffset : undefined;
      if (expected !== undefined && !follows(batch.baseOffset, expected, consecutive)) {
        throw new CorruptRecordError(`${this.file.path}: batch at position ${batch.position} has base offset ${batch.baseOffset}, ${expectedOffsetText(expected, consecutive)} (after the batch at position ${previous?.position ?? 'none, segment base'})`, batch.position);
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
    const entry = this.indexes.timeIndex.lookup(timestamp);
    const from = Math.max(entry.offset, startingOffset);
    const startPosition = this.indexes.lookup(from, this.file.sizeBytes).position;
    for await (const batch of scanBatchHeaders(this.file, startPosition, this.committedBytes, this.cached)) {
      if (batch.maxTimestamp >= timestamp && batch.lastOffset >= startingOffset) return batch;
    }
    return undefined;
  }

  /** Kafka's updateTxnIndex: an aborted transaction whose marker is here gets its entry. */
  updateTxnIndex(completed: CompletedTxn, lastStableOffset: number): void {
    if (!completed.isAborted) return;
    this.txnIndex.append({ producerId: completed.producerId, firstOffset: completed.firstOffset, lastOffset: completed.lastOffset, lastStableOffset });
  }

  /** A slice of this file, carrying its cache operations for a transfer that reads it (buffered). */
  slice(position: number, length: number): FileSlice {
    const slice: FileSlice = { path: this.file.path, fd: this.file.fd, position, length, cache: this.cached };
    if (this.deps.engine.supports.directIo) slice.read = (at, bytes) => this.file.read(at, bytes);
    return slice;
  }

  /** Reads bytes of the committed region, through the cache; the result must not be modified. */
  async readBytes(position: number, length: number): Promise<Buffer> {
    if (position + length > this.committedBytes) assertionFailed(`read past committed bytes of segment ${this.baseOffset}`);
    return readThrough(this.cached, this.file, position, length, length);
  }

  /** The last batch of the segment (via the last index entry and a short scan), if any. */
  async lastBatch(): Promise<BatchLocation | undefined> {
    const start = this.indexes.offsetIndex.lastEntry()?.position ?? 0;
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
  validateTail(): Promise<string | undefined> {
    return tailProblem(this.file, this.indexes.offsetIndex.lastEntry(), this.baseOffset, this.consecutive);
  }

  /**
   * Re-validates every batch from the start, rebuilds both indexes, and truncates at the first
   * invalid or partial batch (Kafka's LogSegment.recover).
   */
  async recover(expectedOffsetMin: number): Promise<RecoveryResult> {
    const fileBytes = this.file.sizeBytes;
    this.committed = fileBytes;
    // its entries are rebuilt from the log with the producer state (txn-index-recovery.ts)
    this.txnIndex.reset();
    const walk = await recoveryWalk(this.file, this.indexes, this.baseOffset, this.consecutive, expectedOffsetMin);
    this.rollingBasedTimestamp = walk.firstMaxTimestamp;
    const truncatedBytes = fileBytes - walk.validBytes;
    if (truncatedBytes > 0) await this.cutTo(walk.validBytes);
    // the other end of the walk: the file ends where its last valid batch does
    if (this.file.sizeBytes !== walk.validBytes) assertionFailed(`recovery of ${this.file.path} cut at ${walk.validBytes} but the file holds ${this.file.sizeBytes} bytes`);
    this.committed = walk.validBytes;
    this.indexes.flush(this.active, false);
    // zeros after the data of the active segment are its preallocated reservation, not damage; in a
    // closed segment (trimmed on roll) they are lost data and said so
    const reason = truncatedBytes > 0 && !(walk.stoppedAtZeros && this.active) ? walk.stopReason : undefined;
    return { validBytes: walk.validBytes, truncatedBytes: reason ? truncatedBytes : 0, reason, lastOffset: walk.lastOffset, txnBatches: walk.txnBatches };
  }

  /** Restores in-memory state of a cleanly closed segment from its indexes and last batch. */
  async loadState(): Promise<BatchLocation | undefined> {
    const last = await this.lastBatch();
    this.indexes.restore(last, this.file.sizeBytes, this.file.path);
    this.txnIndex.sanityCheck();
    if (this.active && this.file.sizeBytes > 0) {
      const first = await scanBatchHeaders(this.file, 0, this.committed, this.cached).next();
      if (!first.done) this.rollingBasedTimestamp = first.value.maxTimestamp;
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
    if (!this.active) this.indexes.flush(false, true);
    this.txnIndex.flush();
  }

  /** On roll: final time index entry, indexes and log file trimmed to their valid size. */
  async onBecomeInactive(): Promise<void> {
    this.indexes.addFinalTimeEntry();
    this.active = false;
    this.indexes.flush(false, false);
    await this.file.trim();
  }

  /** Cuts the segment so that it ends at `position` (a batch boundary) and drops later index entries. */
  async truncateTo(position: number, firstRemovedOffset: number): Promise<void> {
    await this.cutTo(position);
    this.indexes.truncateTo(firstRemovedOffset, position);
    this.txnIndex.truncateTo(firstRemovedOffset);
    this.indexes.flush(this.active, false);
  }

  /**
   * Truncates the file and the committed bytes, with the cache told before (nothing past the cut
   * is served while the truncate runs) and after (a read that began during it may have read the
   * old bytes: its generation is then stale and what it read is not kept).
   */
  private async cutTo(position: number): Promise<void> {
    this.cached.invalidate(position);
    try {
      await this.file.truncate(position);
    } finally {
      this.cached.invalidate(position);
    }
    this.committed = position;
  }

  /** Trims and closes; the file descriptor is closed even when trimming fails (a full disk). */
  async close(): Promise<void> {
    try {
      if (this.active) await this.onBecomeInactive();
      // synced: a clean-shutdown marker written after close lets the next open trust them
      await this.indexes.flushAndSync(false);
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

  /**
   * Closes the descriptors only, writing nothing (no index flush): for a segment whose whole log is
   * being deleted, whose files may already have moved (LogManager.deleteLog).
   */
  async closeDescriptors(): Promise<void> {
    this.cached.close();
    await this.file.close();
  }

  /** Deletes at once (recovery, replacing an empty segment): nothing can hold a slice of it. */
  async delete(): Promise<void> {
    this.markDeleted();
    await this.destroy();
  }

  private paths(): string[] {
    return [this.file.path, ...this.indexes.paths, this.txnIndex.path];
  }
}
