/**
 * The log shipping stream (`strata send` -> `strata receive`): a header, the partition's
 * RecordBatch v2 batches byte for byte as they sit in the segment files (so the sender can hand
 * whole file slices to a zero-copy Transfer), and an end marker. All integers big-endian.
 *
 *   header      magic "SSHP" (4 bytes) | version int8 = 1 | topic length int16 | topic UTF-8
 *               | partition int32 | start offset int64 (the offset the sender was asked for)
 *   batches     zero or more RecordBatch v2 (each starts with its base offset int64 >= 0 and its
 *               batchLength int32), base offsets increasing
 *   end         -1 as int64 (where a batch's base offset would be; no batch has one) | bytes int64
 *               (batch bytes sent) | next offset int64 (after the last batch sent; the start
 *               offset when none was)
 *
 * The receiver answers after it has appended and flushed, then closes:
 *
 *   reply       magic "SSHR" | status int8 (0 ok, 1 rejected) | log end offset int64 (the
 *               receiver's, after the stream) | message length int16 | message UTF-8
 *
 * Every batch is checked with validateBatches (length, magic, CRC-32C, header fields) as soon as it
 * is whole; a stream that is corrupt, goes backwards in offsets, or ends before its end marker is
 * rejected with a CorruptRecordError naming the stream byte position, and only the whole, valid
 * batches before the damage are kept.
 */
import { CorruptRecordError, StrataError, assertionFailed } from '../../../core/errors.js';
import { readInt64, writeInt64 } from '../../../core/format/int64.js';
import { BatchCursor, validateBatches, type ValidatedBatches } from '../../../core/format/batch-cursor.js';
import { BATCH_HEADER_BYTES } from '../../../core/format/record-batch.js';
import { TOPIC_NAME_LENGTH_MAX, validatePartition, validateTopicName } from '../../../core/topic.js';

export const SHIP_MAGIC = Buffer.from('SSHP', 'latin1');
export const SHIP_REPLY_MAGIC = Buffer.from('SSHR', 'latin1');
export const SHIP_VERSION = 1;
export const END_MARKER_OFFSET = -1;
/** End marker: the -1 offset, bytes, next offset. */
export const END_MARKER_BYTES = 24;
const HEADER_FIXED_BYTES = 4 + 1 + 2 + 4 + 8;
/** A reply is at most this long (its message is cut to fit). */
export const REPLY_MESSAGE_BYTES_MAX = 4096;

export interface ShipHeader {
  topic: string;
  partition: number;
  startOffset: number;
}

export interface ShipEnd {
  bytes: number;
  nextOffset: number;
}

export interface ShipReply {
  ok: boolean;
  logEndOffset: number;
  message: string;
}

export function encodeHeader(h: ShipHeader): Buffer {
  validateTopicName(h.topic);
  validatePartition(h.partition);
  if (!(Number.isSafeInteger(h.startOffset) && h.startOffset >= 0)) assertionFailed(`start offset ${h.startOffset}`);
  const topic = Buffer.from(h.topic, 'utf8');
  const buf = Buffer.alloc(HEADER_FIXED_BYTES + topic.length);
  SHIP_MAGIC.copy(buf, 0);
  buf.writeInt8(SHIP_VERSION, 4);
  buf.writeInt16BE(topic.length, 5);
  topic.copy(buf, 7);
  buf.writeInt32BE(h.partition, 7 + topic.length);
  writeInt64(buf, 11 + topic.length, h.startOffset);
  return buf;
}

export function encodeEnd(e: ShipEnd): Buffer {
  const buf = Buffer.alloc(END_MARKER_BYTES);
  writeInt64(buf, 0, END_MARKER_OFFSET);
  writeInt64(buf, 8, e.bytes);
  writeInt64(buf, 16, e.nextOffset);
  return buf;
}

export function encodeReply(r: ShipReply): Buffer {
  let message = Buffer.from(r.message, 'utf8');
  if (message.length > REPLY_MESSAGE_BYTES_MAX) message = message.subarray(0, REPLY_MESSAGE_BYTES_MAX);
  const buf = Buffer.alloc(4 + 1 + 8 + 2 + message.length);
  SHIP_REPLY_MAGIC.copy(buf, 0);
  buf.writeInt8(r.ok ? 0 : 1, 4);
  writeInt64(buf, 5, r.logEndOffset);
  buf.writeInt16BE(message.length, 13);
  message.copy(buf, 15);
  return buf;
}

/** Parses a whole reply; undefined while more bytes are needed. */
export function decodeReply(buf: Buffer): ShipReply | undefined {
  if (buf.length < 15) return undefined;
  if (!buf.subarray(0, 4).equals(SHIP_REPLY_MAGIC)) {
    throw new StrataError('INVALID_ARGUMENT', `the receiver's reply does not start with "SSHR" (got 0x${buf.subarray(0, 4).toString('hex')}): not a strata receiver?`);
  }
  const length = buf.readInt16BE(13);
  if (length < 0 || length > REPLY_MESSAGE_BYTES_MAX) throw new StrataError('INVALID_ARGUMENT', `the receiver's reply has a message length of ${length}`);
  if (buf.length < 15 + length) return undefined;
  return { ok: buf.readInt8(4) === 0, logEndOffset: readInt64(buf, 5), message: buf.toString('utf8', 15, 15 + length) };
}

/**
 * What one push() found. Batches are validated, whole, and in stream order; when the stream turned
 * out bad, `error` says where and why, and `batches` still holds the good ones before it.
 */
export interface DecodedChunk {
  header?: ShipHeader;
  /** Whole batches, each validated once here (the log appends them without checking again). */
  batches: ValidatedBatches[];
  end?: ShipEnd;
  error?: CorruptRecordError;
}

/**
 * Incremental decoder of the stream: feed it socket chunks in order with push(); call finish() when
 * the socket ends. Holds at most one partial batch (at most `batchBytesMax`) between pushes.
 */
export class ShipStreamDecoder {
  private state: 'header' | 'body' | 'end' | 'done' | 'failed' = 'header';
  private failure: CorruptRecordError | undefined;
  /** Bytes not yet consumed that do not form a whole unit (header, batch prefix, end marker). */
  private pending: Buffer = Buffer.alloc(0);
  /** A batch whose size is known but whose bytes are still arriving, filled in place. */
  private partial: { buf: Buffer; filled: number; streamPosition: number } | undefined;
  /** Stream bytes consumed before `pending`. */
  private consumed = 0;
  private header: ShipHeader | undefined;
  private nextOffsetMin = 0;
  private batchBytes = 0;
  private lastOffset: number | undefined;
  private batchCount = 0;

  /** `batchBytesMax`: the largest batch accepted (the receiver's message.max.bytes). */
  constructor(public batchBytesMax: number) {}

  get streamBytes(): number {
    return this.consumed + this.pending.length + (this.partial?.filled ?? 0);
  }

  get batches(): number {
    return this.batchCount;
  }

  get isDone(): boolean {
    return this.state === 'done';
  }

  /**
   * Decodes what `chunk` completes. Stops right after the header (returning it), so the caller can
   * adjust batchBytesMax before any batch is judged: push(Buffer.alloc(0)) continues.
   */
  push(chunk: Buffer): DecodedChunk {
    const out: DecodedChunk = { batches: [] };
    if (this.failure) {
      out.error = this.failure;
      return out;
    }
    try {
      this.decode(chunk, out);
    } catch (err) {
      if (!(err instanceof CorruptRecordError)) throw err;
      this.failure = err;
      this.state = 'failed';
      out.error = err;
    }
    return out;
  }

  private decode(chunk: Buffer, out: DecodedChunk): void {
    if (this.state === 'done') {
      if (chunk.length > 0) throw new CorruptRecordError(`${chunk.length} bytes after the end marker at stream byte ${this.consumed}`, this.consumed);
      return;
    }
    if (this.partial) {
      const p = this.partial;
      const n = Math.min(chunk.length, p.buf.length - p.filled);
      chunk.copy(p.buf, p.filled, 0, n);
      p.filled += n;
      chunk = chunk.subarray(n);
      if (p.filled < p.buf.length) return;
      this.partial = undefined;
      out.batches.push(this.acceptBatch(p.buf, 0, p.buf.length, p.streamPosition));
      this.consumed += p.buf.length;
    }
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      const available = buf.length - pos;
      const at = this.consumed + pos;
      if (this.state === 'header') {
        if (available < 7) break;
        if (!buf.subarray(pos, pos + 4).equals(SHIP_MAGIC)) {
          throw new CorruptRecordError(`not a strata shipping stream: it starts with 0x${buf.subarray(pos, pos + 4).toString('hex')}, not "SSHP"`, at);
        }
        const version = buf.readInt8(pos + 4);
        if (version !== SHIP_VERSION) throw new CorruptRecordError(`shipping stream version ${version} is not supported (this receiver speaks ${SHIP_VERSION})`, at);
        const topicBytes = buf.readInt16BE(pos + 5);
        if (topicBytes <= 0 || topicBytes > TOPIC_NAME_LENGTH_MAX) throw new CorruptRecordError(`shipping stream header has a topic length of ${topicBytes}`, at);
        if (available < HEADER_FIXED_BYTES + topicBytes) break;
        const topic = buf.toString('utf8', pos + 7, pos + 7 + topicBytes);
        const partition = buf.readInt32BE(pos + 7 + topicBytes);
        const startOffset = readInt64(buf, pos + 11 + topicBytes);
        try {
          validateTopicName(topic);
          validatePartition(partition);
        } catch (err) {
          throw new CorruptRecordError(`shipping stream header is invalid: ${(err as Error).message}`, at);
        }
        if (!Number.isSafeInteger(startOffset) || startOffset < 0) throw new CorruptRecordError(`shipping stream header has start offset ${startOffset}`, at);
        this.header = { topic, partition, startOffset };
        out.header = this.header;
        this.nextOffsetMin = 0;
        this.state = 'body';
        pos += HEADER_FIXED_BYTES + topicBytes;
        // stop here: the caller may set batchBytesMax from the destination log's config, then
        // push(empty) to go on
        break;
      }
      if (this.state === 'body') {
        const cursor = new BatchCursor(buf, pos, buf.length, at - pos);
        if (!cursor.hasLength()) break;
        const baseOffset = cursor.baseOffset();
        if (baseOffset === END_MARKER_OFFSET) {
          this.state = 'end';
          continue;
        }
        const sizeBytes = cursor.sizeBytes();
        // judge the length before waiting for that many bytes: garbage must not make us buffer 2 GiB
        if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > this.batchBytesMax) {
          throw new CorruptRecordError(
            `batch at stream byte ${at} (base offset ${baseOffset}) claims ${sizeBytes} bytes, outside [${BATCH_HEADER_BYTES}, ${this.batchBytesMax}] (message.max.bytes)`,
            at,
          );
        }
        if (available < sizeBytes) {
          if (sizeBytes > 64 * 1024) {
            // a big batch: fill a buffer of its size instead of re-concatenating on every chunk
            const whole = Buffer.allocUnsafe(sizeBytes);
            buf.copy(whole, 0, pos);
            this.partial = { buf: whole, filled: available, streamPosition: at };
            this.consumed += pos;
            pos = buf.length;
            buf = Buffer.alloc(0);
            pos = 0;
          }
          break;
        }
        out.batches.push(this.acceptBatch(buf, pos, sizeBytes, at));
        pos += sizeBytes;
        continue;
      }
      if (this.state === 'end') {
        if (available < END_MARKER_BYTES) break;
        const end: ShipEnd = { bytes: readInt64(buf, pos + 8), nextOffset: readInt64(buf, pos + 16) };
        const expectedNext = this.lastOffset === undefined ? this.header!.startOffset : this.lastOffset + 1;
        if (end.bytes !== this.batchBytes || end.nextOffset !== expectedNext) {
          throw new CorruptRecordError(
            `end marker at stream byte ${at} says ${end.bytes} batch bytes up to offset ${end.nextOffset}, but the stream carried ${this.batchBytes} bytes up to offset ${expectedNext}`,
            at,
          );
        }
        pos += END_MARKER_BYTES;
        this.state = 'done';
        out.end = end;
        if (pos < buf.length) throw new CorruptRecordError(`${buf.length - pos} bytes after the end marker at stream byte ${this.consumed + pos}`, this.consumed + pos);
        break;
      }
      break;
    }
    this.consumed += pos;
    // keep only the unconsumed tail, copied so the socket's chunk can be freed
    this.pending = pos < buf.length ? Buffer.from(buf.subarray(pos)) : Buffer.alloc(0);
    return;
  }

  /** The stream ended (socket closed): throws unless the end marker was seen. */
  finish(): void {
    if (this.state === 'done') return;
    if (this.failure) throw this.failure;
    const where = this.state === 'header' ? 'inside the header' : this.partial || this.pending.length > 0 ? `inside a batch or the end marker (${(this.partial?.filled ?? 0) + this.pending.length} bytes of it)` : 'between batches';
    throw new CorruptRecordError(`shipping stream truncated: it ended after ${this.streamBytes} bytes, ${where}, before the end marker`, this.streamBytes);
  }

  private acceptBatch(buf: Buffer, pos: number, sizeBytes: number, at: number): ValidatedBatches {
    let validated: ValidatedBatches;
    try {
      // message.max.bytes is the receiving log's to apply; here only the batch itself is checked
      validated = validateBatches(buf.subarray(pos, pos + sizeBytes), Number.MAX_SAFE_INTEGER);
    } catch (err) {
      throw new CorruptRecordError(`corrupt batch at stream byte ${at}: ${(err as Error).message}`, at);
    }
    const cursor = new BatchCursor(buf, pos);
    const baseOffset = cursor.baseOffset();
    const lastOffset = cursor.lastOffset();
    if (baseOffset < this.nextOffsetMin) {
      throw new CorruptRecordError(`batch at stream byte ${at} has base offset ${baseOffset}, not after the previous batch's last offset ${this.nextOffsetMin - 1}`, at);
    }
    if (this.batchCount === 0 && lastOffset < this.header!.startOffset) {
      throw new CorruptRecordError(`first batch (offsets ${baseOffset}..${lastOffset}) ends before the stream's start offset ${this.header!.startOffset}`, at);
    }
    this.nextOffsetMin = lastOffset + 1;
    this.lastOffset = lastOffset;
    this.batchBytes += sizeBytes;
    this.batchCount++;
    return validated;
  }
}
