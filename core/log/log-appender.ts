/**
 * The write side of one log: an append's way from validated batches to its acknowledgement —
 * offsets from the AppendSequencer, a roll when the active segment cannot take it (Kafka's
 * shouldRoll), the engine's write, the sequencer's acknowledgement in offset order — and the
 * flushes that flush.messages and flush.ms ask for, which move the recovery point.
 */
import { basename } from 'node:path';
import type { LogConfig } from '../config/log-config.js';
import { LONG_MAX } from '../config/log-config.js';
import { StrataError, assert } from '../errors.js';
import type { BatchLayout } from '../format/batch-cursor.js';
import { BATCH_HEADER_BYTES } from '../format/record-batch.js';
import type { AppendSequencer, Placement } from './append-sequencer.js';
import type { ProducerBatch } from './producer-state-entry.js';
import type { ProducerAppendCheck } from './producer-state-manager.js';
import { syncDir } from './checkpoints.js';
import { LogSegment, type SegmentDeps } from './log-segment.js';
import type { LogSegments } from './segments.js';

export interface LogAppendInfo {
  firstOffset: number;
  lastOffset: number;
  records: number;
  batches: number;
  bytes: number;
  maxTimestamp: number;
  /** A retry of batches in the log already (idempotent producer): their offsets, nothing written. */
  duplicate?: true;
}

const NO_PRODUCERS: readonly ProducerBatch[] = [];

export class LogAppender {
  private rolling: Promise<void> | undefined;
  private unflushedMessages = 0;
  private lastFlushMs: number;
  private flushTimer: NodeJS.Timeout | undefined;
  /** Offsets below this are flushed (Kafka's recovery point); the LogManager checkpoints it. */
  recoveryPoint: number;

  constructor(
    private readonly dir: string,
    private readonly config: LogConfig,
    private readonly segments: LogSegments,
    private readonly sequencer: AppendSequencer,
    private readonly segmentDeps: SegmentDeps,
    private readonly now: () => number,
    /** The log's usability check (closed, failed), run before every placement. */
    private readonly checkUsable: () => void,
    /** After each roll (retention runs then, as in Kafka). */
    private readonly afterRoll: () => Promise<unknown>,
    recoveryPoint: number,
  ) {
    this.lastFlushMs = now();
    this.recoveryPoint = recoveryPoint;
  }

  /**
   * `chunks` hold the batches back to back; every batch header lies in chunks[0] (one buffer of
   * batches, or one batch as header + records section), since offsets are written into it.
   *
   * Not async: an append with a free slot, no roll due and nothing earlier outstanding, whose
   * engine wrote it in the call, completes here without an async frame: the frame and its promise
   * callbacks are a measurable share of a page-cache write (`npm run bench:core`, results/engines/).
   * Everything else continues in appendSlow (slot, roll) or finishAppend (acknowledgement, flush).
   */
  appendChunks(chunks: readonly Buffer[], bytes: number, layout: BatchLayout, mode: 'assign' | 'keep', producers = NO_PRODUCERS): Promise<LogAppendInfo> {
    assert(layout.positions[layout.positions.length - 1]! + BATCH_HEADER_BYTES <= chunks[0]!.length, 'every batch header must lie in the first chunk');
    // Kafka's rule (UnifiedLog.append): an append that no segment could hold is refused, not
    // written into a segment past segment.bytes
    if (bytes > this.config.segmentBytes) return Promise.reject(batchTooLarge(this.dir, bytes, this.config.segmentBytes));
    if (this.rolling !== undefined || !this.sequencer.tryTakeSlot()) return this.appendSlow(chunks, bytes, layout, mode, false, producers);
    let placement: Placement;
    try {
      this.checkUsable();
      placement = this.sequencer.place(chunks[0]!, layout, mode);
    } catch (err) {
      this.sequencer.releaseSlot();
      return Promise.reject(err);
    }
    // a roll is due: the slot stays held while appendSlow rolls and places the append again
    if (this.rollReason(placement, bytes, layout) !== undefined) return this.appendSlow(chunks, bytes, layout, mode, true, producers);
    return this.write(placement, chunks, bytes, layout, producers);
  }

  /** appendChunks when it must wait: for a slot (unless `slotHeld`), for a roll, or to roll. */
  private async appendSlow(chunks: readonly Buffer[], bytes: number, layout: BatchLayout, mode: 'assign' | 'keep', slotHeld: boolean, producers: readonly ProducerBatch[]): Promise<LogAppendInfo> {
    // taken in the call when free: an await here would let a later append be placed first
    if (!slotHeld && !this.sequencer.tryTakeSlot()) await this.sequencer.waitForSlot();
    let placement: Placement;
    try {
      // a loop rather than a recursion: every append, whichever way it came, ends in one write()
      for (;;) {
        // a roll in progress must finish first: offsets and positions are assigned in call order
        while (this.rolling) await this.rolling;
        this.checkUsable();
        placement = this.sequencer.place(chunks[0]!, layout, mode);
        const reason = this.rollReason(placement, bytes, layout);
        if (reason === undefined) break;
        // awaited here, not through a helper: the append that rolled must be placed in the same
        // continuation that clears `rolling`, before the appends waiting on it resume
        const rolled = this.roll(placement.firstOffset, reason);
        this.rolling = rolled;
        try {
          await rolled;
        } finally {
          this.rolling = undefined;
        }
      }
    } catch (err) {
      this.sequencer.releaseSlot();
      throw err;
    }
    return this.write(placement, chunks, bytes, layout, producers);
  }

  /** Why the active segment cannot take the placed append (Kafka's shouldRoll), or undefined. */
  private rollReason(placement: Placement, bytes: number, layout: BatchLayout): string | undefined {
    const active = this.segments.active;
    const next = this.sequencer.nextOffset;
    if (placement.firstOffset > next && active.baseOffset !== placement.firstOffset) return `offset gap (${next} to ${placement.firstOffset})`;
    return active.rollReason(bytes, layout.maxTimestamp, placement.lastOffset);
  }

  /**
   * Hands a placed append to the active segment (the log end moves past it at once) and has the
   * sequencer decide its acknowledgement; its producers' sequences are checked and recorded first,
   * in the same step. An engine that throws instead of rejecting (a closed file) fails the append
   * like a failed write: slot released, log failed.
   */
  private write(placement: Placement, chunks: readonly Buffer[], bytes: number, layout: BatchLayout, producers: readonly ProducerBatch[]): Promise<LogAppendInfo> {
    let check: ProducerAppendCheck | undefined;
    try {
      check = this.sequencer.checkProducers(producers);
    } catch (err) {
      this.sequencer.releaseSlot();
      return Promise.reject(err);
    }
    if (check?.kind === 'duplicate') {
      this.sequencer.releaseSlot();
      return this.duplicate(check);
    }
    const segment = this.segments.active;
    const completedTxns = this.sequencer.written(placement, check);
    let written: Promise<void>;
    try {
      written = segment.append(placement.lastOffset, layout.maxTimestamp, placement.offsetOfMaxTimestamp, chunks, bytes);
      // Kafka's LogSegment.updateTxnIndex: an abort's entry goes to the segment holding its marker
      for (const txn of completedTxns) segment.updateTxnIndex(txn.completed, txn.lastStableOffset);
    } catch (err) {
      written = Promise.reject(err);
    }
    const acked = this.sequencer.acknowledge(written, segment, segment.sizeBytes, placement.lastOffset);
    if (acked === undefined && this.unflushedMessages + layout.records < this.config.flushMessages) {
      this.unflushedMessages += layout.records;
      this.sequencer.releaseSlot();
      return Promise.resolve(appendInfo(placement, layout, bytes));
    }
    return this.finishAppend(acked, segment, placement, layout, bytes);
  }

  /** Waits for the acknowledgement (in offset order), then flushes if flush.messages says so. */
  private async finishAppend(acked: Promise<void> | undefined, segment: LogSegment, placement: Placement, layout: BatchLayout, bytes: number): Promise<LogAppendInfo> {
    this.sequencer.beginFinishing();
    try {
      if (acked) {
        try {
          await acked;
        } catch (err) {
          const io = err as NodeJS.ErrnoException;
          throw new StrataError('STORAGE_ERROR', `append to ${segment.file.path} failed: ${io.code ?? ''} ${io.message}`.trim(), { cause: err });
        }
      }
      this.unflushedMessages += layout.records;
      if (this.unflushedMessages >= this.config.flushMessages) await this.flush();
      return appendInfo(placement, layout, bytes);
    } finally {
      // until this promise settles a landed append must not be acknowledged at once, or its
      // caller could hear of it before this one's caller
      this.sequencer.endFinishing();
      this.sequencer.releaseSlot();
    }
  }

  /**
   * A retry answered with its original's offsets once the original is acknowledged (it may still
   * be in flight: a retry on another connection), so a retry never hears of bytes that may fail.
   */
  private async duplicate(original: Extract<ProducerAppendCheck, { kind: 'duplicate' }>): Promise<LogAppendInfo> {
    if (original.lastOffset >= this.sequencer.logEndOffset) await this.sequencer.settle();
    this.checkUsable();
    return { firstOffset: original.firstOffset, lastOffset: original.lastOffset, records: 0, batches: 0, bytes: 0, maxTimestamp: original.timestamp, duplicate: true };
  }

  private async roll(baseOffset: number, reason: string): Promise<void> {
    const old = this.segments.active;
    const newBase = Math.max(baseOffset, this.sequencer.nextOffset);
    // appends already issued to the old segment must land before it is trimmed
    await this.sequencer.settle();
    this.checkUsable();
    if (old.sizeBytes === 0 && old.baseOffset !== newBase && newBase >= old.baseOffset) {
      // an empty active segment at the wrong base (a gap before any data): replace it
      await old.delete();
      this.segments.popActive();
    } else {
      await old.onBecomeInactive();
    }
    // Kafka snapshots the producer state at every roll: the state as of the new segment's base
    this.sequencer.producerState?.snapshotAt(newBase);
    this.segments.push(await LogSegment.open(this.dir, newBase, this.config, this.segmentDeps, true, false));
    // the new segment's name must be durable before an append to it is: an engine that acknowledges
    // on its own sync never calls flush (Kafka syncs the directory on roll too; crashfs --strict-dirs)
    syncDir(this.dir);
    this.segmentDeps.logger.info(`rolled ${this.dir} to segment ${newBase}: ${reason}`);
    await this.afterRoll();
  }

  /** Rolls the active segment now (if it holds data). */
  async forceRoll(): Promise<void> {
    this.checkUsable();
    while (this.rolling) await this.rolling;
    if (this.segments.active.sizeBytes === 0) return;
    const rolled = this.roll(this.sequencer.nextOffset, 'requested');
    this.rolling = rolled;
    try {
      await rolled;
    } finally {
      this.rolling = undefined;
    }
  }

  /**
   * Makes every acknowledged append durable: one data sync of the active segment (plus the index
   * files of segments closed since the last flush), and moves the recovery point to the flushed
   * offset. The LogManager writes the recovery point to its checkpoint on a timer, off this path.
   */
  async flush(): Promise<void> {
    this.checkUsable();
    await this.sequencer.settle();
    this.checkUsable();
    const flushedTo = this.sequencer.logEndOffset;
    this.unflushedMessages = 0;
    this.lastFlushMs = this.now();
    const fromBase = this.segments.floor(this.recoveryPoint).baseOffset;
    for (const segment of this.segments.all) {
      if (segment.isActive || segment.baseOffset >= fromBase) await segment.flush();
    }
    this.recoveryPoint = Math.max(this.recoveryPoint, flushedTo);
  }

  /** flush.ms: flushes on a timer once the last flush is that old (nothing when unbounded). */
  startFlushTimer(): void {
    if (this.config.flushMs >= LONG_MAX) return;
    const tick = Math.max(1, Math.min(this.config.flushMs, 1000));
    this.flushTimer = setInterval(() => {
      if (this.sequencer.failure || this.unflushedMessages === 0) return;
      if (this.now() - this.lastFlushMs >= this.config.flushMs) {
        this.flush().catch((err: unknown) => this.segmentDeps.logger.error(`flush.ms flush of ${this.dir} failed: ${(err as Error).message}`));
      }
    }, tick);
    this.flushTimer.unref();
  }


  /** Waits until no roll is running and every append issued so far has settled. */
  async quiesce(): Promise<void> {
    while (this.rolling) await this.rolling;
    await this.sequencer.settle();
  }

  stopFlushTimer(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
  }
}

function batchTooLarge(dir: string, bytes: number, segmentBytes: number): StrataError {
  return new StrataError('RECORD_BATCH_TOO_LARGE', `append of ${bytes} bytes to partition ${basename(dir)} (${dir}) exceeds segment.bytes (${segmentBytes}): no segment can hold it`);
}

function appendInfo(placement: Placement, layout: BatchLayout, bytes: number): LogAppendInfo {
  return { firstOffset: placement.firstOffset, lastOffset: placement.lastOffset, records: layout.records, batches: layout.positions.length, bytes, maxTimestamp: layout.maxTimestamp };
}
