/**
 * One partition's log (Kafka's UnifiedLog/LocalLog): an ordered list of LogSegments in one
 * directory. Appends validate batches, assign offsets and go to the active segment; reads return
 * file slices (what a zero-copy transfer needs) or decoded batches.
 *
 * Follow a record: append() validates and assigns offsets -> LogSegment.append() picks the index
 * entries -> SegmentFile.append() (the engine) writes it -> the append is acknowledged in order ->
 * read() finds it through the offset index and returns a FileSlice -> a Transfer sends the slice.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { noneCache, type Cache } from '../cache.js';
import { CodecRegistry } from '../codec.js';
import type { LogConfig } from '../config/log-config.js';
import { LONG_MAX } from '../config/log-config.js';
import { APPEND_LANDED, type StorageEngine } from '../engine.js';
import { ensureDir } from '../dirs.js';
import { StrataError, assert } from '../errors.js';
import { readInt64 } from '../format/int64.js';
import { codecNameForCompressionType, recompressBatches } from '../format/compression-type.js';
import {
  ATTRIBUTES_OFFSET,
  BATCH_HEADER_BYTES,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD_BYTES,
  compressionOf,
  MAX_TIMESTAMP_OFFSET,
  RECORDS_COUNT_OFFSET,
  setBaseOffset,
  validateBatch,
} from '../format/record-batch.js';
import { buildCompressedBatchParts, decodeBatch, type BatchOptions, type DecodedBatch, type ProducerRecord } from '../format/records.js';
import { stderrLogger, type Logger } from '../tokens.js';
import type { FileSlice } from '../transfer.js';
import { CLEAN_SHUTDOWN_FILE, RECOVERY_POINT_FILE, parseSegmentLogName } from './file-names.js';
import { LogSegment } from './log-segment.js';

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
  /** Skip CRC validation; only for batches this process built itself. */
  trusted?: boolean;
}

export interface FetchDataInfo {
  /** File slices holding whole batches, in order; empty at the log end. */
  slices: FileSlice[];
  /** Bytes in all slices. */
  bytes: number;
  /** Base offset of the first batch returned (may be below the requested offset). */
  firstBatchOffset: number | undefined;
  /** Offset after the last batch returned: where the next read continues. */
  nextOffset: number;
  /** Offset after the last acknowledged record (the high watermark of a single-replica log). */
  logEndOffset: number;
  logStartOffset: number;
}

export interface ReadOptions {
  /** Return at least one whole batch even when it is larger than maxBytes (Kafka's minOneMessage). */
  minOneBatch?: boolean;
}

/** Bounds the appends in flight so a fast producer cannot queue unbounded memory. */
export const APPENDS_IN_FLIGHT_MAX = 1024;
/** Largest buffer one append() takes: a produce request's worth of batches. */
export const APPEND_BYTES_MAX = 100 * 1024 * 1024;

export class Log {
  private readonly segments: LogSegment[] = [];
  /** Offset the next appended record gets. */
  private nextOffset = 0;
  /** Offset after the last acknowledged record: readers see offsets below it. */
  private committedEndOffset = 0;
  private startOffset = 0;
  /** Settles when every append issued so far has (acks go in order); rejects after a failure. */
  private lastAck: Promise<void> = Promise.resolve();
  /** Appends written or being written, in offset order, not yet acknowledged. */
  private readonly pendingAcks: PendingAck[] = [];
  /** Appends in finishAppend: written, their callers not yet told (the landed shortcut waits for 0). */
  private appendsFinishing = 0;
  /** The first append failure: every append behind it fails too. */
  private ackFailure: unknown;
  private appendsInFlight = 0;
  private readonly appendSlotWaiters: (() => void)[] = [];
  private rolling: Promise<void> | undefined;
  private unflushedMessages = 0;
  private lastFlushMs: number;
  private flushTimer: NodeJS.Timeout | undefined;
  private recoveryPoint = 0;
  private failure: Error | undefined;
  /** Deleted segments whose descriptors close after file.delete.delay.ms (run at close too). */
  private readonly pendingDestroys = new Set<() => void>();
  private closed = false;
  private readonly codecs: CodecRegistry;
  private readonly cache: Cache;
  private readonly logger: Logger;
  private readonly now: () => number;

  private constructor(
    readonly dir: string,
    readonly config: LogConfig,
    private readonly deps: LogDeps,
  ) {
    this.codecs = deps.codecs ?? new CodecRegistry();
    this.cache = deps.cache ?? noneCache;
    this.logger = deps.logger ?? stderrLogger;
    this.now = deps.now ?? Date.now;
    this.lastFlushMs = this.now();
  }

  get engine(): StorageEngine {
    return this.deps.engine;
  }

  get logStartOffset(): number {
    return this.startOffset;
  }

  /** Offset after the last acknowledged record. */
  get logEndOffset(): number {
    return this.committedEndOffset;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }

  /** Total bytes of all segments. */
  get sizeBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.sizeBytes;
    return total;
  }

  /**
   * Opens the log in `dir` (created when missing). After a clean shutdown the files are trusted;
   * otherwise every batch from the recovery point on is validated, indexes rebuilt, and the log
   * truncated at the first torn or corrupt batch, with a log line saying what was cut and why.
   */
  static async open(dir: string, config: LogConfig, deps: LogDeps): Promise<Log> {
    const log = new Log(dir, config, deps);
    await log.load();
    return log;
  }

  private async load(): Promise<void> {
    ensureDir(this.dir);
    const cleanMarker = join(this.dir, CLEAN_SHUTDOWN_FILE);
    const clean = fs.existsSync(cleanMarker);
    this.recoveryPoint = clean ? LONG_MAX : readRecoveryPoint(this.dir);
    const baseOffsets: number[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      if (name.endsWith('.deleted') || name.endsWith('.cleaned') || name.endsWith('.swap')) {
        fs.rmSync(join(this.dir, name), { force: true }); // leftovers of an interrupted delete
        continue;
      }
      const base = parseSegmentLogName(name);
      if (base !== undefined) baseOffsets.push(base);
    }
    baseOffsets.sort((a, b) => a - b);
    const deps = { engine: this.deps.engine, cache: this.cache, logger: this.logger };
    let expectedOffsetMin = baseOffsets[0] ?? 0;
    for (let i = 0; i < baseOffsets.length; i++) {
      const base = baseOffsets[i]!;
      const isLast = i === baseOffsets.length - 1;
      const nextBase = baseOffsets[i + 1];
      const needsRecovery = !clean && (nextBase === undefined || nextBase > this.recoveryPoint);
      const segment = await LogSegment.open(this.dir, base, this.config, deps, isLast, !needsRecovery);
      this.segments.push(segment);
      let lastOffset: number | undefined;
      let recovered = needsRecovery;
      if (!needsRecovery) {
        try {
          lastOffset = (await segment.loadState())?.lastOffset;
        } catch (err) {
          this.logger.warn(`segment ${segment.file.path}: index failed its sanity check (${(err as Error).message}); rebuilding`);
          recovered = true;
        }
      }
      if (recovered) {
        const result = await segment.recover(Math.max(expectedOffsetMin, base));
        lastOffset = result.lastOffset;
        if (result.reason) {
          this.logger.warn(`recovery of ${segment.file.path}: cut ${result.truncatedBytes} bytes at position ${result.validBytes}: ${result.reason}`);
          // everything after a damaged segment is after the damage: drop it (Kafka does the same)
          for (const later of baseOffsets.slice(i + 1)) {
            const doomed = await LogSegment.open(this.dir, later, this.config, deps, false, false);
            this.logger.warn(`recovery: deleting segment ${doomed.file.path} after the truncation point`);
            await doomed.delete();
          }
          baseOffsets.length = i + 1;
          if (!isLast) {
            // this segment is now the last and must become the active one again
            await segment.close();
            this.segments.pop();
            this.segments.push(await LogSegment.open(this.dir, base, this.config, deps, true, true));
            await this.segments[this.segments.length - 1]!.loadState();
          }
        }
      }
      if (lastOffset !== undefined) expectedOffsetMin = lastOffset + 1;
      else expectedOffsetMin = Math.max(expectedOffsetMin, base);
    }
    if (this.segments.length === 0) {
      this.segments.push(await LogSegment.open(this.dir, 0, this.config, deps, true, false));
    }
    this.startOffset = this.segments[0]!.baseOffset;
    const active = this.activeSegment();
    this.nextOffset = Math.max(expectedOffsetMin, active.baseOffset);
    this.committedEndOffset = this.nextOffset;
    // the marker is consumed: a crash from now on must trigger recovery
    if (clean) {
      fs.rmSync(cleanMarker, { force: true });
      syncDir(this.dir);
    }
    this.recoveryPoint = Math.min(this.recoveryPoint, this.nextOffset);
    this.scheduleFlushTimer();
  }

  private activeSegment(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  private checkUsable(): void {
    if (this.closed) throw new StrataError('LOG_CLOSED', `log ${this.dir} is closed`);
    if (this.failure) throw new StrataError('LOG_FAILED', `log ${this.dir} failed earlier and needs reopening: ${this.failure.message}`, { cause: this.failure });
  }

  /**
   * Appends one or more RecordBatch v2 batches (one buffer). Each batch is validated (size, magic,
   * CRC, message.max.bytes) before anything is written; then offsets are assigned in place and the
   * bytes go to the active segment. Resolves once the engine acknowledged these bytes and every
   * earlier append, so acknowledgements come in offset order.
   */
  append(batches: Buffer, options: AppendOptions = {}): Promise<LogAppendInfo> {
    // not async: the hot path allocates no promise until the write (every call still reports
    // problems as a rejection, never a throw)
    try {
      this.checkUsable();
      if (batches.length === 0) throw new StrataError('INVALID_ARGUMENT', 'append of an empty buffer');
      if (batches.length > APPEND_BYTES_MAX) {
        throw new StrataError('RECORD_TOO_LARGE', `append of ${batches.length} bytes exceeds the ${APPEND_BYTES_MAX}-byte limit per append`);
      }
      // the default (`producer`) keeps batches as sent: no await on the hot path
      if (this.config.compressionType !== 'producer') {
        return this.applyCompressionType(batches).then((converted) => this.appendBuffer(converted, options));
      }
      return this.appendBuffer(batches, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private appendBuffer(batches: Buffer, options: AppendOptions): Promise<LogAppendInfo> {
    const layout = this.validateForAppend(batches, options.trusted === true);
    return this.appendValidated([batches], batches.length, layout, options.offsets ?? 'assign');
  }

  /** Hands a finished append's slot to the first waiter, or frees it. */
  private releaseAppendSlot(): void {
    const next = this.appendSlotWaiters.shift();
    if (next) next();
    else this.appendsInFlight--;
  }

  /**
   * Kafka's compression.type on the log: `producer` stores batches as sent; a codec name (or
   * `uncompressed`) makes the log store every batch in that codec, rebuilding those that arrive in
   * another one with all header fields and records kept.
   */
  private async applyCompressionType(batches: Buffer): Promise<Buffer> {
    const target = codecNameForCompressionType(this.config.compressionType);
    if (target === 'producer') return batches;
    const codec = this.codecs.byNameOrThrow(target);
    for (let position = 0; position + ATTRIBUTES_OFFSET + 2 <= batches.length; ) {
      if (compressionOf(batches.readInt16BE(position + ATTRIBUTES_OFFSET)) !== codec.type) {
        return recompressBatches(batches, codec, this.codecs, { decompressedBytesMax: 4 * this.config.messageMaxBytes });
      }
      const sizeBytes = LOG_OVERHEAD_BYTES + batches.readInt32BE(position + 8);
      if (sizeBytes < BATCH_HEADER_BYTES) break; // malformed: validation names it
      position += sizeBytes;
    }
    return batches;
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
    if (bytes > this.config.messageMaxBytes) {
      throw new StrataError('RECORD_TOO_LARGE', `record batch of ${bytes} bytes exceeds message.max.bytes (${this.config.messageMaxBytes})`);
    }
    // a log that rewrites batches into its own codec takes the batch as one buffer
    if (this.config.compressionType !== 'producer') return this.append(Buffer.concat([header, body], bytes), { trusted: true });
    // built here, so trusted: the layout comes from the header alone
    return this.appendValidated([header, body], bytes, this.validateForAppend(header, true), 'assign');
  }

  private validateForAppend(batches: Buffer, trusted: boolean): BatchLayout {
    // the arrays start as one-element literals, not as [] that a push then grows to 17 slots: most
    // appends carry one batch, and fewer bytes allocated per append measurably shortens it
    const layout: BatchLayout = { positions: EMPTY, records: 0, lastOffsetDeltas: EMPTY, maxTimestamp: -1, offsetOfMaxTimestampIndex: 0 };
    let position = 0;
    while (position < batches.length) {
      let sizeBytes: number;
      if (trusted) sizeBytes = 12 + batches.readInt32BE(position + 8);
      else {
        // a batch too large is named as such before its (possibly absent) bytes are checked
        if (batches.length - position >= 12) {
          const claimed = 12 + batches.readInt32BE(position + 8);
          if (claimed > this.config.messageMaxBytes) {
            throw new StrataError('RECORD_TOO_LARGE', `record batch of ${claimed} bytes at position ${position} exceeds message.max.bytes (${this.config.messageMaxBytes})`);
          }
        }
        sizeBytes = validateBatch(batches, position);
      }
      if (sizeBytes > this.config.messageMaxBytes) {
        throw new StrataError('RECORD_TOO_LARGE', `record batch of ${sizeBytes} bytes exceeds message.max.bytes (${this.config.messageMaxBytes})`);
      }
      const lastOffsetDelta = batches.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET);
      const maxTimestamp = readInt64(batches, position + MAX_TIMESTAMP_OFFSET);
      if (maxTimestamp > layout.maxTimestamp) {
        layout.maxTimestamp = maxTimestamp;
        layout.offsetOfMaxTimestampIndex = layout.positions.length;
      }
      if (layout.positions === EMPTY) {
        layout.positions = [position];
        layout.lastOffsetDeltas = [lastOffsetDelta];
      } else {
        layout.positions.push(position);
        layout.lastOffsetDeltas.push(lastOffsetDelta);
      }
      layout.records += batches.readInt32BE(position + RECORDS_COUNT_OFFSET);
      position += sizeBytes;
    }
    return layout;
  }

  /**
   * `chunks` hold the batches back to back; every batch header lies in chunks[0] (one buffer of
   * batches, or one batch as header + records section), since offsets are written into it.
   *
   * Not async: the common case of an engine whose bytes land in the call (APPEND_LANDED) with a
   * free slot, no roll and nothing earlier outstanding completes here without an async frame; on
   * this VM the frame and its promise callbacks cost a measurable share of a 64 KiB page-cache write.
   * Everything else continues in appendSlow (slot, roll) or finishAppend (acknowledgement, flush).
   */
  private appendValidated(chunks: readonly Buffer[], bytes: number, layout: BatchLayout, offsets: 'assign' | 'keep'): Promise<LogAppendInfo> {
    const batches = chunks[0]!;
    assert(layout.positions[layout.positions.length - 1]! + BATCH_HEADER_BYTES <= batches.length, 'every batch header must lie in the first chunk');
    if (this.appendsInFlight >= APPENDS_IN_FLIGHT_MAX || this.rolling !== undefined) return this.appendSlow(chunks, bytes, layout, offsets, false);
    this.appendsInFlight++;
    let placed: PlacedAppend | RollDue;
    try {
      this.checkUsable();
      placed = this.placeAppend(batches, bytes, layout, offsets);
    } catch (err) {
      this.releaseAppendSlot();
      return Promise.reject(err);
    }
    // a roll is due: the slot stays held while appendSlow rolls and places the append again
    if ('rollReason' in placed) return this.appendSlow(chunks, bytes, layout, offsets, true);
    const segment = this.activeSegment();
    const written = this.writePlaced(segment, placed, chunks, bytes, layout);
    const endPosition = segment.sizeBytes;
    if (
      written === APPEND_LANDED &&
      this.appendsFinishing === 0 &&
      this.ackFailure === undefined &&
      this.unflushedMessages + layout.records < this.config.flushMessages
    ) {
      // landed, with nothing earlier outstanding: acknowledged now, still in offset order
      this.commit(segment, endPosition, placed.lastOffset);
      this.unflushedMessages += layout.records;
      this.releaseAppendSlot();
      return Promise.resolve(appendInfo(placed, layout, bytes));
    }
    return this.finishAppend(written, segment, endPosition, placed, layout, bytes);
  }

  /** appendValidated when it must wait: for a slot (unless `slotHeld`), for a roll, or to roll. */
  private async appendSlow(chunks: readonly Buffer[], bytes: number, layout: BatchLayout, offsets: 'assign' | 'keep', slotHeld: boolean): Promise<LogAppendInfo> {
    const batches = chunks[0]!;
    // a bounded number of appends in flight, so a fast producer cannot queue unbounded memory; a
    // freed slot goes to the first waiter
    if (!slotHeld) {
      if (this.appendsInFlight >= APPENDS_IN_FLIGHT_MAX) await new Promise<void>((resolve) => this.appendSlotWaiters.push(resolve));
      else this.appendsInFlight++;
    }
    let placed: PlacedAppend | RollDue;
    try {
      // a roll is a loop rather than a recursion: every append, whichever way it came, ends in
      // finishAppend's one async frame
      for (;;) {
        // a roll in progress must finish first: offsets and positions are assigned in call order
        while (this.rolling) await this.rolling;
        this.checkUsable();
        placed = this.placeAppend(batches, bytes, layout, offsets);
        if (!('rollReason' in placed)) break;
        const rolled = this.roll(placed.firstOffset, placed.rollReason);
        this.rolling = rolled;
        try {
          await rolled;
        } finally {
          this.rolling = undefined;
        }
      }
    } catch (err) {
      this.releaseAppendSlot();
      throw err;
    }
    const segment = this.activeSegment();
    const written = this.writePlaced(segment, placed, chunks, bytes, layout);
    return this.finishAppend(written, segment, segment.sizeBytes, placed, layout, bytes);
  }
  /**
   * Gives the batches their offsets (or checks the ones they carry) and says whether the active
   * segment can take them: a PlacedAppend, or the roll that must come first.
   */
  private placeAppend(batches: Buffer, bytes: number, layout: BatchLayout, offsets: 'assign' | 'keep'): PlacedAppend | RollDue {
    let firstOffset: number;
    if (offsets === 'assign') {
      firstOffset = this.nextOffset;
    } else {
      firstOffset = readInt64(batches, layout.positions[0]!);
      if (firstOffset < this.nextOffset) {
        throw new StrataError('INVALID_ARGUMENT', `batch base offset ${firstOffset} is below the log end offset ${this.nextOffset}`);
      }
    }
    // offsets of each batch; with 'keep', verify they increase
    let offset = firstOffset;
    let lastOffset = firstOffset;
    let offsetOfMaxTimestamp = firstOffset;
    for (let i = 0; i < layout.positions.length; i++) {
      const pos = layout.positions[i]!;
      if (offsets === 'assign') setBaseOffset(batches, pos, offset);
      else {
        const base = readInt64(batches, pos);
        if (base < offset) throw new StrataError('INVALID_ARGUMENT', `batch base offset ${base} does not follow ${offset - 1}`);
        offset = base;
      }
      lastOffset = offset + layout.lastOffsetDeltas[i]!;
      if (i === layout.offsetOfMaxTimestampIndex) offsetOfMaxTimestamp = lastOffset;
      offset = lastOffset + 1;
    }
    const active = this.activeSegment();
    const rollReason =
      firstOffset > this.nextOffset && active.baseOffset !== firstOffset
        ? `offset gap (${this.nextOffset} to ${firstOffset})`
        : active.rollReason(bytes, layout.maxTimestamp, lastOffset);
    if (rollReason) return { firstOffset, rollReason };
    return { firstOffset, lastOffset, offsetOfMaxTimestamp };
  }

  /**
   * Hands placed batches to the active segment; the log end moves past them at once. An engine that
   * throws instead of rejecting (a closed file) gives a rejection all the same, so the append fails
   * through finishAppend like a failed write: slot released, log marked failed.
   */
  private writePlaced(segment: LogSegment, placed: PlacedAppend, chunks: readonly Buffer[], bytes: number, layout: BatchLayout): Promise<void> {
    this.nextOffset = placed.lastOffset + 1;
    try {
      return segment.append(placed.lastOffset, layout.maxTimestamp, placed.offsetOfMaxTimestamp, chunks, bytes);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Waits for a written append's acknowledgement (in offset order), then flushes if flush.messages says so. */
  private async finishAppend(written: Promise<void>, segment: LogSegment, endPosition: number, placed: PlacedAppend, layout: BatchLayout, bytes: number): Promise<LogAppendInfo> {
    this.appendsFinishing++;
    try {
      try {
        // landed already, and no other append between its write and its caller hearing of it:
        // acknowledged now, in offset order all the same
        if (written === APPEND_LANDED && this.appendsFinishing === 1 && this.ackFailure === undefined) this.commit(segment, endPosition, placed.lastOffset);
        else await this.queueAck(written, segment, endPosition, placed.lastOffset);
      } catch (err) {
        // the file may now hold a partial write at an offset we handed out: stop accepting appends
        // until reopened, when recovery cuts the damage (Kafka takes the log dir offline)
        this.failure ??= err as Error;
        const io = err as NodeJS.ErrnoException;
        throw new StrataError('STORAGE_ERROR', `append to ${segment.file.path} failed: ${io.code ?? ''} ${io.message}`.trim(), { cause: err });
      }
      this.unflushedMessages += layout.records;
      if (this.unflushedMessages >= this.config.flushMessages) await this.flush();
      return appendInfo(placed, layout, bytes);
    } finally {
      // decremented as this promise settles: until then a landed append must not take the
      // shortcut, or its caller could hear of it before this one's caller
      this.appendsFinishing--;
      this.releaseAppendSlot();
    }
  }

  /**
   * Acknowledges appends in offset order: an append's promise settles only after every earlier
   * one's, and fails if any of them failed (its bytes follow ones that may be missing, a failed
   * write or a failed sync of an overlapping group, and recovery cuts the log at the first bad
   * batch, so acknowledging it would promise bytes that cannot survive). A queue rather than a
   * promise chain: one promise per append, settled as soon as the head of the queue has landed.
   */
  private queueAck(written: Promise<void>, segment: LogSegment, endPosition: number, lastOffset: number): Promise<void> {
    let entry!: PendingAck;
    const acked = new Promise<void>((resolve, reject) => {
      entry = { done: false, err: undefined, segment, endPosition, lastOffset, resolve, reject };
    });
    this.pendingAcks.push(entry);
    // the caller awaits `acked` at once, so a rejection is always handled; roll and flush see a
    // failure through lastAck
    this.lastAck = acked;
    written.then(
      () => this.landed(entry, undefined),
      (err: unknown) => this.landed(entry, err ?? new Error('append failed')),
    );
    return acked;
  }

  private landed(entry: PendingAck, err: unknown): void {
    entry.done = true;
    entry.err = err;
    while (this.pendingAcks.length > 0 && this.pendingAcks[0]!.done) {
      const head = this.pendingAcks.shift()!;
      this.ackFailure ??= head.err;
      if (this.ackFailure) {
        head.reject(this.ackFailure);
        continue;
      }
      this.commit(head.segment, head.endPosition, head.lastOffset);
      head.resolve();
    }
  }

  /** Makes an acknowledged append visible to readers (up to `lastOffset`, `endPosition` in `segment`). */
  private commit(segment: LogSegment, endPosition: number, lastOffset: number): void {
    segment.committedBytes = Math.max(segment.committedBytes, endPosition);
    this.committedEndOffset = lastOffset + 1;
  }

  /** Waits for every append issued so far; a failed one marks the log failed (checkUsable throws). */
  private async settleAcks(): Promise<void> {
    try {
      await this.lastAck;
    } catch (err) {
      this.failure ??= err as Error;
    }
  }

  /** Starts a new active segment at `baseOffset` (at least the log end). */
  private async roll(baseOffset: number, reason: string): Promise<void> {
    const old = this.activeSegment();
    const newBase = Math.max(baseOffset, this.nextOffset);
    // appends already issued to the old segment must land before it is trimmed
    await this.settleAcks();
    this.checkUsable();
    if (old.sizeBytes === 0 && this.segments.length > 0 && old.baseOffset !== newBase && newBase >= old.baseOffset) {
      // an empty active segment at the wrong base (a gap before any data): replace it
      await old.delete();
      this.segments.pop();
    } else {
      await old.onBecomeInactive();
    }
    const deps = { engine: this.deps.engine, cache: this.cache, logger: this.logger };
    this.segments.push(await LogSegment.open(this.dir, newBase, this.config, deps, true, false));
    if (this.segments.length === 1) this.startOffset = newBase;
    this.logger.info(`rolled ${this.dir} to segment ${newBase}: ${reason}`);
    await this.deleteOldSegments();
  }

  /** Rolls the active segment now (if it holds data). */
  async forceRoll(): Promise<void> {
    this.checkUsable();
    while (this.rolling) await this.rolling;
    if (this.activeSegment().sizeBytes === 0) return;
    const rolled = this.roll(this.nextOffset, 'requested');
    this.rolling = rolled;
    try {
      await rolled;
    } finally {
      this.rolling = undefined;
    }
  }

  /** The segment holding `offset`: the last one whose base offset <= offset. */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Whole batches from the batch containing `startOffset`, at most `maxBytes` of them (at least one
   * with minOneBatch, the default), as file slices that may span segments. Offsets outside
   * [logStartOffset, logEndOffset] are OFFSET_OUT_OF_RANGE; at the log end the result is empty.
   */
  async read(startOffset: number, maxBytes: number, options: ReadOptions = {}): Promise<FetchDataInfo> {
    this.checkUsable();
    const endOffset = this.committedEndOffset;
    if (startOffset < this.startOffset || startOffset > endOffset) {
      throw new StrataError('OFFSET_OUT_OF_RANGE', `offset ${startOffset} is outside the log's range [${this.startOffset}, ${endOffset}]`);
    }
    // the end offset and the bytes that hold it are taken together, before any await: appends
    // landing during the read must not widen the slices past the offset reported as their end
    const endBytesOf = new Map(this.segments.map((s) => [s, s.committedBytes] as const));
    const minOneBatch = options.minOneBatch ?? true;
    const result: FetchDataInfo = { slices: [], bytes: 0, firstBatchOffset: undefined, nextOffset: startOffset, logEndOffset: endOffset, logStartOffset: this.startOffset };
    let remaining = maxBytes;
    let offset = startOffset;
    // a snapshot of the list: retention or a roll during the awaits must not shift the walk
    const segments = [...this.segments];
    for (let i = this.segmentIndexFor(offset); i < segments.length && offset < endOffset; i++) {
      const segment = segments[i]!;
      const segmentEnd = endBytesOf.get(segment);
      if (segmentEnd === undefined) break; // rolled in after the read began: beyond endOffset
      const first = await segment.translateOffset(offset, segmentEnd);
      if (!first) continue; // nothing at or after `offset` in this segment: the next one has it
      let end = await segment.batchBoundaryAtOrBefore(first.position, Math.min(segmentEnd, first.position + remaining), segmentEnd);
      if (end === first.position) {
        if (result.slices.length > 0 || !minOneBatch) break;
        end = first.position + first.sizeBytes; // the first batch alone is larger than maxBytes
      }
      result.slices.push(segment.slice(first.position, end - first.position));
      result.firstBatchOffset ??= first.baseOffset;
      result.bytes += end - first.position;
      remaining -= end - first.position;
      // the offset after the last batch returned: the next segment's base if the slice ran to
      // this segment's end, else found by the batch that starts at `end`
      if (end >= segmentEnd) offset = i + 1 < segments.length ? segments[i + 1]!.baseOffset : endOffset;
      else {
        const next = await segment.baseOffsetAt(end, segmentEnd);
        offset = next ?? endOffset;
        break;
      }
      if (remaining <= 0) break;
    }
    result.nextOffset = Math.min(Math.max(offset, startOffset), endOffset);
    return result;
  }

  /** Reads the bytes of a slice returned by read() (through the cache). */
  async readSlice(slice: FileSlice): Promise<Buffer> {
    const segment = this.segments.find((s) => s.file.path === slice.path);
    if (!segment) throw new StrataError('OFFSET_OUT_OF_RANGE', `segment ${slice.path} is no longer part of the log`);
    return segment.readBytes(slice.position, slice.length);
  }

  /** Decoded batches from the batch containing `startOffset` (a view for callers that want records). */
  async readBatches(startOffset: number, maxBytes: number): Promise<DecodedBatch[]> {
    const info = await this.read(startOffset, maxBytes);
    const out: DecodedBatch[] = [];
    for (const slice of info.slices) {
      const bytes = await this.readSlice(slice);
      let position = 0;
      while (position < bytes.length) {
        const batch = await decodeBatch(bytes, position, { codecs: this.codecs, decompressedBytesMax: 4 * this.config.messageMaxBytes });
        out.push(batch);
        position += batch.sizeBytes;
      }
    }
    return out;
  }

  /**
   * Kafka's ListOffsets by timestamp: the first record whose timestamp >= `timestamp`, or undefined
   * when none is. -2 (earliest) and -1 (latest) give the log start and end offsets.
   */
  async offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | undefined> {
    this.checkUsable();
    if (timestamp === -2) return { offset: this.startOffset, timestamp: -1 };
    if (timestamp === -1) return { offset: this.committedEndOffset, timestamp: -1 };
    for (const segment of this.segments) {
      if (segment.largestTimestamp() < timestamp) continue;
      const batch = await segment.findBatchByTimestamp(timestamp, this.startOffset);
      if (!batch || batch.baseOffset >= this.committedEndOffset) continue;
      const decoded = await decodeBatch(await segment.readBytes(batch.position, batch.sizeBytes), 0, { codecs: this.codecs, trusted: true });
      const record = decoded.records.find((r) => r.timestamp >= timestamp);
      if (record) return { offset: record.offset, timestamp: record.timestamp };
    }
    return undefined;
  }

  /**
   * Writes every acknowledged append to disk (engine flush and index files) and moves the
   * recovery point to the flushed offset.
   */
  async flush(): Promise<void> {
    this.checkUsable();
    await this.settleAcks();
    this.checkUsable();
    const flushedTo = this.committedEndOffset;
    this.unflushedMessages = 0;
    this.lastFlushMs = this.now();
    for (const segment of this.segments) {
      if (segment.isActive || segment.baseOffset >= this.segmentBaseAtOrBelow(this.recoveryPoint)) await segment.flush();
    }
    if (flushedTo > this.recoveryPoint) {
      this.recoveryPoint = flushedTo;
      writeRecoveryPoint(this.dir, flushedTo);
    }
  }

  private segmentBaseAtOrBelow(offset: number): number {
    return this.segments[this.segmentIndexFor(offset)]!.baseOffset;
  }

  private scheduleFlushTimer(): void {
    if (this.config.flushMs >= LONG_MAX) return;
    const tick = Math.max(1, Math.min(this.config.flushMs, 1000));
    this.flushTimer = setInterval(() => {
      if (this.closed || this.failure || this.unflushedMessages === 0) return;
      if (this.now() - this.lastFlushMs >= this.config.flushMs) {
        this.flush().catch((err: unknown) => this.logger.error(`flush.ms flush of ${this.dir} failed: ${(err as Error).message}`));
      }
    }, tick);
    this.flushTimer.unref();
  }

  /**
   * Deletes whole closed segments past retention.ms (newest record older than that) or while the
   * log exceeds retention.bytes. The active segment is never deleted. Returns how many went.
   */
  async deleteOldSegments(): Promise<number> {
    let deleted = 0;
    const now = this.now();
    let sizeBytes = this.sizeBytes;
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const byTime = this.config.retentionMs >= 0 && now - oldest.largestTimestamp() > this.config.retentionMs;
      const bySize = this.config.retentionBytes >= 0 && sizeBytes - oldest.sizeBytes >= this.config.retentionBytes;
      if (!byTime && !bySize) break;
      this.segments.shift();
      sizeBytes -= oldest.sizeBytes;
      this.startOffset = this.segments[0]!.baseOffset;
      this.logger.info(`retention: deleting segment ${oldest.file.path} (${byTime ? `retention.ms ${this.config.retentionMs}` : `retention.bytes ${this.config.retentionBytes}`})`);
      this.scheduleDestroy(oldest);
      deleted++;
    }
    return deleted;
  }

  /**
   * Removes a segment from the log now but closes and unlinks it only after file.delete.delay.ms,
   * like Kafka: a fetch or transfer that already holds its descriptor must not find it closed (or,
   * worse, reused by another file) mid-send.
   */
  private scheduleDestroy(segment: LogSegment): void {
    segment.markDeleted();
    const destroy = () => {
      this.pendingDestroys.delete(destroy);
      segment.destroy().catch((err: unknown) => this.logger.error(`removing deleted segment ${segment.file.path}: ${(err as Error).message}`));
    };
    this.pendingDestroys.add(destroy);
    setTimeout(destroy, this.config.fileDeleteDelayMs).unref();
  }

  /** Flushes, trims and closes every segment, then writes the clean-shutdown marker. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.flushTimer) clearInterval(this.flushTimer);
    let healthy = !this.failure;
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
    for (const destroy of [...this.pendingDestroys]) destroy();
    // every descriptor is closed whatever fails, so a failed disk does not leak open files
    for (const segment of this.segments) {
      try {
        await segment.close();
      } catch (err) {
        healthy = false;
        firstError ??= err;
      }
    }
    if (firstError) throw firstError;
    if (healthy) {
      fs.writeFileSync(join(this.dir, CLEAN_SHUTDOWN_FILE), '');
      syncDir(this.dir);
    }
  }
}

/** An append whose offsets are assigned and that fits the active segment. */
interface PlacedAppend {
  firstOffset: number;
  lastOffset: number;
  offsetOfMaxTimestamp: number;
}

/** An append that must wait for a roll to a segment starting at (at least) `firstOffset`. */
interface RollDue {
  firstOffset: number;
  rollReason: string;
}

/** A layout's arrays before its first batch (never written to). */
const EMPTY: number[] = [];

function appendInfo(placed: PlacedAppend, layout: BatchLayout, bytes: number): LogAppendInfo {
  return { firstOffset: placed.firstOffset, lastOffset: placed.lastOffset, records: layout.records, batches: layout.positions.length, bytes, maxTimestamp: layout.maxTimestamp };
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

interface BatchLayout {
  positions: number[];
  lastOffsetDeltas: number[];
  records: number;
  maxTimestamp: number;
  offsetOfMaxTimestampIndex: number;
}

function readRecoveryPoint(dir: string): number {
  try {
    const text = fs.readFileSync(join(dir, RECOVERY_POINT_FILE), 'utf8').trim().split('\n');
    // Kafka's checkpoint layout: version, count, then entries; ours has the one partition's offset
    const value = Number(text[text.length - 1]!.split(' ').pop());
    return Number.isSafeInteger(value) && value >= 0 ? value : 0;
  } catch {
    return 0;
  }
}

function writeRecoveryPoint(dir: string, offset: number): void {
  const path = join(dir, RECOVERY_POINT_FILE);
  const tmp = `${path}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, `0\n1\n${offset}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
  syncDir(dir);
}

function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

