/**
 * One partition's log (Kafka's UnifiedLog/LocalLog), a facade over its parts: LogLoader opens the
 * directory, LogSegments holds the segments, AppendSequencer orders appends and their
 * acknowledgements, retention.ts decides deletions; the checkpoint files live with the LogManager.
 *
 * Follow a record: append() validates the batches once (validateBatches) -> the sequencer assigns
 * offsets -> LogSegment.append() picks the index entries -> SegmentFile.append() (the engine) writes
 * -> the sequencer acknowledges in offset order -> read() finds the batch with one index lookup and
 * returns FileSlices -> a Transfer sends the slices to the socket.
 */
import { basename } from 'node:path';
import { noneCache, type Cache } from '../cache.js';
import { CodecRegistry } from '../codec.js';
import type { LogConfig } from '../config/log-config.js';
import { LONG_MAX } from '../config/log-config.js';
import type { StorageEngine } from '../engine.js';
import { StrataError, assert } from '../errors.js';
import { layoutOfBuiltBatch, validateBatches, type BatchLayout, type ValidatedBatches } from '../format/batch-cursor.js';
import { applyCompressionType } from '../format/compression-type.js';
import { BATCH_HEADER_BYTES } from '../format/record-batch.js';
import { buildCompressedBatchParts, type BatchOptions, type DecodedBatch, type ProducerRecord } from '../format/records.js';
import { stderrLogger, type Logger } from '../tokens.js';
import type { FileSlice } from '../transfer.js';
import { AppendSequencer, type Placement } from './append-sequencer.js';
import { LogLoader, type LoadOptions } from './log-loader.js';
import { LogReader, type FetchDataInfo, type ReadOptions } from './log-reader.js';
import { LogSegment, type SegmentDeps } from './log-segment.js';
import { DelayedSegmentDeletes, retentionBreach } from './retention.js';
import { LogSegments } from './segments.js';

export { APPENDS_IN_FLIGHT_MAX } from './append-sequencer.js';
export type { FetchDataInfo, ReadOptions } from './log-reader.js';
export type { LoadOptions } from './log-loader.js';

export interface LogDeps {
  engine: StorageEngine;
  codecs?: CodecRegistry;
  cache?: Cache;
  logger?: Logger;
  /** Clock for segment.ms, retention.ms and flush.ms (tests pass their own). */
  now?: () => number;
}

export interface LogAppendInfo {
  firstOffset: number;
  lastOffset: number;
  records: number;
  batches: number;
  bytes: number;
  maxTimestamp: number;
}

export interface AppendOptions {
  /**
   * 'assign' (default): the log gives the batches consecutive offsets from the log end, like a
   * leader. 'keep': the batches keep their own offsets, which must start at or after the log end
   * (a follower or `strata receive`); a gap starts a new segment at the batch's base offset.
   */
  offsets?: 'assign' | 'keep';
}

/** Largest buffer one append() takes: a produce request's worth of batches. */
export const APPEND_BYTES_MAX = 100 * 1024 * 1024;

export class Log {
  private readonly segments: LogSegments;
  private readonly sequencer: AppendSequencer;
  private readonly reader: LogReader;
  private readonly deletes: DelayedSegmentDeletes;
  private rolling: Promise<void> | undefined;
  private unflushedMessages = 0;
  private lastFlushMs: number;
  private flushTimer: NodeJS.Timeout | undefined;
  /** Offsets below this are flushed; the LogManager checkpoints it. */
  private recoveryPointOffset: number;
  private closed = false;
  private readonly codecs: CodecRegistry;
  private readonly segmentDeps: SegmentDeps;
  private readonly now: () => number;

  private constructor(
    readonly dir: string,
    readonly config: LogConfig,
    private readonly deps: LogDeps,
    loaded: { segments: LogSegment[]; nextOffset: number; recoveryPoint: number },
  ) {
    this.codecs = deps.codecs ?? new CodecRegistry();
    const logger = deps.logger ?? stderrLogger;
    this.segmentDeps = { engine: deps.engine, cache: deps.cache ?? noneCache, logger };
    this.now = deps.now ?? Date.now;
    this.lastFlushMs = this.now();
    this.segments = new LogSegments(loaded.segments);
    this.sequencer = new AppendSequencer(loaded.nextOffset);
    this.recoveryPointOffset = loaded.recoveryPoint;
    this.deletes = new DelayedSegmentDeletes(logger);
    this.reader = new LogReader(this.segments, this.codecs, config);
  }

  /**
   * Opens the log in `dir` (created when missing). `options` come from the LogManager, which keeps
   * the clean-shutdown marker and the recovery-point checkpoint at the log dir root, as Kafka does;
   * a log opened on its own is recovered from its first segment.
   */
  static async open(dir: string, config: LogConfig, deps: LogDeps, options: LoadOptions = {}): Promise<Log> {
    const segmentDeps = { engine: deps.engine, cache: deps.cache ?? noneCache, logger: deps.logger ?? stderrLogger };
    const loaded = await new LogLoader(dir, config, segmentDeps, options).load();
    const log = new Log(dir, config, deps, loaded);
    log.scheduleFlushTimer();
    return log;
  }

  get engine(): StorageEngine {
    return this.deps.engine;
  }
  /** The partition directory's name (`TOPIC-PARTITION`), the key of the root checkpoints. */
  get partitionDirName(): string {
    return basename(this.dir);
  }
  get logStartOffset(): number {
    return this.segments.first.baseOffset;
  }
  /** Offset after the last acknowledged record (the high watermark of a single-replica log). */
  get logEndOffset(): number {
    return this.sequencer.logEndOffset;
  }
  /** Offsets below this are flushed to disk (Kafka's recovery point). */
  get recoveryPoint(): number {
    return this.recoveryPointOffset;
  }
  get segmentCount(): number {
    return this.segments.count;
  }
  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.segments.all.map((s) => s.baseOffset);
  }
  /** Total bytes of all segments. */
  get sizeBytes(): number {
    return this.segments.sizeBytes;
  }

  private checkUsable(): void {
    if (this.closed) throw new StrataError('LOG_CLOSED', `log ${this.dir} is closed`);
    const failure = this.sequencer.failure;
    if (failure) throw new StrataError('LOG_FAILED', `log ${this.dir} failed earlier and needs reopening: ${failure.message}`, { cause: failure });
  }

  /**
   * Appends one or more RecordBatch v2 batches (one buffer), validated once here (size, magic, CRC,
   * message.max.bytes) before anything is written. Resolves once the engine acknowledged these
   * bytes and every earlier append: acknowledgements come in offset order.
   */
  append(batches: Buffer, options: AppendOptions = {}): Promise<LogAppendInfo> {
    // not async: the hot path allocates no promise until the write; problems still arrive as a
    // rejection, never a throw
    try {
      this.checkUsable();
      if (batches.length > APPEND_BYTES_MAX) {
        throw new StrataError('RECORD_TOO_LARGE', `append of ${batches.length} bytes exceeds the ${APPEND_BYTES_MAX}-byte limit per append`);
      }
      return this.appendValidated(validateBatches(batches, this.config.messageMaxBytes), options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Appends batches validated already (a broker's produce path validates each CRC once). */
  appendValidated(validated: ValidatedBatches, options: AppendOptions = {}): Promise<LogAppendInfo> {
    // the default compression.type (`producer`) keeps batches as sent: no await on the hot path
    if (this.config.compressionType !== 'producer') {
      return applyCompressionType(validated, this.config, this.codecs).then((converted) =>
        this.appendChunks([converted.buffer], converted.buffer.length, converted.layout, options.offsets ?? 'assign'),
      );
    }
    return this.appendChunks([validated.buffer], validated.buffer.length, validated.layout, options.offsets ?? 'assign');
  }

  /**
   * Builds one batch from `records` (compressed with `codec`, default none) and appends it. The
   * batch stays in two pieces (header, records section) down to the engine's writev, so a large
   * compressed section is never copied in user space.
   */
  async appendRecords(records: readonly ProducerRecord[], options: BatchOptions & { codec?: string } = {}): Promise<LogAppendInfo> {
    this.checkUsable();
    const codec = this.codecs.byNameOrThrow(options.codec ?? 'none');
    const { header, body } = await buildCompressedBatchParts(records, codec, options);
    const bytes = header.length + body.length;
    const built = layoutOfBuiltBatch(header, bytes, this.config.messageMaxBytes);
    // a log that rewrites batches into its own codec takes the batch as one buffer
    if (this.config.compressionType !== 'producer') return this.append(Buffer.concat([header, body], bytes));
    return this.appendChunks([header, body], bytes, built.layout, 'assign');
  }

  /**
   * `chunks` hold the batches back to back; every batch header lies in chunks[0] (one buffer of
   * batches, or one batch as header + records section), since offsets are written into it.
   *
   * Not async: an append with a free slot, no roll due and nothing earlier outstanding, whose
   * engine wrote it in the call, completes here without an async frame; on this VM the frame and
   * its promise callbacks cost a measurable share of a 64 KiB page-cache write. Everything else
   * continues in appendSlow (slot, roll) or finishAppend (acknowledgement, flush).
   */
  private appendChunks(chunks: readonly Buffer[], bytes: number, layout: BatchLayout, mode: 'assign' | 'keep'): Promise<LogAppendInfo> {
    assert(layout.positions[layout.positions.length - 1]! + BATCH_HEADER_BYTES <= chunks[0]!.length, 'every batch header must lie in the first chunk');
    if (this.rolling !== undefined || !this.sequencer.tryTakeSlot()) return this.appendSlow(chunks, bytes, layout, mode, false);
    let placement: Placement;
    try {
      this.checkUsable();
      placement = this.sequencer.place(chunks[0]!, layout, mode);
    } catch (err) {
      this.sequencer.releaseSlot();
      return Promise.reject(err);
    }
    // a roll is due: the slot stays held while appendSlow rolls and places the append again
    if (this.rollReason(placement, bytes, layout) !== undefined) return this.appendSlow(chunks, bytes, layout, mode, true);
    return this.write(placement, chunks, bytes, layout);
  }

  /** appendChunks when it must wait: for a slot (unless `slotHeld`), for a roll, or to roll. */
  private async appendSlow(chunks: readonly Buffer[], bytes: number, layout: BatchLayout, mode: 'assign' | 'keep', slotHeld: boolean): Promise<LogAppendInfo> {
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
    return this.write(placement, chunks, bytes, layout);
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
   * sequencer decide its acknowledgement. An engine that throws instead of rejecting (a closed
   * file) fails the append like a failed write: slot released, log failed.
   */
  private write(placement: Placement, chunks: readonly Buffer[], bytes: number, layout: BatchLayout): Promise<LogAppendInfo> {
    const segment = this.segments.active;
    this.sequencer.written(placement);
    let written: Promise<void>;
    try {
      written = segment.append(placement.lastOffset, layout.maxTimestamp, placement.offsetOfMaxTimestamp, chunks, bytes);
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
    this.segments.push(await LogSegment.open(this.dir, newBase, this.config, this.segmentDeps, true, false));
    this.segmentDeps.logger.info(`rolled ${this.dir} to segment ${newBase}: ${reason}`);
    await this.deleteOldSegments();
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
   * Whole batches from the batch containing `startOffset`, at most `maxBytes` of them (at least one
   * with minOneBatch, the default), as file slices that may span segments. Offsets outside
   * [logStartOffset, logEndOffset] are OFFSET_OUT_OF_RANGE; at the log end the result is empty.
   */
  read(startOffset: number, maxBytes: number, options: ReadOptions = {}): Promise<FetchDataInfo> {
    this.checkUsable();
    // the end offset and the segments' committed bytes are taken together, before any await:
    // appends landing during the read must not widen the slices past the offset reported as the end
    return this.reader.read(this.segments.snapshot(), this.logEndOffset, startOffset, maxBytes, options);
  }

  /** Reads the bytes of a slice returned by read() (through the cache). */
  readSlice(slice: FileSlice): Promise<Buffer> {
    return this.reader.readSlice(slice);
  }

  /** Decoded batches from the batch containing `startOffset` (for callers that want records). */
  async readBatches(startOffset: number, maxBytes: number): Promise<DecodedBatch[]> {
    return this.reader.decode(await this.read(startOffset, maxBytes));
  }

  /**
   * Kafka's ListOffsets by timestamp: the first record whose timestamp >= `timestamp`, or undefined
   * when none is. -2 (earliest) and -1 (latest) give the log start and end offsets.
   */
  offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | undefined> {
    this.checkUsable();
    return this.reader.offsetForTimestamp(this.segments.snapshot(), this.logStartOffset, this.logEndOffset, timestamp);
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
    const flushedTo = this.logEndOffset;
    this.unflushedMessages = 0;
    this.lastFlushMs = this.now();
    const fromBase = this.segments.floor(this.recoveryPointOffset).baseOffset;
    for (const segment of this.segments.all) {
      if (segment.isActive || segment.baseOffset >= fromBase) await segment.flush();
    }
    this.recoveryPointOffset = Math.max(this.recoveryPointOffset, flushedTo);
  }

  private scheduleFlushTimer(): void {
    if (this.config.flushMs >= LONG_MAX) return;
    const tick = Math.max(1, Math.min(this.config.flushMs, 1000));
    this.flushTimer = setInterval(() => {
      if (this.closed || this.sequencer.failure || this.unflushedMessages === 0) return;
      if (this.now() - this.lastFlushMs >= this.config.flushMs) {
        this.flush().catch((err: unknown) => this.segmentDeps.logger.error(`flush.ms flush of ${this.dir} failed: ${(err as Error).message}`));
      }
    }, tick);
    this.flushTimer.unref();
  }

  /**
   * Deletes whole closed segments past retention.ms or while the log exceeds retention.bytes
   * (retention.ts); their descriptors close after file.delete.delay.ms. Returns how many went.
   */
  async deleteOldSegments(): Promise<number> {
    const breach = retentionBreach(this.segments.all, this.config, this.now());
    for (let i = 0; i < breach.count; i++) {
      const oldest = this.segments.shiftOldest();
      this.segmentDeps.logger.info(`retention: deleting segment ${oldest.file.path} (${breach.reason})`);
      this.deletes.schedule(oldest, this.config.fileDeleteDelayMs);
    }
    return breach.count;
  }

  /**
   * Cuts the log so that it ends before `offset` (a follower truncating to its leader, Kafka's
   * truncateTo): the batch holding `offset` and everything after it go. Appends in flight are
   * settled first; an offset at or past the log end changes nothing. Returns the new log end.
   */
  async truncateTo(offset: number): Promise<number> {
    this.checkUsable();
    while (this.rolling) await this.rolling;
    await this.sequencer.settle();
    this.checkUsable();
    if (offset >= this.logEndOffset) return this.logEndOffset;
    if (offset < this.logStartOffset) {
      throw new StrataError('OFFSET_OUT_OF_RANGE', `cannot truncate ${this.dir} to ${offset}, below its log start offset ${this.logStartOffset}`);
    }
    for (const later of this.segments.removeAfter(offset)) this.deletes.schedule(later, this.config.fileDeleteDelayMs);
    let last = this.segments.active;
    if (!last.isActive) {
      const reopened = await LogSegment.open(this.dir, last.baseOffset, this.config, this.segmentDeps, true, true);
      await last.close();
      await reopened.loadState();
      this.segments.popActive();
      this.segments.push(reopened);
      last = reopened;
    }
    const cut = await last.translateOffset(offset);
    const newEnd = cut ? Math.max(cut.baseOffset, last.baseOffset) : this.logEndOffset;
    if (cut) await last.truncateTo(cut.position, cut.baseOffset);
    this.sequencer.resetTo(newEnd);
    this.recoveryPointOffset = Math.min(this.recoveryPointOffset, newEnd);
    return newEnd;
  }

  /**
   * Flushes, trims and closes every segment. Returns true when the log closed healthy: the
   * LogManager writes the clean-shutdown marker only when every log did.
   */
  async close(): Promise<boolean> {
    if (this.closed) return false;
    if (this.flushTimer) clearInterval(this.flushTimer);
    let healthy = !this.sequencer.failure;
    let firstError: unknown;
    if (healthy) {
      try {
        await this.flush();
      } catch (err) {
        healthy = false;
        firstError = err;
      }
    }
    this.closed = true;
    this.deletes.runAll();
    // every descriptor is closed whatever fails, so a failed disk does not leak open files
    for (const segment of this.segments.all) {
      try {
        await segment.close();
      } catch (err) {
        healthy = false;
        firstError ??= err;
      }
    }
    if (firstError) throw firstError;
    return healthy;
  }
}

function appendInfo(placement: Placement, layout: BatchLayout, bytes: number): LogAppendInfo {
  return { firstOffset: placement.firstOffset, lastOffset: placement.lastOffset, records: layout.records, batches: layout.positions.length, bytes, maxTimestamp: layout.maxTimestamp };
}
