/**
 * The one walker of the RecordBatch v2 format: a cursor over batch headers laid back to back in a
 * buffer (a produce request's records, a window of a segment file, a shipped frame, a dumped
 * file), and validateBatches(), which checks every batch of an append once and returns the layout
 * the log needs as a ValidatedBatches value. Everything that steps from one batch to the next in a
 * buffer goes through here (bytes arriving in pieces: batch-stream.ts), and the framing rules
 * (what a batch length may be, magic, what preallocated zeros look like) live in record-batch.ts's
 * framingProblemAt, so a damaged batch reads the same wherever it is walked.
 */
import { StrataError, assertionFailed } from '../errors.js';
import { crc32c } from './crc32c.js';
import { readInt64, writeInt64 } from './int64.js';
import {
  ATTRIBUTES_OFFSET,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  TIMESTAMP_TYPE_MASK,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD_BYTES,
  MAX_TIMESTAMP_OFFSET,
  RECORDS_COUNT_OFFSET,
  framingProblemAt,
  lastOffsetOf,
  readBatchHeader,
  validateBatch,
  type FramingProblem,
  type RecordBatchHeader,
} from './record-batch.js';

/**
 * A cursor at one batch header in buf[start, end). Bytes from outside are checked before it trusts
 * them (framingProblem(), validate()); advance() asserts the batch it steps over fits, so a walk
 * never steps by a length nobody checked. `origin` is the file (or stream) position of buf[0]:
 * positions in messages are counted from it.
 */
export class BatchCursor {
  position: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
    readonly origin = 0,
  ) {
    this.position = start;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  /** Where the batch here starts in the file or stream (origin + position). */
  get filePosition(): number {
    return this.origin + this.position;
  }

  /** True when the log overhead (base offset and length) is here: sizeBytes() may be read. */
  hasLength(): boolean {
    return this.remaining >= LOG_OVERHEAD_BYTES;
  }

  /** True when a whole batch header is here: its fields may be read. */
  hasHeader(): boolean {
    return this.remaining >= BATCH_HEADER_BYTES;
  }

  /** LOG_OVERHEAD_BYTES + batchLength of the batch here (needs hasLength()). */
  sizeBytes(): number {
    return LOG_OVERHEAD_BYTES + this.buf.readInt32BE(this.position + BATCH_LENGTH_OFFSET);
  }

  /** Preallocated or never-written space here (needs hasLength()). */
  isZeroed(): boolean {
    return isZeroedHeader(this.buf, this.position);
  }

  /** What is wrong with the framing here (length, fit before `end`, magic), or undefined. */
  framingProblem(end = this.end): FramingProblem | undefined {
    return framingProblemAt(this.buf, this.position, end, this.origin);
  }

  /** Validates the whole batch here (framing, CRC, header fields); returns its size. */
  validate(end = this.end): number {
    return validateBatch(this.buf, this.position, end, this.origin);
  }

  header(): RecordBatchHeader {
    return readBatchHeader(this.buf, this.position);
  }
  baseOffset(): number {
    return readInt64(this.buf, this.position);
  }
  lastOffsetDelta(): number {
    return this.buf.readInt32BE(this.position + LAST_OFFSET_DELTA_OFFSET);
  }
  lastOffset(): number {
    return lastOffsetOf({ baseOffset: this.baseOffset(), lastOffsetDelta: this.lastOffsetDelta() });
  }
  maxTimestamp(): number {
    return readInt64(this.buf, this.position + MAX_TIMESTAMP_OFFSET);
  }
  recordsCount(): number {
    return this.buf.readInt32BE(this.position + RECORDS_COUNT_OFFSET);
  }
  attributes(): number {
    return this.buf.readInt16BE(this.position + ATTRIBUTES_OFFSET);
  }

  /** Moves to the next batch: the one here must have been checked (or built) whole. */
  advance(): void {
    const size = this.sizeBytes();
    if (!(size >= BATCH_HEADER_BYTES && size <= this.remaining)) {
      assertionFailed(`batch at position ${this.filePosition} of ${size} bytes stepped over unchecked (${this.remaining} bytes remain)`);
    }
    this.position += size;
  }
}

/** Walks the batches in buf[start, end) by their length fields, stopping at the first that does not fit. */
export function* batchPositions(buf: Buffer, start = 0, end = buf.length): Generator<{ position: number; sizeBytes: number }> {
  for (const cursor = new BatchCursor(buf, start, end); cursor.hasLength() && cursor.framingProblem() === undefined; cursor.advance()) {
    yield { position: cursor.position, sizeBytes: cursor.sizeBytes() };
  }
}

/**
 * Preallocated or never-written space: a zero base offset and a zero batch length. No real batch
 * has batchLength 0 (it is at least the 49 header bytes after the length field), so a zero length
 * is never data.
 */
export function isZeroedHeader(buf: Buffer, position: number): boolean {
  return buf.readInt32BE(position + BATCH_LENGTH_OFFSET) === 0 && readInt64(buf, position) === 0;
}

/**
 * The layout of the batches of one append, after validation: where each batch starts, its last
 * offset delta, the records in all, and the batch holding the newest timestamp.
 */
export interface BatchLayout {
  readonly positions: readonly number[];
  readonly lastOffsetDeltas: readonly number[];
  readonly records: number;
  readonly maxTimestamp: number;
  readonly offsetOfMaxTimestampIndex: number;
}

/**
 * Batches checked once (size, magic, CRC, header fields, message.max.bytes) and their layout. Only
 * validateBatches() and layoutOfBuiltBatch() make one (the brand), so a log handed one knows the
 * bytes were checked or built by this process. The log's append takes more: core/log's
 * ValidatedRecords, which only its LogValidator makes after walking every record.
 */
export interface ValidatedBatches {
  readonly buffer: Buffer;
  readonly layout: BatchLayout;
  readonly [VALIDATED]: true;
}
declare const VALIDATED: unique symbol;

/**
 * Validates every batch in `buffer` and returns its layout. A batch larger than `batchBytesMax`
 * (message.max.bytes) is named as such before its possibly absent bytes are checked.
 */
export function validateBatches(buffer: Buffer, batchBytesMax: number): ValidatedBatches {
  if (buffer.length === 0) throw new StrataError('INVALID_ARGUMENT', 'append of an empty buffer');
  const builder = new LayoutBuilder();
  const cursor = new BatchCursor(buffer);
  while (cursor.remaining > 0) {
    if (cursor.hasLength() && cursor.sizeBytes() > batchBytesMax) {
      throw tooLarge(cursor.sizeBytes(), cursor.position, batchBytesMax);
    }
    cursor.validate();
    builder.add(cursor);
    cursor.advance();
  }
  return builder.finish(buffer);
}

/**
 * The layout of one batch this process built itself (its header alone: the records section may
 * be a separate buffer), checked against message.max.bytes like any other.
 */
export function layoutOfBuiltBatch(header: Buffer, totalBytes: number, batchBytesMax: number): ValidatedBatches {
  if (totalBytes > batchBytesMax) throw tooLarge(totalBytes, undefined, batchBytesMax);
  const builder = new LayoutBuilder();
  builder.add(new BatchCursor(header, 0, Math.max(header.length, totalBytes)));
  return builder.finish(header);
}

function tooLarge(sizeBytes: number, position: number | undefined, batchBytesMax: number): StrataError {
  const where = position === undefined ? '' : ` at position ${position}`;
  return new StrataError('RECORD_TOO_LARGE', `record batch of ${sizeBytes} bytes${where} exceeds message.max.bytes (${batchBytesMax})`);
}

/** The one-element arrays most appends need, grown only for a second batch. */
class LayoutBuilder {
  // one-element literals rather than [] pushed to: most appends carry one batch, and the smaller
  // allocation measurably shortens a page-cache append
  private positions: number[] | undefined;
  private lastOffsetDeltas: number[] | undefined;
  private records = 0;
  private maxTimestamp = -1;
  private offsetOfMaxTimestampIndex = 0;

  add(cursor: BatchCursor): void {
    const maxTimestamp = cursor.maxTimestamp();
    const index = this.positions?.length ?? 0;
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestampIndex = index;
    }
    if (this.positions === undefined || this.lastOffsetDeltas === undefined) {
      this.positions = [cursor.position];
      this.lastOffsetDeltas = [cursor.lastOffsetDelta()];
    } else {
      this.positions.push(cursor.position);
      this.lastOffsetDeltas.push(cursor.lastOffsetDelta());
    }
    this.records += cursor.recordsCount();
  }

  finish(buffer: Buffer): ValidatedBatches {
    const layout: BatchLayout = {
      positions: this.positions ?? [],
      lastOffsetDeltas: this.lastOffsetDeltas ?? [],
      records: this.records,
      maxTimestamp: this.maxTimestamp,
      offsetOfMaxTimestampIndex: this.offsetOfMaxTimestampIndex,
    };
    return { buffer, layout } as ValidatedBatches;
  }
}

/** Validated batches laid back to back are validated batches: one buffer, one layout. */
export function concatValidated(parts: readonly ValidatedBatches[]): ValidatedBatches {
  if (parts.length === 1) return parts[0]!;
  const buffer = Buffer.concat(parts.map((p) => p.buffer));
  // headers are trusted: every part was validated
  const builder = new LayoutBuilder();
  for (const cursor = new BatchCursor(buffer); cursor.remaining > 0; cursor.advance()) builder.add(cursor);
  return builder.finish(buffer);
}

/**
 * Kafka's LogValidator for a topic with message.timestamp.type=LogAppendTime: every batch gets the
 * LogAppendTime attribute bit and `nowMs` as its max timestamp (its records then read as stamped
 * with it; their own deltas stay), and a new CRC, since both fields lie inside it. The batches
 * are rewritten in place.
 */
export function stampLogAppendTime(validated: ValidatedBatches, nowMs: number): ValidatedBatches {
  const { buffer, layout } = validated;
  for (const position of layout.positions) {
    const cursor = new BatchCursor(buffer, position);
    const end = position + cursor.sizeBytes();
    if (end > buffer.length) assertionFailed(`validated batch at ${position} runs past its buffer`);
    buffer.writeInt16BE(buffer.readInt16BE(position + ATTRIBUTES_OFFSET) | TIMESTAMP_TYPE_MASK, position + ATTRIBUTES_OFFSET);
    writeInt64(buffer, position + MAX_TIMESTAMP_OFFSET, nowMs);
    // the CRC covers the batch from its attributes to its end
    buffer.writeUInt32BE(crc32c(buffer.subarray(position + ATTRIBUTES_OFFSET, end)), position + CRC_OFFSET);
  }
  return { buffer, layout: { ...layout, maxTimestamp: nowMs, offsetOfMaxTimestampIndex: 0 } } as ValidatedBatches;
}
