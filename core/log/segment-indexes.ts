/**
 * A segment's `.index` and `.timeindex` and the one rule that decides their entries (Kafka's
 * LogSegment keeps these beside its file): once more than index.interval.bytes lie between the
 * last entry's position and an append's (or, in recovery, a batch's) start, an offset entry pairs
 * its LAST offset with its START position, and the time index gets the newest timestamp so far.
 * Appends and recovery both go through maybeIndex(), so the rule lives here once.
 */
import type { LogConfig } from '../config/log-config.js';
import { assertionFailed } from '../errors.js';
import { OffsetIndex, OFFSET_INDEX_ENTRY_BYTES, type OffsetPosition } from '../index/offset-index.js';
import { TimeIndex, TIME_INDEX_ENTRY_BYTES } from '../index/time-index.js';
import type { BatchLocation } from './file-records.js';
import type { segmentPaths } from './file-names.js';
import { readSegmentIndex } from './segment-files.js';

export class SegmentIndexes {
  /** The newest timestamp in the segment, and the offset it belongs to (-1: none known). */
  maxTimestampSoFar = -1;
  offsetOfMaxTimestampSoFar = -1;
  /**
   * Where the bytes since the last entry are counted from: the position the last offset entry
   * points at (0 before any), or the end of the segment after a truncation (as Kafka's truncateTo
   * starts the count again).
   */
  private lastEntryPosition = 0;

  private constructor(
    readonly offsetIndex: OffsetIndex,
    readonly timeIndex: TimeIndex,
    private readonly baseOffset: number,
    private readonly indexIntervalBytes: number,
    /** Index file preallocation while active: segment.index.bytes rounded down to whole entries. */
    private readonly preallocateBytes: number,
  ) {}

  /** The indexes of the segment at `baseOffset`: loaded from their files, or empty. */
  static open(paths: ReturnType<typeof segmentPaths>, baseOffset: number, config: LogConfig, logBytes: number, load: boolean): SegmentIndexes {
    const offsetBytes = load ? readSegmentIndex(paths.index, config, logBytes) : undefined;
    const timeBytes = load ? readSegmentIndex(paths.timeIndex, config, logBytes) : undefined;
    return new SegmentIndexes(
      new OffsetIndex(paths.index, baseOffset, config.segmentIndexBytes, offsetBytes && trimZeroEntries(offsetBytes, OFFSET_INDEX_ENTRY_BYTES)),
      new TimeIndex(paths.timeIndex, baseOffset, config.segmentIndexBytes, timeBytes && trimZeroEntries(timeBytes, TIME_INDEX_ENTRY_BYTES)),
      baseOffset,
      config.indexIntervalBytes,
      config.segmentIndexBytes,
    );
  }

  isFull(): boolean {
    return this.offsetIndex.isFull() || this.timeIndex.isFull();
  }

  /**
   * Notes an append (or a recovered batch) ending at `lastOffset` that starts at `position` and
   * adds index entries for it when index.interval.bytes have passed since the last entry.
   */
  maybeIndex(lastOffset: number, position: number, maxTimestamp: number, offsetOfMaxTimestamp: number): void {
    if (maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = maxTimestamp;
      this.offsetOfMaxTimestampSoFar = offsetOfMaxTimestamp;
    }
    if (position - this.lastEntryPosition <= this.indexIntervalBytes || this.offsetIndex.isFull()) return;
    // OffsetIndex.append asserts the written end: offsets and positions increase, inside the segment's range
    this.offsetIndex.append(lastOffset, position);
    this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
    this.lastEntryPosition = position;
  }

  /**
   * The offset entry at or below `offset`, which must point inside the `fileBytes` bytes written
   * to the segment (entries are added for appended positions and checked against the file on
   * load). It may lie past what a read may see: an append in flight adds its entry first.
   */
  lookup(offset: number, fileBytes: number): OffsetPosition {
    const entry = this.offsetIndex.lookup(offset);
    if (!(entry.position <= fileBytes && entry.offset >= this.baseOffset)) {
      assertionFailed(`${this.offsetIndex.path}: entry (${entry.offset}, ${entry.position}) lies outside the segment (base ${this.baseOffset}, ${fileBytes} bytes)`);
    }
    return entry;
  }

  /** Recovery: every entry goes; the walk over the batches adds them again. */
  reset(): void {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.maxTimestampSoFar = -1;
    this.offsetOfMaxTimestampSoFar = -1;
    this.lastEntryPosition = 0;
  }

  /**
   * A cleanly closed segment: the indexes as loaded, checked against the file, and the newest
   * timestamp from the time index and the last batch (`last`, found through the offset index).
   */
  restore(last: BatchLocation | undefined, logBytes: number, logPath: string): void {
    this.offsetIndex.sanityCheck();
    this.timeIndex.sanityCheck();
    const lastEntry = this.offsetIndex.lastEntry();
    if (lastEntry && lastEntry.position >= logBytes) assertionFailed(`offset index ${this.offsetIndex.path} points past the end of its segment`);
    const lastTime = this.timeIndex.lastEntry();
    // the last entries must lie inside the segment's offsets: a flipped bit there would otherwise
    // only show later, as an append that finds the time index going backwards
    const lastOffset = last?.lastOffset ?? this.baseOffset;
    for (const [what, entry] of [['offset index', lastEntry], ['time index', lastTime]] as const) {
      if (entry && (entry.offset < this.baseOffset || entry.offset > lastOffset)) {
        assertionFailed(`${what} of ${logPath}: last entry offset ${entry.offset} lies outside the segment's offsets ${this.baseOffset}..${lastOffset}`);
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
    this.lastEntryPosition = lastEntry?.position ?? 0;
  }

  /** Newest timestamp known from the indexes, or undefined. */
  largestTimestamp(): number | undefined {
    if (this.maxTimestampSoFar >= 0) return this.maxTimestampSoFar;
    return this.timeIndex.lastEntry()?.timestamp;
  }

  /** On roll: the final time index entry (Kafka's onBecomeInactiveSegment). */
  addFinalTimeEntry(): void {
    if (this.maxTimestampSoFar >= 0) this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
  }

  /** Drops every entry at or past `firstRemovedOffset`, the first offset of the cut at `position`. */
  truncateTo(firstRemovedOffset: number, position: number): void {
    this.offsetIndex.truncateTo(firstRemovedOffset);
    this.timeIndex.truncateTo(firstRemovedOffset);
    this.lastEntryPosition = position;
  }

  /** Writes both index files; an active segment's are preallocated to their full size. */
  flush(active: boolean, sync: boolean): void {
    const preallocate = active ? this.preallocateBytes : 0;
    this.offsetIndex.flushToFile(preallocate, sync);
    this.timeIndex.flushToFile(preallocate, sync);
  }

  /**
   * flush(true, false) of a new active segment: files created off the event loop when neither
   * has one yet (a new segment), else the ordinary flush.
   */
  async flushActive(): Promise<void> {
    const fresh = (index: OffsetIndex | TimeIndex) => !index.hasFile && index.entries === 0;
    if (!fresh(this.offsetIndex) || !fresh(this.timeIndex)) {
      this.flush(true, false);
      return;
    }
    await Promise.all([this.offsetIndex.createFile(this.preallocateBytes), this.timeIndex.createFile(this.preallocateBytes)]);
  }

  /** Both files written (as flush(active, false)) and then synced off the event loop. */
  async flushAndSync(active: boolean): Promise<void> {
    this.flush(active, false);
    await Promise.all([this.offsetIndex.syncFile(), this.timeIndex.syncFile()]);
  }

  get paths(): string[] {
    return [this.offsetIndex.path, this.timeIndex.path];
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
