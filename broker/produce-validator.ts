/**
 * Checks the record batches of one partition of a Produce request before any of them reaches the
 * log (Kafka's LogValidator, for RecordBatch v2): each batch's framing, magic and CRC; its size
 * against message.max.bytes; a codec this broker knows (zstd only from Produce v7, as Kafka); no
 * transactional or control batches (strata has no transaction coordinator); and inside the batch,
 * after decompression, exactly `recordsCount` well-formed records with offset deltas 0..n-1 whose
 * last equals lastOffsetDelta. Walking the records allocates nothing per record.
 */
import type { CodecRegistry } from '../core/codec.js';
import { CorruptRecordError } from '../core/errors.js';
import {
  BATCH_HEADER_BYTES,
  CompressionType,
  compressionOf,
  isControl,
  isTransactional,
  readBatchHeader,
  validateBatch,
  RECORDS_OFFSET,
  MAGIC_OFFSET,
  MAGIC_V2,
} from '../core/format/record-batch.js';
import { readVarint, readVarlong, type VarintCursor } from '../core/format/varint.js';
import { ErrorCode } from './protocol/errors.js';

export interface ProduceValidation {
  errorCode: number;
  /** What is wrong, for the log line and the v8+ ErrorMessage field. */
  message: string | null;
  batches: number;
  records: number;
}

/** Bound on one decompressed records section: a zip bomb is refused, not expanded. */
export const DECOMPRESSED_BYTES_MAX = 64 * 1024 * 1024;

export async function validateProducedRecords(
  records: Buffer | null,
  opts: { codecs: CodecRegistry; messageMaxBytes: number; produceVersion: number },
): Promise<ProduceValidation> {
  const fail = (errorCode: number, message: string, batches = 0, count = 0): ProduceValidation => ({ errorCode, message, batches, records: count });
  if (records === null || records.length === 0) return fail(ErrorCode.CORRUPT_MESSAGE, 'the partition data holds no record batch');
  let position = 0;
  let batches = 0;
  let count = 0;
  while (position < records.length) {
    if (records.length - position > MAGIC_OFFSET && records.readInt8(position + MAGIC_OFFSET) < MAGIC_V2) {
      // Produce v0-v2 carry message sets of magic 0/1; strata stores RecordBatch v2 only and never converts
      return fail(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `batch ${batches} has magic ${records.readInt8(position + MAGIC_OFFSET)}; only RecordBatch v2 (magic 2) is stored`, batches, count);
    }
    let sizeBytes: number;
    try {
      sizeBytes = validateBatch(records, position);
    } catch (err) {
      return fail(ErrorCode.CORRUPT_MESSAGE, `batch ${batches}: ${(err as Error).message}`, batches, count);
    }
    if (sizeBytes > opts.messageMaxBytes) {
      return fail(ErrorCode.MESSAGE_TOO_LARGE, `batch ${batches} is ${sizeBytes} bytes, larger than message.max.bytes (${opts.messageMaxBytes})`, batches, count);
    }
    const header = readBatchHeader(records, position);
    if (isTransactional(header.attributes) || isControl(header.attributes)) {
      return fail(ErrorCode.INVALID_RECORD, `batch ${batches} is a transactional or control batch; strata has no transactions`, batches, count);
    }
    const compression = compressionOf(header.attributes);
    if (compression === CompressionType.zstd && opts.produceVersion < 7) {
      return fail(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `batch ${batches} is zstd-compressed, which needs Produce v7 or later (request is v${opts.produceVersion})`, batches, count);
    }
    let section = records.subarray(position + RECORDS_OFFSET, position + sizeBytes);
    if (compression !== CompressionType.none) {
      let codec;
      try {
        codec = opts.codecs.byTypeOrThrow(compression);
      } catch (err) {
        return fail(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `batch ${batches}: ${(err as Error).message}`, batches, count);
      }
      try {
        section = await codec.decompress(section, DECOMPRESSED_BYTES_MAX);
      } catch (err) {
        return fail(ErrorCode.CORRUPT_MESSAGE, `batch ${batches}: cannot decompress its ${codec.name} records: ${(err as Error).message}`, batches, count);
      }
    }
    try {
      walkRecords(section, header.recordsCount, header.lastOffsetDelta);
    } catch (err) {
      return fail(ErrorCode.CORRUPT_MESSAGE, `batch ${batches}: ${(err as Error).message}`, batches, count);
    }
    batches++;
    count += header.recordsCount;
    position += sizeBytes;
  }
  if (batches === 0) return fail(ErrorCode.CORRUPT_MESSAGE, `no batch of at least ${BATCH_HEADER_BYTES} bytes`);
  return { errorCode: ErrorCode.NONE, message: null, batches, records: count };
}

function skipBytes(section: Buffer, c: VarintCursor, end: number, what: string, nullable: boolean): void {
  readVarint(section, c.offset, end, c);
  const length = c.value;
  if (length < (nullable ? -1 : 0)) throw new CorruptRecordError(`${what} has invalid length ${length}`);
  if (length > 0) {
    if (c.offset + length > end) throw new CorruptRecordError(`${what} of ${length} bytes overruns its record`);
    c.offset += length;
  }
}

/** Walks an uncompressed records section; throws CorruptRecordError on the first malformed record. */
export function walkRecords(section: Buffer, recordsCount: number, lastOffsetDelta: number): void {
  if (recordsCount <= 0) throw new CorruptRecordError(`batch declares ${recordsCount} records`);
  if (lastOffsetDelta !== recordsCount - 1) {
    throw new CorruptRecordError(`lastOffsetDelta ${lastOffsetDelta} does not match ${recordsCount} records`);
  }
  const c: VarintCursor = { value: 0, offset: 0 };
  const end = section.length;
  let at = 0;
  for (let i = 0; i < recordsCount; i++) {
    if (at >= end) throw new CorruptRecordError(`records section ends after ${i} of ${recordsCount} declared records`);
    readVarint(section, at, end, c);
    const recordEnd = c.offset + c.value;
    if (c.value < 1 || recordEnd > end) throw new CorruptRecordError(`record ${i} claims ${c.value} bytes and overruns the batch`);
    c.offset += 1; // attributes
    readVarlong(section, c.offset, recordEnd, c); // timestampDelta
    readVarint(section, c.offset, recordEnd, c);
    if (c.value !== i) throw new CorruptRecordError(`record ${i} has offset delta ${c.value}, expected ${i}`);
    skipBytes(section, c, recordEnd, `record ${i} key`, true);
    skipBytes(section, c, recordEnd, `record ${i} value`, true);
    readVarint(section, c.offset, recordEnd, c);
    const headers = c.value;
    if (headers < 0) throw new CorruptRecordError(`record ${i} has negative header count ${headers}`);
    for (let h = 0; h < headers; h++) {
      skipBytes(section, c, recordEnd, `record ${i} header ${h} key`, false);
      skipBytes(section, c, recordEnd, `record ${i} header ${h} value`, true);
    }
    if (c.offset !== recordEnd) throw new CorruptRecordError(`record ${i} has ${recordEnd - c.offset} bytes past its fields`);
    at = recordEnd;
  }
  if (at !== end) throw new CorruptRecordError(`${end - at} bytes follow the ${recordsCount} declared records`);
}
