/**
 * Kafka RecordBatch v2: the one format on disk and on the wire (DefaultRecordBatch in Kafka's
 * clients). All integers big-endian. Layout and rules: ../shared/reference/kafka-format.md.
 *
 * This file holds the layout, header reads and the validation that names what is wrong; encoding is
 * in record-batch-builder.ts and record decoding in records.ts.
 */
import { CorruptRecordError } from '../errors.js';
import { crc32c } from './crc32c.js';
import { readInt64, writeInt64 } from './int64.js';

export const MAGIC_V2 = 2;
/** baseOffset + batchLength: the bytes before what batchLength counts (Kafka's LOG_OVERHEAD). */
export const LOG_OVERHEAD_BYTES = 12;
export const BATCH_HEADER_BYTES = 61;
/** Kafka's DefaultRecord.MAX_RECORD_OVERHEAD. */
export const RECORD_OVERHEAD_BYTES_MAX = 21;

export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORDS_COUNT_OFFSET = 57;
export const RECORDS_OFFSET = 61;

/** attributes bits 0-2: the codec of the records section. */
export enum CompressionType {
  none = 0,
  gzip = 1,
  snappy = 2,
  lz4 = 3,
  zstd = 4,
}
export const COMPRESSION_CODEC_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08; // 0 CreateTime, 1 LogAppendTime
export const TRANSACTIONAL_FLAG_MASK = 0x10;
export const CONTROL_FLAG_MASK = 0x20;
export const DELETE_HORIZON_FLAG_MASK = 0x40;

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface RecordBatchHeader {
  baseOffset: number;
  /** Bytes after the batchLength field; the batch occupies LOG_OVERHEAD_BYTES + batchLength. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

export function compressionOf(attributes: number): CompressionType {
  return (attributes & COMPRESSION_CODEC_MASK) as CompressionType;
}
export function timestampTypeOf(attributes: number): TimestampType {
  return attributes & TIMESTAMP_TYPE_MASK ? 'LogAppendTime' : 'CreateTime';
}
export function isTransactional(attributes: number): boolean {
  return (attributes & TRANSACTIONAL_FLAG_MASK) !== 0;
}
export function isControl(attributes: number): boolean {
  return (attributes & CONTROL_FLAG_MASK) !== 0;
}

export function readBatchHeader(buf: Buffer, position = 0): RecordBatchHeader {
  if (buf.length - position < BATCH_HEADER_BYTES) {
    throw new CorruptRecordError(
      `batch header needs ${BATCH_HEADER_BYTES} bytes, only ${buf.length - position} remain at position ${position}`,
      position,
    );
  }
  return {
    baseOffset: readInt64(buf, position + BASE_OFFSET_OFFSET),
    batchLength: buf.readInt32BE(position + BATCH_LENGTH_OFFSET),
    partitionLeaderEpoch: buf.readInt32BE(position + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buf.readInt8(position + MAGIC_OFFSET),
    crc: buf.readUInt32BE(position + CRC_OFFSET),
    attributes: buf.readInt16BE(position + ATTRIBUTES_OFFSET),
    lastOffsetDelta: buf.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: readInt64(buf, position + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: readInt64(buf, position + MAX_TIMESTAMP_OFFSET),
    producerId: readInt64(buf, position + PRODUCER_ID_OFFSET),
    producerEpoch: buf.readInt16BE(position + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(position + BASE_SEQUENCE_OFFSET),
    recordsCount: buf.readInt32BE(position + RECORDS_COUNT_OFFSET),
  };
}

/** The offset of a batch's last record (Kafka's RecordBatch.lastOffset): every `base + lastOffsetDelta` goes through here. */
export function lastOffsetOf(header: Pick<RecordBatchHeader, 'baseOffset' | 'lastOffsetDelta'>): number {
  return header.baseOffset + header.lastOffsetDelta;
}

/** Rewrites baseOffset in place. baseOffset is outside the CRC, so the batch stays valid. */
export function setBaseOffset(buf: Buffer, position: number, baseOffset: number): void {
  writeInt64(buf, position + BASE_OFFSET_OFFSET, baseOffset);
}

/** Rewrites partitionLeaderEpoch in place (outside the CRC, like baseOffset). */
export function setPartitionLeaderEpoch(buf: Buffer, position: number, epoch: number): void {
  buf.writeInt32BE(epoch, position + PARTITION_LEADER_EPOCH_OFFSET);
}

/** CRC-32C over attributes .. end of batch, as Kafka computes it. */
export function computeBatchCrc(buf: Buffer, position: number, sizeBytes: number): number {
  return crc32c(buf.subarray(position + ATTRIBUTES_OFFSET, position + sizeBytes));
}

/** computeBatchCrc of a batch held in two pieces: its header and its records section. */
export function computeBatchCrcOfParts(header: Buffer, body: Buffer): number {
  return crc32c(body, crc32c(header.subarray(ATTRIBUTES_OFFSET, BATCH_HEADER_BYTES)));
}

/** What is wrong with a batch's framing, as validateBatch reports it; `partial` when the bytes simply end. */
export interface FramingProblem {
  message: string;
  partial: boolean;
}

/**
 * The magic of a legacy message set (v0/v1, Produce v0-v2) starting at `position`, or undefined
 * when the bytes there are not one (or too few to tell): strata stores RecordBatch v2 only.
 */
export function legacyMagicAt(buf: Buffer, position: number): number | undefined {
  if (buf.length - position <= MAGIC_OFFSET) return undefined;
  const magic = buf.readInt8(position + MAGIC_OFFSET);
  return magic < MAGIC_V2 ? magic : undefined;
}

/**
 * The framing of the batch at `position` within buf[position, end): enough bytes for the log
 * overhead, a batch length that is at least a header and ends inside the range, and magic 2.
 * Undefined when it holds. Messages name `origin + position`: the position in the file (or stream)
 * whose bytes from `origin` on the buffer holds.
 */
export function framingProblemAt(buf: Buffer, position: number, end = buf.length, origin = 0): FramingProblem | undefined {
  const remaining = end - position;
  const at = origin + position;
  if (remaining < LOG_OVERHEAD_BYTES) {
    return { partial: true, message: `only ${remaining} bytes remain at position ${at}, less than a batch's ${LOG_OVERHEAD_BYTES}-byte log overhead` };
  }
  const batchLength = buf.readInt32BE(position + BATCH_LENGTH_OFFSET);
  const sizeBytes = LOG_OVERHEAD_BYTES + batchLength;
  if (sizeBytes < BATCH_HEADER_BYTES) {
    return { partial: false, message: `batch length ${batchLength} at position ${at} is smaller than a v2 batch header (${BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES})` };
  }
  // a header that claims more than exists: the tail was torn (or the length is garbage); magic is
  // checked first when the header is complete, so garbage is named as such where possible
  if (sizeBytes > remaining && remaining < BATCH_HEADER_BYTES) {
    return { partial: true, message: `batch length ${batchLength} at position ${at} runs past the end (${remaining} bytes remain)` };
  }
  const magic = buf.readInt8(position + MAGIC_OFFSET);
  if (magic !== MAGIC_V2) return { partial: false, message: `bad magic ${magic} at position ${at} (expected ${MAGIC_V2})` };
  if (sizeBytes > remaining) {
    return { partial: true, message: `batch length ${batchLength} at position ${at} runs past the end (${remaining} bytes remain)` };
  }
  return undefined;
}

/**
 * Checks the batch at `position` within buf[position, end): its framing (framingProblemAt), a
 * matching CRC, and header fields that agree with each other. Returns its size in bytes. Throws
 * CorruptRecordError naming the first problem found (positions counted from `origin`, see
 * framingProblemAt); `partial` on the error tells a torn tail (length past end) from corruption,
 * since recovery reports them differently.
 */
export function validateBatch(buf: Buffer, position: number, end = buf.length, origin = 0): number {
  const framing = framingProblemAt(buf, position, end, origin);
  if (framing) throw framing.partial ? partial(framing.message, origin + position) : new CorruptRecordError(framing.message, origin + position);
  const at = origin + position;
  const sizeBytes = LOG_OVERHEAD_BYTES + buf.readInt32BE(position + BATCH_LENGTH_OFFSET);
  const storedCrc = buf.readUInt32BE(position + CRC_OFFSET);
  const computedCrc = computeBatchCrc(buf, position, sizeBytes);
  if (storedCrc !== computedCrc) {
    throw new CorruptRecordError(
      `CRC mismatch in batch at position ${at}: stored 0x${storedCrc.toString(16).padStart(8, '0')}, computed 0x${computedCrc.toString(16).padStart(8, '0')}`,
      at,
    );
  }
  const lastOffsetDelta = buf.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET);
  const recordsCount = buf.readInt32BE(position + RECORDS_COUNT_OFFSET);
  if (lastOffsetDelta < 0 || recordsCount < 0) {
    throw new CorruptRecordError(`batch at position ${at} has negative lastOffsetDelta ${lastOffsetDelta} or recordsCount ${recordsCount}`, at);
  }
  const codec = compressionOf(buf.readInt16BE(position + ATTRIBUTES_OFFSET));
  if (codec > CompressionType.zstd) throw new CorruptRecordError(`batch at position ${at} names unknown compression codec ${codec}`, at);
  return sizeBytes;
}

function partial(message: string, position: number): CorruptRecordError {
  const err = new CorruptRecordError(message, position);
  (err as CorruptRecordError & { partial: boolean }).partial = true;
  return err;
}

/** True when the error from validateBatch means the bytes simply ended (a torn tail). */
export function isPartialBatchError(err: unknown): boolean {
  return err instanceof CorruptRecordError && (err as CorruptRecordError & { partial?: boolean }).partial === true;
}
