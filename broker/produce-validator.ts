/**
 * Checks the record batches of one partition of a Produce request before any of them reaches the
 * log (Kafka's LogValidator, for RecordBatch v2): each batch's framing, magic and CRC; its size
 * against message.max.bytes; header numbers JavaScript can hold exactly (an int64 past 2^53 is
 * CORRUPT_MESSAGE, not a crash); a codec this broker knows (zstd only from Produce v7, as Kafka);
 * no transactional or control batches (strata has no transaction coordinator); and inside the
 * batch, after decompression, exactly `recordsCount` well-formed records with offset deltas 0..n-1
 * whose last equals lastOffsetDelta. Timestamps as Kafka's LogValidator: on a CreateTime topic a
 * batch whose first or max timestamp lies more than message.timestamp.before.max.ms behind the
 * broker's clock or message.timestamp.after.max.ms ahead of it is INVALID_TIMESTAMP (Kafka checks
 * each record; the batch's first and max timestamps bound what real producers send, and every
 * record is checked too on a topic that sets message.timestamp.before.max.ms), and a batch
 * a producer marked LogAppendTime is INVALID_TIMESTAMP unless it carries a time in bounds.
 *
 * Decompression is bounded three ways (decompression-limiter.ts): per batch by the same limit the
 * read path uses (decompressedBytesMaxFor, 4 x message.max.bytes), per request by its budget, per
 * process by the limiter. The record walk is the addon's (native/src/records.cc) when it is built,
 * one call per batch; the JS walk here is the reference it must agree with, runs without the
 * addon, and names the record and byte of every refusal. It hands the event loop back every
 * DECODE_SLICE_BYTES, so a large batch never stalls other connections. Neither walk allocates per
 * record.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DECOMPRESSION_RATIO_MAX, decompressedBytesMaxFor, type Codec, type CodecRegistry } from '../core/codec.js';
import { CorruptRecordError, assertionFailed } from '../core/errors.js';
import { loadNative } from '../native/index.js';
import {
  CompressionType,
  compressionOf,
  isControl,
  isTransactional,
  readBatchHeader,
  timestampTypeOf,
  validateBatch,
  RECORDS_OFFSET,
  MAGIC_OFFSET,
  MAGIC_V2,
  type RecordBatchHeader,
} from '../core/format/record-batch.js';
import { readVarint, readVarlong, type VarintCursor } from '../core/format/varint.js';
import { isOutputTooLarge } from '../codecs/codec-errors.js';
import { DECODE_SLICE_BYTES } from '../codecs/slices.js';
import { DecompressionLimiter, PRODUCE_DECOMPRESSED_BYTES_PER_REQUEST_MAX, RequestDecompressionBudget } from './decompression-limiter.js';
import { ErrorCode } from './protocol/errors.js';
import { LONG_MAX } from '../core/config/log-config.js';
import { layoutOfCheckedBatches, type ValidatedBatches } from '../core/format/batch-cursor.js';

export interface ProduceValidation {
  errorCode: number;
  /** What is wrong, for the log line and the v8+ ErrorMessage field. */
  message: string | null;
  batches: number;
  records: number;
  /** On success: the batches with their layout, for Log.appendValidated (each CRC checked once, here). */
  validated?: ValidatedBatches;
}

export interface ProduceValidationOptions {
  codecs: CodecRegistry;
  messageMaxBytes: number;
  produceVersion: number;
  /** This request's decompression budget, shared by its partitions (default: a fresh one). */
  budget?: RequestDecompressionBudget;
  /** The process-wide bound on decompressed bytes held at once (default: one of its own). */
  limiter?: DecompressionLimiter;
  /** The topic's message.timestamp.* configs and the broker's clock; absent: timestamps are not checked. */
  timestamps?: TimestampBounds;
}

export interface TimestampBounds {
  type: 'CreateTime' | 'LogAppendTime';
  beforeMaxMs: number;
  afterMaxMs: number;
  nowMs: number;
}

/** The smallest record: length, attributes, timestampDelta, offsetDelta, key, value, headers (1 byte each). */
const RECORD_BYTES_MIN = 7;

/** RecordBatch.NO_TIMESTAMP: a record without a timestamp. */
const NO_TIMESTAMP = -1;

/** A refusal with its Kafka error code; thrown inside this file only. */
class Rejection extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Validates one partition's records. Partitions of one request sharing a budget are validated one
 * after another (in call order), whatever their callers' concurrency.
 */
export function validateProducedRecords(records: Buffer | null, opts: ProduceValidationOptions): Promise<ProduceValidation> {
  const budget = opts.budget ?? new RequestDecompressionBudget();
  return budget.serially(() => validate(records, budget, opts.limiter ?? new DecompressionLimiter(), opts));
}

async function validate(records: Buffer | null, budget: RequestDecompressionBudget, limiter: DecompressionLimiter, opts: ProduceValidationOptions): Promise<ProduceValidation> {
  if (records === null || records.length === 0) return { errorCode: ErrorCode.CORRUPT_MESSAGE, message: 'the partition data holds no record batch', batches: 0, records: 0 };
  let position = 0;
  let batches = 0;
  let count = 0;
  try {
    while (position < records.length) {
      const where = `batch ${batches} (at byte ${position} of the partition's records)`;
      const { sizeBytes, header } = checkBatch(records, position, where, opts);
      const body = records.subarray(position + RECORDS_OFFSET, position + sizeBytes);
      const compression = compressionOf(header.attributes);
      if (compression === CompressionType.none) {
        budget.count(body.length);
        await walk(body, header, where, opts.timestamps);
      } else {
        await decompressAndWalk(body, header, codecFor(compression, where, opts), where, { ...opts, budget, limiter });
      }
      await budget.yieldIfDue();
      batches++;
      count += header.recordsCount;
      position += sizeBytes;
    }
  } catch (err) {
    if (!(err instanceof Rejection)) throw err;
    await budget.yieldIfDue(); // a refused bomb was work all the same
    return { errorCode: err.errorCode, message: err.message, batches, records: count };
  }
  return { errorCode: ErrorCode.NONE, message: null, batches, records: count, validated: layoutOfCheckedBatches(records) };
}

/** Framing, CRC, size, header numbers, flags; throws a Rejection naming the problem. */
function checkBatch(records: Buffer, position: number, where: string, opts: ProduceValidationOptions): { sizeBytes: number; header: RecordBatchHeader } {
  if (records.length - position > MAGIC_OFFSET && records.readInt8(position + MAGIC_OFFSET) < MAGIC_V2) {
    // Produce v0-v2 carry message sets of magic 0/1; strata stores RecordBatch v2 only and never converts
    throw new Rejection(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `${where} has magic ${records.readInt8(position + MAGIC_OFFSET)}; only RecordBatch v2 (magic 2) is stored`);
  }
  let sizeBytes: number;
  let header: RecordBatchHeader;
  try {
    sizeBytes = validateBatch(records, position);
    // baseOffset, timestamps and producerId are int64: one past 2^53 cannot be held exactly
    header = readBatchHeader(records, position);
  } catch (err) {
    throw new Rejection(ErrorCode.CORRUPT_MESSAGE, `${where}: ${(err as Error).message}`);
  }
  if (sizeBytes > opts.messageMaxBytes) {
    throw new Rejection(ErrorCode.MESSAGE_TOO_LARGE, `${where} is ${sizeBytes} bytes, larger than message.max.bytes (${opts.messageMaxBytes})`);
  }
  if (isTransactional(header.attributes) || isControl(header.attributes)) {
    throw new Rejection(ErrorCode.INVALID_RECORD, `${where} is a transactional or control batch; strata has no transactions`);
  }
  if (opts.timestamps) checkTimestamps(header, where, opts.timestamps);
  if (compressionOf(header.attributes) === CompressionType.zstd && opts.produceVersion < 7) {
    throw new Rejection(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `${where} is zstd-compressed, which needs Produce v7 or later (request is v${opts.produceVersion})`);
  }
  return { sizeBytes, header };
}

/** Kafka's LogValidator.validateTimestamp, on the batch's first and max timestamps. */
function checkTimestamps(header: RecordBatchHeader, where: string, t: TimestampBounds): void {
  const markedLogAppendTime = timestampTypeOf(header.attributes) === 'LogAppendTime';
  if (t.type === 'CreateTime' && (!markedLogAppendTime || header.maxTimestamp !== NO_TIMESTAMP)) {
    // a batch marked LogAppendTime reads as max timestamp for every record
    for (const timestamp of markedLogAppendTime ? [header.maxTimestamp] : [header.baseTimestamp, header.maxTimestamp]) {
      if (timestamp === NO_TIMESTAMP || (t.nowMs - timestamp <= t.beforeMaxMs && timestamp - t.nowMs <= t.afterMaxMs)) continue;
      throw new Rejection(
        ErrorCode.INVALID_TIMESTAMP,
        `${where}: timestamp ${timestamp} is out of range. The timestamp should be within [${t.nowMs - t.beforeMaxMs}, ${t.nowMs + t.afterMaxMs}] (message.timestamp.before.max.ms ${t.beforeMaxMs}, message.timestamp.after.max.ms ${t.afterMaxMs})`,
      );
    }
  } else if (markedLogAppendTime) {
    throw new Rejection(ErrorCode.INVALID_TIMESTAMP, `${where}: its timestamp type is LogAppendTime; a producer must not set it (the broker stamps it on topics with message.timestamp.type=LogAppendTime)`);
  }
}

function codecFor(compression: CompressionType, where: string, opts: ProduceValidationOptions): Codec {
  try {
    return opts.codecs.byTypeOrThrow(compression);
  } catch (err) {
    throw new Rejection(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `${where}: ${(err as Error).message}`);
  }
}

async function decompressAndWalk(
  body: Buffer,
  header: RecordBatchHeader,
  codec: Codec,
  where: string,
  opts: ProduceValidationOptions & { budget: RequestDecompressionBudget; limiter: DecompressionLimiter },
): Promise<void> {
  const batchBytesMax = decompressedBytesMaxFor(opts.messageMaxBytes);
  const capBytes = Math.min(batchBytesMax, opts.budget.remainingBytes);
  const overBudget = (): Rejection =>
    new Rejection(ErrorCode.MESSAGE_TOO_LARGE, `${where}: the request's batches decompress to more than ${PRODUCE_DECOMPRESSED_BYTES_PER_REQUEST_MAX} bytes in all, the most one Produce request may`);
  if (capBytes <= 0) throw overBudget();
  // the section is held (and reserved) until its records are walked
  /** Set once decompression is done: what fails after it is the walk's (a Rejection, or a bug). */
  let walking = false;
  const walkSection = async (section: Buffer): Promise<void> => {
    walking = true;
    opts.budget.remainingBytes -= section.length;
    opts.budget.count(section.length);
    await walk(section, header, where, opts.timestamps);
  };
  await opts.limiter.run(capBytes, async () => {
    try {
      // the section is walked and dropped: it may live in lent memory (codecs/lent-buffers.ts)
      if (codec.decompressLent) await codec.decompressLent(body, capBytes, walkSection);
      else await walkSection(await codec.decompress(body, capBytes));
    } catch (err) {
      if (walking) throw err;
      if (!isOutputTooLarge(err)) throw new Rejection(ErrorCode.CORRUPT_MESSAGE, `${where}: cannot decompress its ${codec.name} records: ${(err as Error).message}`);
      if (capBytes < batchBytesMax) throw overBudget();
      throw new Rejection(
        ErrorCode.MESSAGE_TOO_LARGE,
        `${where}: its ${codec.name} records decompress to more than ${batchBytesMax} bytes (${DECOMPRESSION_RATIO_MAX} x message.max.bytes, the limit every reader of this topic applies): ${(err as Error).message}`,
      );
    }
  });
}

async function walk(section: Buffer, header: RecordBatchHeader, where: string, timestamps: TimestampBounds | undefined): Promise<void> {
  try {
    await walkRecords(section, header.recordsCount, header.lastOffsetDelta);
  } catch (err) {
    if (!(err instanceof CorruptRecordError)) throw err; // a failed assertion is a bug, not the client's
    throw new Rejection(ErrorCode.CORRUPT_MESSAGE, `${where}: ${(err as Error).message}`);
  }
  if (timestamps?.type === 'CreateTime' && timestamps.beforeMaxMs < LONG_MAX && timestampTypeOf(header.attributes) === 'CreateTime') {
    checkRecordTimestamps(section, header, where, timestamps);
  }
}

/**
 * Every record's timestamp against the bounds, as Kafka's LogValidator checks them, on a section
 * walked already. Only for topics that set message.timestamp.before.max.ms: a record older than
 * its batch's first one is the one the batch's own timestamps cannot bound (one newer than the
 * batch's max timestamp would be a batch that lies about it).
 */
function checkRecordTimestamps(section: Buffer, header: RecordBatchHeader, where: string, t: TimestampBounds): void {
  const c: VarintCursor = { value: 0, offset: 0 };
  for (let i = 0, at = 0; i < header.recordsCount; i++) {
    readVarint(section, at, section.length, c);
    const recordEnd = c.offset + c.value;
    readVarlong(section, c.offset + 1, recordEnd, c); // after the attributes byte: the timestamp delta
    const timestamp = header.baseTimestamp + c.value;
    if (t.nowMs - timestamp > t.beforeMaxMs || timestamp - t.nowMs > t.afterMaxMs) {
      throw new Rejection(
        ErrorCode.INVALID_TIMESTAMP,
        `${where}: record ${i} has timestamp ${timestamp}, out of range. The timestamp should be within [${t.nowMs - t.beforeMaxMs}, ${t.nowMs + t.afterMaxMs}] (message.timestamp.before.max.ms ${t.beforeMaxMs}, message.timestamp.after.max.ms ${t.afterMaxMs})`,
      );
    }
    at = recordEnd;
  }
}

/**
 * Skips a length-prefixed field of record `i`; `what` names it only when it is wrong (a message
 * built per record would be garbage on the hot path: 2 million records are 4 million strings).
 */
function skipBytes(section: Buffer, c: VarintCursor, end: number, i: number, what: string, nullable: boolean): void {
  readVarint(section, c.offset, end, c);
  const length = c.value;
  if (length < (nullable ? -1 : 0)) throw new CorruptRecordError(`record ${i} ${what} has invalid length ${length}`);
  if (length > 0) {
    if (c.offset + length > end) throw new CorruptRecordError(`record ${i} ${what} of ${length} bytes overruns its record`);
    c.offset += length;
  }
}

/**
 * Walks an uncompressed records section; throws CorruptRecordError on the first malformed record.
 * With the addon (and `useNative`) one native call decides; the JS walk hands the event loop back
 * after every DECODE_SLICE_BYTES of records, each slice walked by a plain loop (walkSlice), which
 * V8 optimizes as it does not an async function's loop.
 */
export async function walkRecords(section: Buffer, recordsCount: number, lastOffsetDelta: number, useNative = true): Promise<void> {
  if (recordsCount <= 0) throw new CorruptRecordError(`batch declares ${recordsCount} records`);
  if (lastOffsetDelta !== recordsCount - 1) {
    throw new CorruptRecordError(`lastOffsetDelta ${lastOffsetDelta} does not match ${recordsCount} records`);
  }
  if (recordsCount > section.length / RECORD_BYTES_MIN) {
    throw new CorruptRecordError(`batch declares ${recordsCount} records, more than its ${section.length}-byte records section can hold`);
  }
  const native = useNative ? loadNative()?.walkRecords : undefined;
  // the addon's walk in one call, unsliced: ~6 ns per record measured (8M records in 50 ms), so
  // even a 4 MiB section of the smallest (7-byte) records holds the loop ~4 ms, as one lz4 block
  // does. On a refusal the JS walk below runs to name the record and the byte, and must refuse too
  if (native?.(section, recordsCount)) return;
  await walkSlices(section, recordsCount);
  if (native) assertionFailed(`the native record walk refused a ${section.length}-byte section of ${recordsCount} records that the JS walk accepts`);
}

async function walkSlices(section: Buffer, recordsCount: number): Promise<void> {
  const walk: SliceWalk = { c: { value: 0, offset: 0 }, at: 0, i: 0 };
  for (;;) {
    walkSlice(section, recordsCount, walk, walk.at + DECODE_SLICE_BYTES);
    if (walk.i === recordsCount) break;
    await nextTurn();
  }
  if (walk.at !== section.length) throw new CorruptRecordError(`${section.length - walk.at} bytes follow the ${recordsCount} declared records`);
}

interface SliceWalk {
  c: VarintCursor;
  /** Where the next record starts. */
  at: number;
  /** Records walked so far. */
  i: number;
}

/** Walks records from `walk.at` until all are walked or `sliceEnd` is passed. */
function walkSlice(section: Buffer, recordsCount: number, walk: SliceWalk, sliceEnd: number): void {
  const end = section.length;
  let { at, i } = walk;
  for (; i < recordsCount && at < sliceEnd; i++) {
    if (at >= end) throw new CorruptRecordError(`records section ends after ${i} of ${recordsCount} declared records`);
    at = walkRecord(section, at, end, i, walk.c);
  }
  if (i < recordsCount && at >= end) throw new CorruptRecordError(`records section ends after ${i} of ${recordsCount} declared records`);
  walk.at = at;
  walk.i = i;
}

/** Checks record `i` at `at`; returns where the next one starts. */
function walkRecord(section: Buffer, at: number, end: number, i: number, c: VarintCursor): number {
  readVarint(section, at, end, c);
  const recordEnd = c.offset + c.value;
  if (c.value < 1 || recordEnd > end) throw new CorruptRecordError(`record ${i} at byte ${at} of the records section claims ${c.value} bytes and overruns the batch`);
  c.offset += 1; // attributes
  readVarlong(section, c.offset, recordEnd, c); // timestampDelta
  readVarint(section, c.offset, recordEnd, c);
  if (c.value !== i) throw new CorruptRecordError(`record ${i} at byte ${at} of the records section has offset delta ${c.value}, expected ${i}`);
  skipBytes(section, c, recordEnd, i, 'key', true);
  skipBytes(section, c, recordEnd, i, 'value', true);
  readVarint(section, c.offset, recordEnd, c);
  const headers = c.value;
  if (headers < 0) throw new CorruptRecordError(`record ${i} has negative header count ${headers}`);
  for (let h = 0; h < headers; h++) {
    skipBytes(section, c, recordEnd, i, 'header key', false);
    skipBytes(section, c, recordEnd, i, 'header value', true);
  }
  if (c.offset !== recordEnd) throw new CorruptRecordError(`record ${i} at byte ${at} of the records section has ${recordEnd - c.offset} bytes past its fields`);
  return recordEnd;
}
