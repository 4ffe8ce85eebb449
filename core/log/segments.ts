/**
 * The ordered segments of one log (Kafka's LogSegments). The list is copy-on-write: a roll or a
 * retention delete installs a new frozen array, so a reader takes a snapshot in O(1) and walks it
 * without the list shifting under its awaits.
 */
import { assert } from '../errors.js';
import type { AbortedTxn } from '../index/transaction-index.js';
import type { LogSegment } from './log-segment.js';

/**
 * What a read sees: the segments at one moment and how many bytes of each are acknowledged. Only
 * the last segment can still grow; every earlier one was complete when it rolled (a roll waits for
 * every append to it), so only the last one's committed bytes are captured.
 */
export class SegmentsSnapshot {
  constructor(
    readonly list: readonly LogSegment[],
    private readonly lastCommittedBytes: number,
  ) {}

  /** Acknowledged bytes of list[i] when the snapshot was taken. */
  committedBytes(i: number): number {
    return i === this.list.length - 1 ? this.lastCommittedBytes : this.list[i]!.committedBytes;
  }

  /** Index of the segment holding `offset`: the last whose base offset <= offset (0 below all). */
  floorIndex(offset: number): number {
    return floorIndex(this.list, offset);
  }
}

export class LogSegments {
  private list: readonly LogSegment[] = Object.freeze([]);

  constructor(initial: readonly LogSegment[] = []) {
    this.replace(initial);
  }

  get all(): readonly LogSegment[] {
    return this.list;
  }

  get count(): number {
    return this.list.length;
  }

  get active(): LogSegment {
    const last = this.list[this.list.length - 1];
    assert(last !== undefined, 'a log always has an active segment');
    return last;
  }

  get first(): LogSegment {
    return this.list[0]!;
  }

  get sizeBytes(): number {
    let total = 0;
    for (const s of this.list) total += s.sizeBytes;
    return total;
  }

  snapshot(): SegmentsSnapshot {
    return new SegmentsSnapshot(this.list, this.list.length > 0 ? this.active.committedBytes : 0);
  }

  /** The segment holding `offset` (the last whose base offset <= offset). */
  floor(offset: number): LogSegment {
    return this.list[floorIndex(this.list, offset)]!;
  }

  /**
   * Kafka's LocalLog.collectAbortedTransactions: from the segment holding `startOffset` on, the
   * `.txnindex` entries overlapping [startOffset, upperBoundOffset), until an entry's LSO says no
   * later segment can hold more.
   */
  collectAbortedTransactions(startOffset: number, upperBoundOffset: number): AbortedTxn[] {
    const list = this.list;
    const found: AbortedTxn[] = [];
    for (let i = floorIndex(list, startOffset); i < list.length; i++) {
      const result = list[i]!.txnIndex.collectAbortedTxns(startOffset, upperBoundOffset);
      found.push(...result.abortedTransactions);
      if (result.isComplete) break;
    }
    return found;
  }

  byPath(path: string): LogSegment | undefined {
    return this.list.find((s) => s.file.path === path);
  }

  /** Adds a new active segment after the current one. */
  push(segment: LogSegment): void {
    const last = this.list[this.list.length - 1];
    assert(!last || segment.baseOffset > last.baseOffset, 'segments are added in base offset order');
    this.replace([...this.list, segment]);
  }

  /** Drops the active segment (an empty one replaced by one at another base offset). */
  popActive(): LogSegment {
    const last = this.active;
    this.replace(this.list.slice(0, -1));
    return last;
  }

  /** Removes the oldest segment (retention); the active one is never removed this way. */
  shiftOldest(): LogSegment {
    assert(this.list.length > 1, 'the active segment is never deleted by retention');
    const oldest = this.list[0]!;
    this.replace(this.list.slice(1));
    return oldest;
  }

  /** Removes every segment with base offset > `baseOffset` (truncation), returning them. */
  removeAfter(baseOffset: number): LogSegment[] {
    const keep = this.list.filter((s) => s.baseOffset <= baseOffset);
    const removed = this.list.filter((s) => s.baseOffset > baseOffset);
    this.replace(keep);
    return removed;
  }

  private replace(next: readonly LogSegment[]): void {
    this.list = Object.freeze([...next]);
  }
}

function floorIndex(list: readonly LogSegment[], offset: number): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (list[mid]!.baseOffset <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
