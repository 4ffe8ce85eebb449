/**
 * Kafka's LogValidator for RecordBatch v2, run by the Log for every append of bytes from outside
 * (Log.append: the library, `strata receive`; a broker's Produce through the same function), so a
 * batch whose CRC holds over malformed records is refused before it is stored, whoever appends
 * it. Each batch: framing, magic and CRC (unless a ValidatedBatches says they were checked); its
 * size against message.max.bytes; header numbers JavaScript can hold exactly (an int64 past 2^53
 * is CORRUPT_MESSAGE, not a crash); a codec this process knows; inside the batch, after bounded
 * decompression, exactly `recordsCount` well-formed records (record-walk.ts, the addon's walk when
 * built). A Produce request adds its own rules (`produceVersion`: zstd from v7, no transactional
 * or control batches, as strata has no transaction coordinator) and the topic's timestamp bounds.
 *
 * Each batch header is parsed once here; the layout the log needs and the idempotent producers'
 * batches come from that parse, in the one value the Log's append takes: ValidatedRecords, which
 * only this file makes, so no caller can reach the log's write path without the walk.
 *
 * Decompression is bounded per batch by the limit every reader applies (decompressedBytesMaxFor,
 * 4 x message.max.bytes), per append or request by a budget, and across a process by an optional
 * gate (a broker's DecompressionLimiter).
 */
import { isOutputTooLarge } from '../../codecs/codec-errors.js';
import { DECODE_SLICE_BYTES } from '../../codecs/slices.js';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DECOMPRESSION_RATIO_MAX, decompressedBytesMaxFor, type Codec, type CodecRegistry } from '../codec.js';
import { LONG_MAX } from '../config/log-config.js';
import { CorruptRecordError, StrataError } from '../errors.js';
import type { ValidatedBatches } from '../format/batch-cursor.js';
import { endTxnMarkerOf, type EndTxnMarker } from '../format/end-txn-marker.js';
import {
  CompressionType,
  LOG_OVERHEAD_BYTES,
  NO_PRODUCER_ID,
  legacyMagicAt,
  RECORDS_OFFSET,
  compressionOf,
  isControl,
  isTransactional,
  readBatchHeader,
  timestampTypeOf,
  validateBatch,
  type RecordBatchHeader,
} from '../format/record-batch.js';
import { readVarint, readVarlong, type VarintCursor } from '../format/varint.js';
import { walkRecords, walkRecordsNow } from './record-walk.js';
import { RecordsLayoutBuilder, type ValidatedRecords } from './validated-records.js';

export type { ValidatedRecords } from './validated-records.js';

/** Kafka's error for each refusal (the broker answers with it; the library sees it on the error). */
export type RecordValidationFailure = 'CORRUPT_MESSAGE' | 'MESSAGE_TOO_LARGE' | 'INVALID_RECORD' | 'INVALID_TIMESTAMP' | 'UNSUPPORTED_COMPRESSION_TYPE' | 'UNSUPPORTED_FOR_MESSAGE_FORMAT';

/** A refused append: names the batch (its index and byte position in the append) and the record. */
export class RecordValidationError extends StrataError {
  constructor(
    readonly reason: RecordValidationFailure,
    message: string,
    readonly batchIndex: number,
    readonly position: number,
  ) {
    super(reason === 'MESSAGE_TOO_LARGE' ? 'RECORD_TOO_LARGE' : 'CORRUPT_RECORD', message);
    this.name = 'RecordValidationError';
  }
}

/** Decompressed bytes one append (or Produce request) may still expand to, and its yields. */
export interface DecompressionBudget {
  /** What the whole append or request may expand to, and what it bounds ("one Produce request"), for messages. */
  readonly bytesMax: number;
  readonly scope: string;
  remainingBytes: number;
  /** Counts bytes decompressed or walked. */
  count(bytes: number): void;
  /** Hands the event loop back once a slice's worth was counted. */
  yieldIfDue(): Promise<void>;
}

/** A bound across appends on decompressed bytes held at once (a broker's DecompressionLimiter). */
export interface DecompressionGate {
  run<T>(bytes: number, work: () => Promise<T>): Promise<T>;
}

export interface TimestampBounds {
  type: 'CreateTime' | 'LogAppendTime';
  beforeMaxMs: number;
  afterMaxMs: number;
  nowMs: number;
}

export interface LogValidatorOptions {
  codecs: CodecRegistry;
  messageMaxBytes: number;
  /** What the bytes are, in messages: "batch 2 (at byte 880 of `source`)". */
  source?: string;
  /** The topic's message.timestamp.* bounds and the clock; absent: timestamps are not checked. */
  timestamps?: TimestampBounds;
  /** A Produce request's version: its rules apply (zstd from v7, no transactional or control batches). */
  produceVersion?: number;
  /** Default: APPEND_DECOMPRESSED_BYTES_MAX for this append alone. */
  budget?: DecompressionBudget;
  gate?: DecompressionGate;
}

/** Decompressed bytes one append may expand to when its caller brings no budget. */
export const APPEND_DECOMPRESSED_BYTES_MAX = 256 * 1024 * 1024;

/** RecordBatch.NO_TIMESTAMP: a record without a timestamp. */
const NO_TIMESTAMP = -1;

/** Where a batch is, for every refusal's message and error. */
interface BatchPlace {
  index: number;
  position: number;
  text: string;
}

function refuse(at: BatchPlace, reason: RecordValidationFailure, message: string): RecordValidationError {
  return new RecordValidationError(reason, message, at.index, at.position);
}

/**
 * Validates every batch of one append and every record in them. `input` is raw bytes, or batches
 * whose framing and CRCs were checked already (ValidatedBatches: a shipped stream's decoder).
 */
export async function validateRecords(input: Buffer | ValidatedBatches, opts: LogValidatorOptions): Promise<ValidatedRecords> {
  const validation = new RecordsValidation(input, opts);
  return validation.advanceNow() ?? validation.finish();
}

/**
 * validateRecords within the call when that is short: the result for an append of uncompressed
 * batches whose records take at most DECODE_SLICE_BYTES to walk; otherwise the validation, whose
 * `finish()` picks up where this stopped (no batch is checked twice). Refusals throw.
 */
export function validateRecordsNow(input: Buffer | ValidatedBatches, opts: LogValidatorOptions): ValidatedRecords | RecordsValidation {
  const validation = new RecordsValidation(input, opts);
  return validation.advanceNow() ?? validation;
}

/** One append's validation, batch by batch: within the call while it is short, then with awaits. */
export class RecordsValidation {
  private readonly buffer: Buffer;
  private readonly crcChecked: boolean;
  private readonly budget: DecompressionBudget;
  private readonly built = new RecordsLayoutBuilder();
  private position = 0;
  private index = 0;
  /** Bytes walked within the call so far. */
  private walkedNowBytes = 0;
  /** The batch advanceNow stopped at, its header parsed and checked already. */
  private stoppedAt: { at: BatchPlace; header: RecordBatchHeader } | undefined;

  constructor(
    input: Buffer | ValidatedBatches,
    private readonly opts: LogValidatorOptions,
  ) {
    this.crcChecked = !Buffer.isBuffer(input);
    this.buffer = Buffer.isBuffer(input) ? input : input.buffer;
    this.budget = opts.budget ?? new SlicedDecompressionBudget(APPEND_DECOMPRESSED_BYTES_MAX, 'one append');
    if (this.buffer.length === 0) throw new RecordValidationError('CORRUPT_MESSAGE', `${opts.source ?? 'the append'} holds no record batch`, 0, 0);
  }

  /** Validates batches within the call while they are plain and short; the result once all are. */
  advanceNow(): ValidatedRecords | undefined {
    while (this.position < this.buffer.length) {
      const at = this.place();
      const header = checkBatch(this.buffer, at, this.opts, this.crcChecked);
      const body = this.body(header);
      const walkedNow =
        compressionOf(header.attributes) === CompressionType.none &&
        this.walkedNowBytes + body.length <= DECODE_SLICE_BYTES &&
        walkNow(body, header, at, this.opts.timestamps);
      if (!walkedNow) {
        this.stoppedAt = { at, header };
        return undefined;
      }
      this.walkedNowBytes += body.length;
      this.budget.count(body.length);
      this.next(header);
    }
    return this.built.finish(this.buffer);
  }

  /** Validates the remaining batches, handing the event loop back as the budget says. */
  async finish(): Promise<ValidatedRecords> {
    try {
      while (this.position < this.buffer.length) {
        const { at, header } = this.stoppedAt ?? { at: this.place(), header: undefined };
        this.stoppedAt = undefined;
        const checked = header ?? checkBatch(this.buffer, at, this.opts, this.crcChecked);
        const body = this.body(checked);
        const compression = compressionOf(checked.attributes);
        if (compression === CompressionType.none) {
          this.budget.count(body.length);
          await walk(body, checked, at, this.opts.timestamps);
        } else {
          await decompressAndWalk(body, checked, codecFor(compression, at, this.opts), at, this.opts, this.budget);
        }
        await this.budget.yieldIfDue();
        this.next(checked);
      }
    } catch (err) {
      if (err instanceof RecordValidationError) await this.budget.yieldIfDue(); // a refused bomb was work all the same
      throw err;
    }
    return this.built.finish(this.buffer);
  }

  private place(): BatchPlace {
    const { index, position } = this;
    return { index, position, text: `batch ${index} (at byte ${position} of ${this.opts.source ?? 'the append'})` };
  }

  /** The end-transaction marker of a producer's control batch (walked already), else undefined. */
  private markerOf(header: RecordBatchHeader): EndTxnMarker | undefined {
    if (!isControl(header.attributes) || header.producerId === NO_PRODUCER_ID) return undefined;
    const at = this.place();
    if (compressionOf(header.attributes) !== CompressionType.none) throw refuse(at, 'INVALID_RECORD', `${at.text} is a compressed control batch; control batches are written uncompressed`);
    try {
      return endTxnMarkerOf(this.body(header), header);
    } catch (err) {
      if (!(err instanceof CorruptRecordError)) throw err;
      throw refuse(at, 'CORRUPT_MESSAGE', `${at.text}: ${err.message}`);
    }
  }

  private body(header: RecordBatchHeader): Buffer {
    return this.buffer.subarray(this.position + RECORDS_OFFSET, this.position + LOG_OVERHEAD_BYTES + header.batchLength);
  }

  private next(header: RecordBatchHeader): void {
    this.built.add(this.position, header, this.markerOf(header));
    this.position += LOG_OVERHEAD_BYTES + header.batchLength;
    this.index++;
  }
}

/** Framing, CRC, size, header numbers, flags; returns the batch's header, parsed once. */
function checkBatch(buffer: Buffer, at: BatchPlace, opts: LogValidatorOptions, crcChecked: boolean): RecordBatchHeader {
  const { position } = at;
  const legacyMagic = legacyMagicAt(buffer, position);
  if (legacyMagic !== undefined) {
    // Produce v0-v2 carry message sets of magic 0/1; strata stores RecordBatch v2 only and never converts
    throw refuse(at, 'UNSUPPORTED_FOR_MESSAGE_FORMAT', `${at.text} has magic ${legacyMagic}; only RecordBatch v2 (magic 2) is stored`);
  }
  let header: RecordBatchHeader;
  try {
    if (!crcChecked) validateBatch(buffer, position);
    // baseOffset, timestamps and producerId are int64: one past 2^53 cannot be held exactly
    header = readBatchHeader(buffer, position);
  } catch (err) {
    if (!(err instanceof CorruptRecordError)) throw err;
    throw refuse(at, 'CORRUPT_MESSAGE', `${at.text}: ${err.message}`);
  }
  const sizeBytes = LOG_OVERHEAD_BYTES + header.batchLength;
  if (sizeBytes > opts.messageMaxBytes) {
    throw refuse(at, 'MESSAGE_TOO_LARGE', `${at.text} is ${sizeBytes} bytes, larger than message.max.bytes (${opts.messageMaxBytes})`);
  }
  if (opts.produceVersion !== undefined) checkProduceRules(header, at, opts.produceVersion);
  if (opts.timestamps) checkTimestamps(header, at, opts.timestamps);
  return header;
}

function checkProduceRules(header: RecordBatchHeader, at: BatchPlace, produceVersion: number): void {
  if (isTransactional(header.attributes) || isControl(header.attributes)) {
    throw refuse(at, 'INVALID_RECORD', `${at.text} is a transactional or control batch; strata has no transactions`);
  }
  if (compressionOf(header.attributes) === CompressionType.zstd && produceVersion < 7) {
    throw refuse(at, 'UNSUPPORTED_COMPRESSION_TYPE', `${at.text} is zstd-compressed, which needs Produce v7 or later (request is v${produceVersion})`);
  }
}

/** Kafka's LogValidator.validateTimestamp, on the batch's first and max timestamps. */
function checkTimestamps(header: RecordBatchHeader, at: BatchPlace, t: TimestampBounds): void {
  const markedLogAppendTime = timestampTypeOf(header.attributes) === 'LogAppendTime';
  if (t.type === 'CreateTime' && (!markedLogAppendTime || header.maxTimestamp !== NO_TIMESTAMP)) {
    // a batch marked LogAppendTime reads as max timestamp for every record
    for (const timestamp of markedLogAppendTime ? [header.maxTimestamp] : [header.baseTimestamp, header.maxTimestamp]) {
      if (timestamp === NO_TIMESTAMP || (t.nowMs - timestamp <= t.beforeMaxMs && timestamp - t.nowMs <= t.afterMaxMs)) continue;
      throw refuse(at, 'INVALID_TIMESTAMP', `${at.text}: timestamp ${timestamp} is out of range. ${boundsText(t)}`);
    }
  } else if (markedLogAppendTime) {
    throw refuse(at, 'INVALID_TIMESTAMP', `${at.text}: its timestamp type is LogAppendTime; a producer must not set it (the broker stamps it on topics with message.timestamp.type=LogAppendTime)`);
  }
}

function boundsText(t: TimestampBounds): string {
  return `The timestamp should be within [${t.nowMs - t.beforeMaxMs}, ${t.nowMs + t.afterMaxMs}] (message.timestamp.before.max.ms ${t.beforeMaxMs}, message.timestamp.after.max.ms ${t.afterMaxMs})`;
}

function codecFor(compression: CompressionType, at: BatchPlace, opts: LogValidatorOptions): Codec {
  try {
    return opts.codecs.byTypeOrThrow(compression);
  } catch (err) {
    throw refuse(at, 'UNSUPPORTED_COMPRESSION_TYPE', `${at.text}: ${(err as Error).message}`);
  }
}

async function decompressAndWalk(body: Buffer, header: RecordBatchHeader, codec: Codec, at: BatchPlace, opts: LogValidatorOptions, budget: DecompressionBudget): Promise<void> {
  const batchBytesMax = decompressedBytesMaxFor(opts.messageMaxBytes);
  const capBytes = Math.min(batchBytesMax, budget.remainingBytes);
  const overBudget = (): RecordValidationError =>
    refuse(at, 'MESSAGE_TOO_LARGE', `${at.text}: the batches decompress to more than ${budget.bytesMax} bytes in all, the most ${budget.scope} may`);
  if (capBytes <= 0) throw overBudget();
  /** Set once decompression is done: what fails after it is the walk's (a refusal, or a bug). */
  let walking = false;
  const walkSection = async (section: Buffer): Promise<void> => {
    walking = true;
    budget.remainingBytes -= section.length;
    budget.count(section.length);
    await walk(section, header, at, opts.timestamps);
  };
  const work = async (): Promise<void> => {
    try {
      // the section is walked and dropped: it may live in lent memory (codecs/lent-buffers.ts)
      if (codec.decompressLent) await codec.decompressLent(body, capBytes, walkSection);
      else await walkSection(await codec.decompress(body, capBytes));
    } catch (err) {
      if (walking) throw err;
      if (!isOutputTooLarge(err)) throw refuse(at, 'CORRUPT_MESSAGE', `${at.text}: cannot decompress its ${codec.name} records: ${(err as Error).message}`);
      if (capBytes < batchBytesMax) throw overBudget();
      throw refuse(
        at,
        'MESSAGE_TOO_LARGE',
        `${at.text}: its ${codec.name} records decompress to more than ${batchBytesMax} bytes (${DECOMPRESSION_RATIO_MAX} x message.max.bytes, the limit every reader of this topic applies): ${(err as Error).message}`,
      );
    }
  };
  // the section is held (and reserved) until its records are walked
  await (opts.gate ? opts.gate.run(capBytes, work) : work());
}

/** walk() within the call: false when the section needs the sliced walk. */
function walkNow(section: Buffer, header: RecordBatchHeader, at: BatchPlace, timestamps: TimestampBounds | undefined): boolean {
  try {
    if (!walkRecordsNow(section, header.recordsCount, header.lastOffsetDelta)) return false;
  } catch (err) {
    if (!(err instanceof CorruptRecordError)) throw err; // a failed assertion is a bug, not the client's
    throw refuse(at, 'CORRUPT_MESSAGE', `${at.text}: ${err.message}`);
  }
  checkWalkedTimestamps(section, header, at, timestamps);
  return true;
}

async function walk(section: Buffer, header: RecordBatchHeader, at: BatchPlace, timestamps: TimestampBounds | undefined): Promise<void> {
  try {
    await walkRecords(section, header.recordsCount, header.lastOffsetDelta);
  } catch (err) {
    if (!(err instanceof CorruptRecordError)) throw err; // a failed assertion is a bug, not the client's
    throw refuse(at, 'CORRUPT_MESSAGE', `${at.text}: ${err.message}`);
  }
  checkWalkedTimestamps(section, header, at, timestamps);
}

function checkWalkedTimestamps(section: Buffer, header: RecordBatchHeader, at: BatchPlace, timestamps: TimestampBounds | undefined): void {
  if (timestamps?.type === 'CreateTime' && timestamps.beforeMaxMs < LONG_MAX && timestampTypeOf(header.attributes) === 'CreateTime') {
    checkRecordTimestamps(section, header, at, timestamps);
  }
}

/**
 * Every record's timestamp against the bounds, as Kafka's LogValidator checks them, on a section
 * walked already. Only for topics that set message.timestamp.before.max.ms: a record older than
 * its batch's first one is the one the batch's own timestamps cannot bound.
 */
function checkRecordTimestamps(section: Buffer, header: RecordBatchHeader, at: BatchPlace, t: TimestampBounds): void {
  const c: VarintCursor = { value: 0, offset: 0 };
  for (let i = 0, from = 0; i < header.recordsCount; i++) {
    readVarint(section, from, section.length, c);
    const recordEnd = c.offset + c.value;
    readVarlong(section, c.offset + 1, recordEnd, c); // after the attributes byte: the timestamp delta
    const timestamp = header.baseTimestamp + c.value;
    if (t.nowMs - timestamp > t.beforeMaxMs || timestamp - t.nowMs > t.afterMaxMs) {
      throw refuse(at, 'INVALID_TIMESTAMP', `${at.text}: record ${i} has timestamp ${timestamp}, out of range. ${boundsText(t)}`);
    }
    from = recordEnd;
  }
}

/**
 * A decompression budget of `bytesMax` that hands the event loop back after every
 * DECODE_SLICE_BYTES counted: an append's own (when its caller brings none) and, with its
 * serialization added, a broker's per-request budget.
 */
export class SlicedDecompressionBudget implements DecompressionBudget {
  remainingBytes: number;
  private sinceYieldBytes = 0;

  constructor(
    readonly bytesMax: number,
    readonly scope: string,
  ) {
    this.remainingBytes = bytesMax;
  }

  count(bytes: number): void {
    this.sinceYieldBytes += bytes;
  }

  async yieldIfDue(): Promise<void> {
    if (this.sinceYieldBytes < DECODE_SLICE_BYTES) return;
    this.sinceYieldBytes = 0;
    await nextTurn();
  }
}
