/**
 * Records inside a RecordBatch v2 (Kafka's DefaultRecord): encoding into a batch and decoding out
 * of one. A batch is built in one buffer sized up front, so encoding costs one allocation per batch
 * (plus the codec's output when compressed).
 */
import type { Codec, CodecRegistry } from '../codec.js';
import { CorruptRecordError } from '../errors.js';
import { writeInt64 } from './int64.js';
import { BatchCursor } from './batch-cursor.js';
import {
  ATTRIBUTES_OFFSET,
  BATCH_HEADER_BYTES,
  COMPRESSION_CODEC_MASK,
  CONTROL_FLAG_MASK,
  CRC_OFFSET,
  CompressionType,
  LOG_OVERHEAD_BYTES,
  MAGIC_V2,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  RECORDS_OFFSET,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_FLAG_MASK,
  compressionOf,
  computeBatchCrc,
  computeBatchCrcOfParts,
  readBatchHeader,
  timestampTypeOf,
  validateBatch,
  type RecordBatchHeader,
  type TimestampType,
} from './record-batch.js';
import { readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong, type VarintCursor } from './varint.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** A record to append: what a producer supplies. */
export interface ProducerRecord {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: readonly RecordHeader[];
  /** Epoch milliseconds; defaults to the batch's timestamp. */
  timestamp?: number;
}

/** A record read back: offsets and timestamps absolute. */
export interface DecodedRecord {
  offset: number;
  timestamp: number;
  attributes: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface DecodedBatch {
  header: RecordBatchHeader;
  /** Bytes the batch occupies on disk / on the wire. */
  sizeBytes: number;
  records: DecodedRecord[];
}

export interface BatchOptions {
  baseOffset?: number;
  /** Timestamp for records without their own; default Date.now(). */
  timestamp?: number;
  timestampType?: TimestampType;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  partitionLeaderEpoch?: number;
  transactional?: boolean;
  control?: boolean;
}

function encodedRecordBodyBytes(record: ProducerRecord, timestampDelta: number, offsetDelta: number): number {
  let bytes = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta);
  const key = record.key ?? null;
  bytes += key === null ? 1 : sizeOfVarint(key.length) + key.length;
  const value = record.value;
  bytes += value === null ? 1 : sizeOfVarint(value.length) + value.length;
  const headers = record.headers ?? [];
  bytes += sizeOfVarint(headers.length);
  for (const h of headers) {
    const keyBytes = Buffer.byteLength(h.key, 'utf8');
    bytes += sizeOfVarint(keyBytes) + keyBytes;
    bytes += h.value === null ? 1 : sizeOfVarint(h.value.length) + h.value.length;
  }
  return bytes;
}

function writeRecord(buf: Buffer, at: number, record: ProducerRecord, bodyBytes: number, timestampDelta: number, offsetDelta: number): number {
  at = writeVarint(buf, at, bodyBytes);
  buf[at++] = 0; // record attributes: unused in v2
  at = writeVarlong(buf, at, timestampDelta);
  at = writeVarint(buf, at, offsetDelta);
  const key = record.key ?? null;
  if (key === null) at = writeVarint(buf, at, -1);
  else {
    at = writeVarint(buf, at, key.length);
    at += key.copy(buf, at);
  }
  const value = record.value;
  if (value === null) at = writeVarint(buf, at, -1);
  else {
    at = writeVarint(buf, at, value.length);
    at += value.copy(buf, at);
  }
  const headers = record.headers ?? [];
  at = writeVarint(buf, at, headers.length);
  for (const h of headers) {
    const keyBytes = Buffer.byteLength(h.key, 'utf8');
    at = writeVarint(buf, at, keyBytes);
    at += buf.write(h.key, at, 'utf8');
    if (h.value === null) at = writeVarint(buf, at, -1);
    else {
      at = writeVarint(buf, at, h.value.length);
      at += h.value.copy(buf, at);
    }
  }
  return at;
}

interface Layout {
  baseTimestamp: number;
  maxTimestamp: number;
  bodyBytes: number[];
  recordsBytes: number;
}

function layout(records: readonly ProducerRecord[], defaultTimestamp: number): Layout {
  const baseTimestamp = records[0]!.timestamp ?? defaultTimestamp;
  let maxTimestamp = -1;
  let recordsBytes = 0;
  const bodyBytes = new Array<number>(records.length);
  for (let i = 0; i < records.length; i++) {
    const ts = records[i]!.timestamp ?? defaultTimestamp;
    if (ts > maxTimestamp) maxTimestamp = ts;
    const body = encodedRecordBodyBytes(records[i]!, ts - baseTimestamp, i);
    bodyBytes[i] = body;
    recordsBytes += sizeOfVarint(body) + body;
  }
  return { baseTimestamp, maxTimestamp, bodyBytes, recordsBytes };
}

function writeRecords(buf: Buffer, at: number, records: readonly ProducerRecord[], l: Layout, defaultTimestamp: number): number {
  for (let i = 0; i < records.length; i++) {
    const ts = records[i]!.timestamp ?? defaultTimestamp;
    at = writeRecord(buf, at, records[i]!, l.bodyBytes[i]!, ts - l.baseTimestamp, i);
  }
  return at;
}

/** Writes the header fields of a batch of `sizeBytes` into header[0, BATCH_HEADER_BYTES), CRC excepted. */
function writeHeaderFields(header: Buffer, sizeBytes: number, records: number, l: Layout, opts: BatchOptions, compression: CompressionType): void {
  let attributes = compression & COMPRESSION_CODEC_MASK;
  if (opts.timestampType === 'LogAppendTime') attributes |= TIMESTAMP_TYPE_MASK;
  if (opts.transactional) attributes |= TRANSACTIONAL_FLAG_MASK;
  if (opts.control) attributes |= CONTROL_FLAG_MASK;
  writeInt64(header, 0, opts.baseOffset ?? 0);
  header.writeInt32BE(sizeBytes - LOG_OVERHEAD_BYTES, 8);
  header.writeInt32BE(opts.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, 12);
  header.writeInt8(MAGIC_V2, 16);
  header.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  header.writeInt32BE(records - 1, 23);
  writeInt64(header, 27, l.baseTimestamp);
  writeInt64(header, 35, l.maxTimestamp);
  writeInt64(header, 43, opts.producerId ?? NO_PRODUCER_ID);
  header.writeInt16BE(opts.producerEpoch ?? NO_PRODUCER_EPOCH, 51);
  header.writeInt32BE(opts.baseSequence ?? NO_SEQUENCE, 53);
  header.writeInt32BE(records, 57);
}

function writeHeader(buf: Buffer, records: number, l: Layout, opts: BatchOptions, compression: CompressionType): void {
  writeHeaderFields(buf, buf.length, records, l, opts, compression);
  buf.writeUInt32BE(computeBatchCrc(buf, 0, buf.length), CRC_OFFSET);
}

function checkRecords(records: readonly ProducerRecord[]): void {
  if (records.length === 0) throw new RangeError('a record batch needs at least one record');
}

/** Builds an uncompressed batch synchronously: one allocation, records written in place. */
export function buildBatch(records: readonly ProducerRecord[], opts: BatchOptions = {}): Buffer {
  checkRecords(records);
  const now = opts.timestamp ?? Date.now();
  const l = layout(records, now);
  const buf = Buffer.allocUnsafe(BATCH_HEADER_BYTES + l.recordsBytes);
  const end = writeRecords(buf, RECORDS_OFFSET, records, l, now);
  if (end !== buf.length) throw new Error(`assertion failed: encoded ${end} bytes, sized ${buf.length}`);
  writeHeader(buf, records.length, l, opts, CompressionType.none);
  return buf;
}

/**
 * A record batch in two pieces, the header and the records section, which are contiguous on disk
 * and on the wire. A compressed section stays the buffer the codec returned: written next to its
 * header with one writev rather than copied behind it (a MiB copy costs ~10-30% of a fast codec's
 * compress time on incompressible data).
 */
export interface BatchParts {
  /** BATCH_HEADER_BYTES bytes, CRC included. */
  header: Buffer;
  /** The records section: compressed blob or uncompressed records. */
  body: Buffer;
}

/** Builds a batch whose records section is compressed by `codec` (or not, for `none`), in two pieces. */
export async function buildCompressedBatchParts(records: readonly ProducerRecord[], codec: Codec, opts: BatchOptions = {}): Promise<BatchParts> {
  if (codec.type === CompressionType.none) {
    const batch = buildBatch(records, opts);
    return { header: batch.subarray(0, BATCH_HEADER_BYTES), body: batch.subarray(BATCH_HEADER_BYTES) };
  }
  checkRecords(records);
  const now = opts.timestamp ?? Date.now();
  const l = layout(records, now);
  const section = Buffer.allocUnsafe(l.recordsBytes);
  writeRecords(section, 0, records, l, now);
  const body = await codec.compress(section);
  const header = Buffer.allocUnsafe(BATCH_HEADER_BYTES);
  writeHeaderFields(header, BATCH_HEADER_BYTES + body.length, records.length, l, opts, codec.type);
  header.writeUInt32BE(computeBatchCrcOfParts(header, body), CRC_OFFSET);
  return { header, body };
}

/** Builds a batch whose records section is compressed by `codec` (or not, for `none`), as one buffer. */
export async function buildCompressedBatch(records: readonly ProducerRecord[], codec: Codec, opts: BatchOptions = {}): Promise<Buffer> {
  if (codec.type === CompressionType.none) return buildBatch(records, opts);
  const { header, body } = await buildCompressedBatchParts(records, codec, opts);
  return Buffer.concat([header, body], header.length + body.length);
}

/**
 * Decodes the records of an uncompressed records section. Checks that each record fits inside its
 * length, the section holds exactly `header.recordsCount` records, and offset deltas stay within
 * lastOffsetDelta.
 */
export function decodeRecordsSection(section: Buffer, header: RecordBatchHeader): DecodedRecord[] {
  const out: DecodedRecord[] = new Array(header.recordsCount);
  const logAppendTime = timestampTypeOf(header.attributes) === 'LogAppendTime';
  const c: VarintCursor = { value: 0, offset: 0 };
  let at = 0;
  const end = section.length;
  for (let i = 0; i < header.recordsCount; i++) {
    if (at >= end) {
      throw new CorruptRecordError(`batch at offset ${header.baseOffset} declares ${header.recordsCount} records but its records section ends after ${i}`);
    }
    readVarint(section, at, end, c);
    const length = c.value;
    const recordEnd = c.offset + length;
    if (length < 0 || recordEnd > end) {
      throw new CorruptRecordError(`record ${i} of batch at offset ${header.baseOffset} claims ${length} bytes and overruns the batch`);
    }
    at = c.offset;
    const attributes = section[at++]!;
    readVarlong(section, at, recordEnd, c);
    // a LogAppendTime batch's records all carry the time the log stamped on it (Kafka's DefaultRecord)
    const timestamp = logAppendTime ? header.maxTimestamp : header.baseTimestamp + c.value;
    readVarint(section, c.offset, recordEnd, c);
    const offsetDelta = c.value;
    if (offsetDelta < 0 || offsetDelta > header.lastOffsetDelta) {
      throw new CorruptRecordError(`record ${i} of batch at offset ${header.baseOffset} has offset delta ${offsetDelta} outside 0..${header.lastOffsetDelta}`);
    }
    const key = readBytes(section, c, recordEnd, 'key');
    const value = readBytes(section, c, recordEnd, 'value');
    readVarint(section, c.offset, recordEnd, c);
    const headerCount = c.value;
    if (headerCount < 0) throw new CorruptRecordError(`record ${i} of batch at offset ${header.baseOffset} has negative header count ${headerCount}`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const hk = readBytes(section, c, recordEnd, 'header key');
      if (hk === null) throw new CorruptRecordError(`record ${i} of batch at offset ${header.baseOffset} has a null header key`);
      headers.push({ key: hk.toString('utf8'), value: readBytes(section, c, recordEnd, 'header value') });
    }
    if (c.offset !== recordEnd) {
      throw new CorruptRecordError(`record ${i} of batch at offset ${header.baseOffset} has ${recordEnd - c.offset} trailing bytes inside its length`);
    }
    out[i] = { offset: header.baseOffset + offsetDelta, timestamp, attributes, key, value, headers };
    at = recordEnd;
  }
  if (at !== end) {
    throw new CorruptRecordError(`batch at offset ${header.baseOffset} has ${end - at} bytes after its ${header.recordsCount} declared records`);
  }
  return out;
}

function readBytes(buf: Buffer, c: VarintCursor, end: number, what: string): Buffer | null {
  readVarint(buf, c.offset, end, c);
  const length = c.value;
  if (length < 0) return null;
  const start = c.offset;
  if (start + length > end) throw new CorruptRecordError(`${what} of ${length} bytes overruns its record`);
  c.offset = start + length;
  return buf.subarray(start, start + length);
}

export interface DecodeOptions {
  codecs?: CodecRegistry;
  /** Bound on a decompressed records section; a batch that expands past it is rejected. */
  decompressedBytesMax?: number;
  /** Skip CRC and length validation (the caller validated the bytes already). */
  trusted?: boolean;
}

export const DEFAULT_DECOMPRESSED_BYTES_MAX = 4 * 1048588;

/** Validates and decodes the batch at `position`; compressed batches need `codecs`. */
export async function decodeBatch(buf: Buffer, position = 0, opts: DecodeOptions = {}): Promise<DecodedBatch> {
  const sizeBytes = opts.trusted ? new BatchCursor(buf, position).sizeBytes() : validateBatch(buf, position);
  const header = readBatchHeader(buf, position);
  const body = buf.subarray(position + RECORDS_OFFSET, position + sizeBytes);
  const compression = compressionOf(header.attributes);
  let section = body;
  if (compression !== CompressionType.none) {
    if (!opts.codecs) throw new CorruptRecordError(`batch at offset ${header.baseOffset} is ${CompressionType[compression]}-compressed and no codecs were given to decode it`);
    const codec = opts.codecs.byTypeOrThrow(compression);
    try {
      section = await codec.decompress(body, opts.decompressedBytesMax ?? DEFAULT_DECOMPRESSED_BYTES_MAX);
    } catch (err) {
      throw new CorruptRecordError(`cannot decompress ${codec.name} batch at offset ${header.baseOffset}: ${(err as Error).message}`);
    }
  }
  return { header, sizeBytes, records: decodeRecordsSection(section, header) };
}

/** Synchronous decode for uncompressed batches (the hot path of tests and the none codec). */
export function decodeBatchSync(buf: Buffer, position = 0): DecodedBatch {
  const sizeBytes = validateBatch(buf, position);
  const header = readBatchHeader(buf, position);
  if (compressionOf(header.attributes) !== CompressionType.none) {
    throw new CorruptRecordError(`batch at offset ${header.baseOffset} is compressed; use decodeBatch with codecs`);
  }
  return { header, sizeBytes, records: decodeRecordsSection(buf.subarray(position + RECORDS_OFFSET, position + sizeBytes), header) };
}
