/**
 * Reads of one log (Kafka's LocalLog.read): file slices of whole batches from a snapshot of the
 * segments, one offset-index lookup per segment touched, and the decoded views built on them.
 */
import { decompressedBytesMaxFor, type CodecRegistry } from '../codec.js';
import type { LogConfig } from '../config/log-config.js';
import { CorruptRecordError, StrataError } from '../errors.js';
import { lastOffsetOf } from '../format/record-batch.js';
import { offsetsConsecutive } from './offset-order.js';
import { decodeBatch, type DecodedBatch } from '../format/records.js';
import type { FileSlice } from '../transfer.js';
import type { LogSegment } from './log-segment.js';
import type { LogSegments, SegmentsSnapshot } from './segments.js';

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

export class LogReader {
  constructor(
    private readonly segments: LogSegments,
    private readonly codecs: CodecRegistry,
    private readonly config: LogConfig,
  ) {}

  /** See Log.read. `snapshot` and `endOffset` were taken together, before any await. */
  async read(snapshot: SegmentsSnapshot, startOffsetOfLog: number, endOffset: number, startOffset: number, maxBytes: number, options: ReadOptions): Promise<FetchDataInfo> {
    if (startOffset < startOffsetOfLog || startOffset > endOffset) {
      throw new StrataError('OFFSET_OUT_OF_RANGE', `offset ${startOffset} is outside the log's range [${startOffsetOfLog}, ${endOffset}]`);
    }
    const minOneBatch = options.minOneBatch ?? true;
    const result: FetchDataInfo = { slices: [], bytes: 0, firstBatchOffset: undefined, nextOffset: startOffset, logEndOffset: endOffset, logStartOffset: startOffsetOfLog };
    let remaining = maxBytes;
    let offset = startOffset;
    const { list } = snapshot;
    for (let i = snapshot.floorIndex(offset); i < list.length && offset < endOffset && remaining > 0; i++) {
      const segment = list[i]!;
      const range = await segment.locateRead(offset, remaining, snapshot.committedBytes(i), minOneBatch && result.slices.length === 0);
      // nothing at or after `offset` here: the next segment has it (or it is past the end)
      if (!range) {
        offset = i + 1 < list.length ? Math.max(offset, list[i + 1]!.baseOffset) : endOffset;
        continue;
      }
      const length = range.end - range.first.position;
      if (length === 0) break; // not even one batch fits
      result.slices.push(segment.slice(range.first.position, length));
      result.firstBatchOffset ??= range.first.baseOffset;
      result.bytes += length;
      remaining -= length;
      if (range.nextOffset !== undefined) {
        offset = range.nextOffset;
        break; // the byte limit fell inside this segment
      }
      // the slice ran to the segment's end: the next segment continues the log
      offset = i + 1 < list.length ? list[i + 1]!.baseOffset : endOffset;
    }
    result.nextOffset = Math.min(Math.max(offset, startOffset), endOffset);
    // below the log end a read always finds a batch (or a fetch would spin on the same offset
    // forever): nothing found means the files no longer hold what the log acknowledged
    if (result.slices.length === 0 && startOffset < endOffset && maxBytes > 0 && (options.minOneBatch ?? true)) {
      const segment = list[snapshot.floorIndex(startOffset)]!;
      throw new CorruptRecordError(`${segment.file.path}: no batch holds offset ${startOffset} or any offset after it, though the log ends at ${endOffset}`, 0);
    }
    return result;
  }

  /** Reads the bytes of a slice returned by read() (through the cache). */
  async readSlice(slice: FileSlice): Promise<Buffer> {
    const segment = this.segments.byPath(slice.path);
    if (!segment) throw new StrataError('OFFSET_OUT_OF_RANGE', `segment ${slice.path} is no longer part of the log`);
    return segment.readBytes(slice.position, slice.length);
  }

  /**
   * The batches of a read of `startOffset`, decoded and checked: the first holds `startOffset`
   * (or starts its segment, past a gap between segments), and inside a segment each batch follows
   * the one before it (cleanup.policy=delete). A base offset flipped outside the CRC is an error
   * naming the file, never records from elsewhere. (A zero-copy Fetch sends what the offset lookup
   * found without reading every header it sends; `strata verify` checks every one offline.)
   */
  async decode(info: FetchDataInfo, startOffset: number): Promise<DecodedBatch[]> {
    const consecutive = offsetsConsecutive(this.config);
    const out: DecodedBatch[] = [];
    for (const slice of info.slices) {
      const bytes = await this.readSlice(slice);
      let expected: number | undefined;
      for (let position = 0; position < bytes.length; ) {
        const batch = await this.decodeOne(bytes, position, slice);
        const base = batch.header.baseOffset;
        const last = lastOffsetOf(batch.header);
        const wrong =
          out.length === 0 ? last < startOffset || (consecutive && base > startOffset && slice.position + position > 0) : consecutive && expected !== undefined && base !== expected;
        if (wrong) {
          const why = out.length === 0 ? `offsets ${base}..${last} do not hold offset ${startOffset} the read asked for` : `base offset ${base}, expected ${expected}`;
          throw new CorruptRecordError(`${slice.path}: batch at position ${slice.position + position}: ${why}`, slice.position + position);
        }
        out.push(batch);
        expected = last + 1;
        position += batch.sizeBytes;
      }
    }
    return out;
  }

  private async decodeOne(bytes: Buffer, position: number, slice: FileSlice): Promise<DecodedBatch> {
    try {
      return await decodeBatch(bytes, position, { codecs: this.codecs, decompressedBytesMax: decompressedBytesMaxFor(this.config.messageMaxBytes) });
    } catch (err) {
      // name the file and the position in it, not the position in this read's buffer
      if (err instanceof CorruptRecordError) throw inFile(err, slice, position);
      throw err;
    }
  }

  /** See Log.offsetForTimestamp. */
  async offsetForTimestamp(snapshot: SegmentsSnapshot, startOffset: number, endOffset: number, timestamp: number): Promise<{ offset: number; timestamp: number } | undefined> {
    if (timestamp === -2) return { offset: startOffset, timestamp: -1 };
    if (timestamp === -1) return { offset: endOffset, timestamp: -1 };
    for (const segment of snapshot.list) {
      if (segment.largestTimestamp() < timestamp) continue;
      const batch = await segment.findBatchByTimestamp(timestamp, startOffset);
      if (!batch || batch.baseOffset >= endOffset) continue;
      const decoded = await decodeBatch(await segment.readBytes(batch.position, batch.sizeBytes), 0, { codecs: this.codecs, trusted: true });
      const record = decoded.records.find((r) => r.timestamp >= timestamp && r.offset >= startOffset);
      if (record) return { offset: record.offset, timestamp: record.timestamp };
    }
    return undefined;
  }

  /**
   * See Log.maxTimestampAndOffset: the segment with the newest timestamp (as Kafka's UnifiedLog,
   * from each segment's maxTimestampSoFar), its batch holding that timestamp, and in it the first
   * record with it.
   */
  async maxTimestampAndOffset(snapshot: SegmentsSnapshot, startOffset: number, endOffset: number): Promise<{ offset: number; timestamp: number } | undefined> {
    let newest: LogSegment | undefined;
    for (const segment of snapshot.list) if (!newest || segment.maxTimestampSoFar > newest.maxTimestampSoFar) newest = segment;
    if (!newest || newest.maxTimestampSoFar < 0 || startOffset >= endOffset) return undefined;
    const batch = await newest.findBatchByTimestamp(newest.maxTimestampSoFar, startOffset);
    if (!batch || batch.baseOffset >= endOffset) return undefined;
    const decoded = await decodeBatch(await newest.readBytes(batch.position, batch.sizeBytes), 0, { codecs: this.codecs, trusted: true });
    const record = decoded.records.find((r) => r.timestamp === batch.maxTimestamp && r.offset >= startOffset);
    return record && { offset: record.offset, timestamp: record.timestamp };
  }
}

function inFile(err: CorruptRecordError, slice: FileSlice, position: number): CorruptRecordError {
  const filePosition = slice.position + position;
  const message = err.message.replace(`position ${position}`, `position ${filePosition}`);
  return new CorruptRecordError(`${slice.path}: ${message}`, filePosition);
}
