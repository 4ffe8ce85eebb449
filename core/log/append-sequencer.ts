/**
 * The order of a log's appends: which offsets an append gets, how many may be in flight, and when
 * each is acknowledged. Appends may land out of order (overlapping writes, group syncs); they are
 * acknowledged strictly in offset order, and once one fails every append behind it fails too: its
 * bytes follow bytes that may be missing, and recovery cuts the log at the first bad batch, so
 * acknowledging it would promise bytes that cannot survive.
 *
 * This is the one place that decides an acknowledgement (acknowledge()), and it holds the log's
 * one failure flag. It also holds the log's producer state once loaded (Kafka's
 * ProducerStateManager): an idempotent append's sequences are checked when it is placed and
 * recorded when it is written, in the same synchronous step that gives it its offsets, so two
 * appends of one producer cannot interleave between check and record and no lock is needed.
 *
 * Its ack queue is not a run coalescer (engines/run-coalescer.ts): a coalescer gathers requests
 * while an operation is in flight and does the next operation for all of them; this queue starts
 * no operation and merges none. It only releases acknowledgements in offset order as the engine's
 * runs (coalesced writes, group syncs) finish, in whatever order those finish.
 */
import { APPEND_LANDED } from '../engine.js';
import { StrataError } from '../errors.js';
import { readInt64 } from '../format/int64.js';
import { lastOffsetOf, setBaseOffset } from '../format/record-batch.js';
import type { BatchLayout } from '../format/batch-cursor.js';
import type { LogSegment } from './log-segment.js';
import type { ProducerBatch } from './producer-state-entry.js';
import { ProducerStateRejection, type PlacedTxn, type ProducerAppendCheck, type ProducerStateManager } from './producer-state-manager.js';

const NO_TXNS: readonly PlacedTxn[] = [];

/** Bounds the appends in flight so a fast producer cannot queue unbounded memory. */
export const APPENDS_IN_FLIGHT_MAX = 1024;

/** An append whose offsets are assigned. */
export interface Placement {
  firstOffset: number;
  lastOffset: number;
  offsetOfMaxTimestamp: number;
}

interface PendingAck {
  /** Its write (and sync, for durable engines) finished. */
  done: boolean;
  err: unknown;
  segment: LogSegment;
  endPosition: number;
  lastOffset: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class AppendSequencer {
  /** Offset the next appended record gets. */
  nextOffset: number;
  /** Offset after the last acknowledged record: readers see offsets below it. */
  private committedEndOffset: number;
  /** The first append failure: the log takes no appends until reopened, and every append behind it fails. */
  private failed: Error | undefined;
  /** Appends written or being written, in offset order, not yet acknowledged. */
  private readonly pendingAcks: PendingAck[] = [];
  /** Settles when every append issued so far has; rejects after a failure. */
  private lastAck: Promise<void> = Promise.resolve();
  /** Appends acknowledged or queued whose callers have not heard yet (see acknowledge()). */
  private finishing = 0;
  private inFlight = 0;
  private readonly slotWaiters: (() => void)[] = [];
  /** The log's producer state, once loaded (LogProducerState); appends with producer ids need it. */
  producerState: ProducerStateManager | undefined;

  /**
   * `consecutive` (cleanup.policy=delete): kept offsets may jump only between appends (a gap starts
   * a new segment); inside one append batches must follow each other, as only compaction leaves
   * gaps inside a segment, and reads treat such a gap as damage.
   */
  constructor(
    endOffset: number,
    private readonly consecutive = true,
    /** Told each new log end (the high watermark of a single-replica log); must not append in the call. */
    private readonly onCommitted?: (logEndOffset: number) => void,
  ) {
    this.nextOffset = endOffset;
    this.committedEndOffset = endOffset;
  }

  get logEndOffset(): number {
    return this.committedEndOffset;
  }

  get failure(): Error | undefined {
    return this.failed;
  }

  /** Marks the log failed (the first failure wins). */
  fail(err: unknown): void {
    this.failed ??= err instanceof Error ? err : new Error(String(err));
  }

  /** Takes an append slot when one is free at once. */
  tryTakeSlot(): boolean {
    if (this.inFlight >= APPENDS_IN_FLIGHT_MAX) return false;
    this.inFlight++;
    return true;
  }

  /**
   * Waits for a slot when none was free (after tryTakeSlot failed); a freed slot goes to the first
   * waiter, so appends keep their call order.
   */
  waitForSlot(): Promise<void> {
    return new Promise<void>((resolve) => this.slotWaiters.push(resolve));
  }

  releaseSlot(): void {
    const next = this.slotWaiters.shift();
    if (next) next();
    else this.inFlight--;
  }

  /**
   * Gives the batches their offsets ('assign', a leader) or checks the ones they carry ('keep', a
   * follower: at or after the log end, increasing). Offsets are written into the batch headers in
   * `batches`; baseOffset is outside the CRC, so the batches stay valid.
   */
  place(batches: Buffer, layout: BatchLayout, mode: 'assign' | 'keep'): Placement {
    const firstOffset = mode === 'assign' ? this.nextOffset : readInt64(batches, layout.positions[0]!);
    if (firstOffset < this.nextOffset) {
      throw new StrataError('INVALID_ARGUMENT', `batch base offset ${firstOffset} is below the log end offset ${this.nextOffset}`);
    }
    let offset = firstOffset;
    let lastOffset = firstOffset;
    let offsetOfMaxTimestamp = firstOffset;
    for (let i = 0; i < layout.positions.length; i++) {
      const position = layout.positions[i]!;
      if (mode === 'assign') setBaseOffset(batches, position, offset);
      else {
        const base = readInt64(batches, position);
        if (base < offset || (this.consecutive && i > 0 && base !== offset)) {
          throw new StrataError('INVALID_ARGUMENT', `batch base offset ${base} does not follow ${offset - 1}${base > offset ? ' (a gap inside one append needs cleanup.policy=compact)' : ''}`);
        }
        offset = base;
      }
      lastOffset = lastOffsetOf({ baseOffset: offset, lastOffsetDelta: layout.lastOffsetDeltas[i]! });
      if (i === layout.offsetOfMaxTimestampIndex) offsetOfMaxTimestamp = lastOffset;
      offset = lastOffset + 1;
    }
    return { firstOffset, lastOffset, offsetOfMaxTimestamp };
  }

  /**
   * The producer-state check of a placed append's idempotent batches (Kafka's
   * analyzeAndValidateProducerState): undefined when it has none, the retained batch it retries
   * ('duplicate': answered with that batch's offsets, not written), or 'append'. A bad epoch or
   * sequence throws a ProducerStateRejection carrying Kafka's error.
   */
  checkProducers(batches: readonly ProducerBatch[]): ProducerAppendCheck | undefined {
    if (batches.length === 0) return undefined;
    const state = this.producerState;
    if (state === undefined) throw new StrataError('INVALID_ARGUMENT', 'assertion failed: an append with producer ids was placed before the producer state was loaded');
    const check = state.prepare(batches);
    if (check.kind === 'rejected') throw new ProducerStateRejection(check.error, check.message);
    return check;
  }

  /**
   * The placed append went to its segment: later appends are placed after it, its producers'
   * sequences and transactions are recorded. Returns the transactions its markers completed.
   */
  written(placement: Placement, producers?: ProducerAppendCheck): readonly PlacedTxn[] {
    this.nextOffset = placement.lastOffset + 1;
    return producers ? this.producerState!.onPlaced(producers, placement.firstOffset, this.nextOffset) : NO_TXNS;
  }

  /**
   * Decides a written append's acknowledgement. An append whose bytes landed in the call
   * (APPEND_LANDED), with no failure and no other append between its write and its caller hearing
   * of it, is acknowledged now and undefined is returned: still in offset order, and without a
   * round of promise callbacks (their cost after a blocking sync: `npm run bench:core`, results/engines/). Otherwise
   * it joins the queue and the returned promise settles in offset order.
   *
   * The caller holds the append "finishing" (begin/endFinishing) until its own caller has heard,
   * so a later landed append cannot be acknowledged before an earlier caller knows of its own.
   */
  acknowledge(written: Promise<void>, segment: LogSegment, endPosition: number, lastOffset: number): Promise<void> | undefined {
    if (written === APPEND_LANDED && this.finishing === 0 && this.failed === undefined) {
      this.commit(segment, endPosition, lastOffset);
      return undefined;
    }
    let entry!: PendingAck;
    const acked = new Promise<void>((resolve, reject) => {
      entry = { done: false, err: undefined, segment, endPosition, lastOffset, resolve, reject };
    });
    this.pendingAcks.push(entry);
    // the caller awaits `acked` at once, so a rejection is always handled; settle() sees it too
    this.lastAck = acked;
    written.then(
      () => this.landed(entry, undefined),
      (err: unknown) => this.landed(entry, err ?? new Error('append failed')),
    );
    return acked;
  }

  beginFinishing(): void {
    this.finishing++;
  }

  endFinishing(): void {
    this.finishing--;
  }

  /** Waits for every append issued so far to be acknowledged or failed; never rejects. */
  async settle(): Promise<void> {
    try {
      await this.lastAck;
    } catch {
      // the failure is recorded in `failed`
    }
  }

  private landed(entry: PendingAck, err: unknown): void {
    entry.done = true;
    entry.err = err;
    while (this.pendingAcks.length > 0 && this.pendingAcks[0]!.done) {
      const head = this.pendingAcks.shift()!;
      if (head.err !== undefined) this.fail(head.err);
      if (this.failed) {
        head.reject(this.failed);
        continue;
      }
      this.commit(head.segment, head.endPosition, head.lastOffset);
      head.resolve();
    }
  }

  /** Makes an acknowledged append visible to readers (up to `lastOffset`, `endPosition` in `segment`). */
  private commit(segment: LogSegment, endPosition: number, lastOffset: number): void {
    segment.commitTo(endPosition);
    this.committedEndOffset = lastOffset + 1;
    this.onCommitted?.(this.committedEndOffset);
  }

  /** After a truncation (follower) or a reload: the log ends at `offset`, nothing in flight. */
  resetTo(offset: number): void {
    this.nextOffset = offset;
    this.committedEndOffset = offset;
    this.onCommitted?.(offset);
  }
}
