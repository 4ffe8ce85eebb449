/**
 * One partition's log (Kafka's UnifiedLog/LocalLog), a facade over its parts: LogLoader opens the
 * directory, LogSegments holds the segments, AppendSequencer orders appends and their
 * acknowledgements, retention.ts decides deletions; the checkpoint files live with the LogManager.
 *
 * Follow a record: append() validates batches and records once (LogValidator) -> the sequencer
 * assigns offsets, checks producers' sequences -> LogSegment.append() picks the index entries ->
 * SegmentFile.append() (the engine) writes -> the sequencer acknowledges in offset order -> read()
 * finds the batch with one index lookup and returns FileSlices -> a Transfer sends the slices.
 */
import { basename } from 'node:path';
import { noneCache, type Cache } from '../cache.js';
import { CodecRegistry } from '../codec.js';
import type { LogConfig } from '../config/log-config.js';
import type { StorageEngine } from '../engine.js';
import { StrataError } from '../errors.js';
import { layoutOfBuiltBatch, type ValidatedBatches } from '../format/batch-cursor.js';
import { buildEndTxnMarkerBatch } from '../format/end-txn-marker.js';
import type { AbortedTxn } from '../index/transaction-index.js';
import { buildCompressedBatchParts, type BatchOptions, type DecodedBatch, type ProducerRecord } from '../format/records.js';
import { stderrLogger, type Logger } from '../tokens.js';
import type { FileSlice } from '../transfer.js';
import { AppendSequencer } from './append-sequencer.js';
import { LogAppender, type LogAppendInfo } from './log-appender.js';
import { LogLoader, type LoadOptions } from './log-loader.js';
import { LogReader, type FetchDataInfo, type ReadOptions } from './log-reader.js';
import { LogProducerState } from './log-producer-state.js';
import { LogSegment, type SegmentDeps } from './log-segment.js';
import { offsetsConsecutive } from './offset-order.js';
import type { ValidatedRecords } from './log-validator.js';
import { ValidatedAppends } from './validated-appends.js';
import { DelayedSegmentDeletes, retentionBreach } from './retention.js';
import { LogSegments } from './segments.js';

export { APPENDS_IN_FLIGHT_MAX } from './append-sequencer.js';
export type { FetchDataInfo, ReadOptions } from './log-reader.js';
export type { LoadOptions } from './log-loader.js';
export type { LogAppendInfo } from './log-appender.js';

export interface LogDeps {
  engine: StorageEngine;
  codecs?: CodecRegistry;
  cache?: Cache;
  logger?: Logger;
  /** Clock for segment.ms, retention.ms and flush.ms (tests pass their own). */
  now?: () => number;
  /**
   * Called before the log start offset moves (retention removes segments, DeleteRecords), with the
   * new log start offset: the LogManager checkpoints it first, so a segment found missing below it
   * later is known to be damage, and records deleted below it stay deleted after a restart.
   */
  beforeLogStartOffsetChange?: (log: Log, logStartOffset: number) => void;
  /**
   * The high-watermark hook: called with every new log end offset (each acknowledged append, in
   * offset order, and a truncation), for a broker's delayed fetches or a replication layer. Runs
   * inside the append path: it must not append to this log in the call.
   */
  onHighWatermark?: (log: Log, logEndOffset: number) => void;
  /** Kafka's producer.id.expiration.ms for the producer state (default: a day). */
  producerIdExpirationMs?: number;
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
  private readonly appender: LogAppender;
  private readonly appends: ValidatedAppends;
  /** The idempotent producers' state (Kafka's ProducerStateManager), loaded on first use. */
  readonly producerState: LogProducerState;
  private closed = false;
  private readonly codecs: CodecRegistry;
  private readonly segmentDeps: SegmentDeps;
  private readonly now: () => number;
  /** Kafka's logStartOffset: may lie inside the first segment once records were deleted (DeleteRecords). */
  private startOffset: number;

  private constructor(
    readonly dir: string,
    readonly config: LogConfig,
    private readonly deps: LogDeps,
    loaded: { segments: LogSegment[]; nextOffset: number; recoveryPoint: number; logStartOffset: number },
  ) {
    this.startOffset = loaded.logStartOffset;
    this.codecs = deps.codecs ?? new CodecRegistry();
    const logger = deps.logger ?? stderrLogger;
    this.segmentDeps = { engine: deps.engine, cache: deps.cache ?? noneCache, logger };
    this.now = deps.now ?? Date.now;
    this.segments = new LogSegments(loaded.segments);
    const onHighWatermark = deps.onHighWatermark;
    this.sequencer = new AppendSequencer(loaded.nextOffset, offsetsConsecutive(config), onHighWatermark && ((end) => onHighWatermark(this, end)));
    this.deletes = new DelayedSegmentDeletes(logger);
    this.reader = new LogReader(this.segments, this.codecs, config);
    const checkUsable = () => this.checkUsable();
    this.appender = new LogAppender(dir, config, this.segments, this.sequencer, this.segmentDeps, this.now, checkUsable, () => this.deleteOldSegments(), loaded.recoveryPoint);
    this.producerState = new LogProducerState(this, this.sequencer, logger, deps.producerIdExpirationMs);
    this.appends = new ValidatedAppends(config, this.codecs, this.appender, this.producerState, this.now);
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
    log.appender.startFlushTimer();
    return log;
  }

  get engine(): StorageEngine {
    return this.deps.engine;
  }
  /** The partition directory's name (`TOPIC-PARTITION`), the key of the root checkpoints. */
  get partitionDirName(): string {
    return basename(this.dir);
  }
  /** The first offset a read may ask for: records below it are deleted (retention or DeleteRecords). */
  get logStartOffset(): number {
    return this.startOffset;
  }
  /** Offset after the last acknowledged record (the high watermark of a single-replica log). */
  get logEndOffset(): number {
    return this.sequencer.logEndOffset;
  }
  /** Offsets below this are flushed to disk (Kafka's recovery point). */
  get recoveryPoint(): number {
    return this.appender.recoveryPoint;
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
   * Appends one or more RecordBatch v2 batches (one buffer), validated once here with every record
   * in them (LogValidator: size, magic, CRC, message.max.bytes, the record walk) before anything is
   * written; batches of idempotent producers have their sequences checked (a retry resolves with
   * its original's offsets and `duplicate`). Offsets follow the order of the calls. Resolves once
   * the engine acknowledged these bytes and every earlier append, in offset order.
   */
  append(batches: Buffer, options: AppendOptions = {}): Promise<LogAppendInfo> {
    try {
      this.checkUsable();
      if (batches.length > APPEND_BYTES_MAX) {
        throw new StrataError('RECORD_TOO_LARGE', `append of ${batches.length} bytes exceeds the ${APPEND_BYTES_MAX}-byte limit per append`);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return this.appends.appendBytes(batches, options.offsets ?? 'assign');
  }

  /** LogValidator with this log's codecs and message.max.bytes; ValidatedBatches have their CRCs checked already. */
  validate(batches: Buffer | ValidatedBatches, source?: string): Promise<ValidatedRecords> {
    return this.appends.validate(batches, source);
  }

  /** Appends batches LogValidator validated already (a broker's produce path, with its own rules). */
  appendValidated(validated: ValidatedRecords, options: AppendOptions = {}): Promise<LogAppendInfo> {
    return this.appends.append(validated, options.offsets ?? 'assign');
  }

  /**
   * Builds one batch from `records` (compressed with `codec`, default none) and appends it, in two
   * pieces (header, records section) down to the engine's writev: a large section is never copied.
   */
  async appendRecords(records: readonly ProducerRecord[], options: BatchOptions & { codec?: string } = {}): Promise<LogAppendInfo> {
    this.checkUsable();
    const codec = this.codecs.byNameOrThrow(options.codec ?? 'none');
    const { header, body } = await buildCompressedBatchParts(records, codec, options);
    const bytes = header.length + body.length;
    const built = layoutOfBuiltBatch(header, bytes, this.config.messageMaxBytes);
    // a log that rewrites batches (into its own codec, or stamped), or checks a producer's sequences, takes the batch as one buffer
    const producer = options.producerId !== undefined && options.producerId >= 0;
    if (producer || this.config.compressionType !== 'producer' || this.config.messageTimestampType === 'LogAppendTime') return this.append(Buffer.concat([header, body], bytes));
    return this.appender.appendChunks([header, body], bytes, built.layout, 'assign');
  }

  /**
   * Whole batches from the batch containing `startOffset`, at most `maxBytes` of them (at least one
   * with minOneBatch, the default), as file slices that may span segments. Offsets outside
   * [logStartOffset, logEndOffset] are OFFSET_OUT_OF_RANGE; at the log end the result is empty.
   */
  async read(startOffset: number, maxBytes: number, options: ReadOptions = {}): Promise<FetchDataInfo> {
    this.checkUsable();
    // the end offset and the segments' committed bytes are taken together, before any await:
    // appends landing during the read must not widen the slices past the offset reported as the end
    return this.reader.read(this.segments.snapshot(), this.logStartOffset, this.logEndOffset, startOffset, maxBytes, options);
  }

  /**
   * Kafka's appendAsLeader from the coordinator (WriteTxnMarkers): the COMMIT or ABORT marker of
   * `producerId`'s transaction; fenced epochs are a ProducerStateRejection (producer-txn-checks.ts).
   */
  appendEndTxnMarker(producerId: number, producerEpoch: number, committed: boolean, coordinatorEpoch: number, options: { partitionLeaderEpoch?: number } = {}): Promise<LogAppendInfo> {
    const batch = buildEndTxnMarkerBatch({ committed, coordinatorEpoch }, { producerId, producerEpoch, timestamp: this.now(), partitionLeaderEpoch: options.partitionLeaderEpoch });
    return this.append(batch);
  }

  /** Kafka's lastStableOffset: the first offset of a transaction not yet decided, else the high watermark (the log end). */
  async lastStableOffset(): Promise<number> {
    this.checkUsable();
    if (!this.producerState.manager) await this.producerState.load();
    const highWatermark = this.logEndOffset;
    const firstUnstable = this.producerState.manager!.firstUnstableOffset(highWatermark);
    return firstUnstable !== undefined && firstUnstable < highWatermark ? Math.max(firstUnstable, this.logStartOffset) : highWatermark;
  }

  /** Kafka's collectAbortedTransactions: the aborted transactions overlapping [startOffset, upperBoundOffset). */
  collectAbortedTransactions(startOffset: number, upperBoundOffset: number): AbortedTxn[] {
    this.checkUsable();
    return this.segments.collectAbortedTransactions(startOffset, upperBoundOffset);
  }

  /** Reads the bytes of a slice returned by read() (through the cache). */
  readSlice(slice: FileSlice): Promise<Buffer> {
    return this.reader.readSlice(slice);
  }

  /** Decoded batches from the batch containing `startOffset` (for callers that want records). */
  async readBatches(startOffset: number, maxBytes: number): Promise<DecodedBatch[]> {
    return this.reader.decode(await this.read(startOffset, maxBytes), startOffset);
  }

  /**
   * Kafka's ListOffsets by timestamp: the first record whose timestamp >= `timestamp`, or undefined
   * when none is. -2 (earliest) and -1 (latest) give the log start and end offsets.
   */
  async offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | undefined> {
    this.checkUsable();
    return this.reader.offsetForTimestamp(this.segments.snapshot(), this.logStartOffset, this.logEndOffset, timestamp);
  }

  /**
   * Kafka's UnifiedLog.updateConfig (AlterConfigs on a live topic): the new values hold from the
   * next call on, for every part of the log (they share this one config object); segment-level
   * sizes (segment.index.bytes, preallocate) apply from the next roll, as in Kafka. cleanup.policy
   * cannot change on an open log: whether offsets may have gaps is decided when it is opened.
   */
  updateConfig(next: Readonly<LogConfig>): void {
    this.checkUsable();
    if (next.cleanupPolicy !== this.config.cleanupPolicy) {
      throw new StrataError('INVALID_CONFIG', `cleanup.policy of ${this.dir} cannot change from ${this.config.cleanupPolicy} to ${next.cleanupPolicy} while the log is open`);
    }
    Object.assign(this.config, next);
    this.appender.stopFlushTimer();
    this.appender.startFlushTimer();
  }

  /**
   * ListOffsets with -3 (Kafka's MAX_TIMESTAMP): the record with the newest timestamp and its
   * offset (the first record holding it), or undefined on a log without records.
   */
  async maxTimestampAndOffset(): Promise<{ offset: number; timestamp: number } | undefined> {
    this.checkUsable();
    return this.reader.maxTimestampAndOffset(this.segments.snapshot(), this.logStartOffset, this.logEndOffset);
  }

  /**
   * Kafka's maybeIncrementLogStartOffset for DeleteRecords: records below `offset` are deleted —
   * no longer readable, and the whole segments below it go with the next retention pass (which
   * runs now). An offset at or below the current start changes nothing; one past the log end (the
   * high watermark of a single replica) is OFFSET_OUT_OF_RANGE. Returns the log start offset.
   */
  async deleteRecordsBefore(offset: number): Promise<number> {
    this.checkUsable();
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > this.logEndOffset) {
      throw new StrataError('OFFSET_OUT_OF_RANGE', `cannot delete records of ${this.dir} before offset ${offset}: it lies outside [0, ${this.logEndOffset}] (the log end)`);
    }
    if (offset > this.startOffset) {
      this.deps.beforeLogStartOffsetChange?.(this, offset);
      this.startOffset = offset;
      this.segmentDeps.logger.info(`${this.dir}: log start offset moved to ${offset} (records deleted)`);
      await this.deleteOldSegments();
    }
    return this.startOffset;
  }

  /** Rolls the active segment now (if it holds data). */
  async forceRoll(): Promise<void> {
    this.checkUsable();
    return this.appender.forceRoll();
  }

  /**
   * Makes every acknowledged append durable: one data sync of the active segment (plus the index
   * files of segments closed since the last flush), and moves the recovery point to the flushed
   * offset. The LogManager writes the recovery point to its checkpoint on a timer, off this path.
   */
  async flush(): Promise<void> {
    this.checkUsable();
    return this.appender.flush();
  }

  /**
   * Deletes whole closed segments past retention.ms or while the log exceeds retention.bytes
   * (retention.ts); their descriptors close after file.delete.delay.ms. Returns how many went.
   */
  async deleteOldSegments(): Promise<number> {
    const breach = retentionBreach(this.segments.all, this.config, this.now(), this.startOffset);
    if (breach.count === 0) return 0;
    const newStart = Math.max(this.startOffset, this.segments.all[breach.count]!.baseOffset);
    if (newStart > this.startOffset) this.deps.beforeLogStartOffsetChange?.(this, newStart);
    for (let i = 0; i < breach.count; i++) {
      const oldest = this.segments.shiftOldest();
      this.segmentDeps.logger.info(`retention: deleting segment ${oldest.file.path} (${breach.reason})`);
      this.deletes.schedule(oldest, this.config.fileDeleteDelayMs);
    }
    this.startOffset = newStart;
    this.producerState.manager?.deleteSnapshotsBefore(newStart);
    return breach.count;
  }

  /**
   * Cuts the log so that it ends before `offset` (a follower truncating to its leader, Kafka's
   * truncateTo): the batch holding `offset` and everything after it go. Appends in flight are
   * settled first; an offset at or past the log end changes nothing. Returns the new log end.
   */
  async truncateTo(offset: number): Promise<number> {
    this.checkUsable();
    await this.appender.quiesce();
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
    this.producerState.invalidate();
    this.appender.recoveryPoint = Math.min(this.appender.recoveryPoint, newEnd);
    return newEnd;
  }

  /**
   * The first half of deleting this log (Kafka's LogManager.asyncDelete): settles appends in
   * flight, then refuses every further call (LOG_CLOSED) and writes nothing more, so the caller
   * can move the directory away. The descriptors stay open for reads and transfers already holding
   * a slice; the returned function closes them (after file.delete.delay.ms, say).
   */
  async closeForDelete(): Promise<() => Promise<void>> {
    this.checkUsable();
    this.appender.stopFlushTimer();
    await this.appender.quiesce().catch(() => {}); // a failed append changes nothing: the log goes
    this.closed = true;
    this.deletes.runAll();
    const segments = this.segments.all;
    return async () => {
      for (const segment of segments) await segment.closeDescriptors().catch(() => {});
    };
  }

  /**
   * Flushes, trims and closes every segment. Returns true when the log closed healthy: the
   * LogManager writes the clean-shutdown marker only when every log did.
   */
  async close(): Promise<boolean> {
    if (this.closed) return false;
    this.appender.stopFlushTimer();
    let healthy = !this.sequencer.failure;
    let firstError: unknown;
    if (healthy) {
      try {
        await this.flush();
        this.producerState.snapshotAtClose();
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

