/**
 * Walking the batches of a segment file (Kafka's FileRecords / FileLogInputStream): headers only,
 * to translate offsets and timestamps to positions, or whole batches validated, for recovery and
 * verification. Reads go through the engine in windows, so a scan costs a few reads, not one per
 * batch.
 */
import { NO_FILE_CACHE, readThrough, type FileCache } from '../cache.js';
import type { SegmentFile } from '../engine.js';
import { CorruptRecordError } from '../errors.js';
import { BatchCursor } from '../format/batch-cursor.js';
import { BATCH_HEADER_BYTES } from '../format/record-batch.js';
import { expectedOffsetText, follows } from './offset-order.js';

export interface BatchLocation {
  position: number;
  sizeBytes: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  recordsCount: number;
}

const SCAN_WINDOW_BYTES = 64 * 1024;
/**
 * After a batch at least this large, the next window is one header: a window would hold one more
 * header at most, so it is a copy for nothing (Kafka's FileLogInputStream reads each batch's header
 * alone). Smaller batches keep whole windows, since each read without the addon's page-cache read
 * is a thread pool round trip. With 1 MB batches, four 64 KiB windows per Fetch copied a quarter of
 * what the Fetch sent into user space, and their garbage kept V8's major GC busy (perf: ~15% of the
 * server's CPU).
 */
export const SCAN_LARGE_BATCH_BYTES = SCAN_WINDOW_BYTES / 2;
/** The first read of a scan that expects large batches: one header (see scanBatchHeaders). */
export const SCAN_HEADER_ONLY_BYTES = BATCH_HEADER_BYTES;
const VALIDATE_WINDOW_BYTES = 1024 * 1024;

function locate(cursor: BatchCursor, sizeBytes: number): BatchLocation {
  return {
    position: cursor.filePosition,
    sizeBytes,
    baseOffset: cursor.baseOffset(),
    lastOffset: cursor.lastOffset(),
    maxTimestamp: cursor.maxTimestamp(),
    recordsCount: cursor.recordsCount(),
  };
}

/**
 * Batch headers in [from, to), a range of acknowledged bytes (validated when appended or on
 * recovery), so every header there must be whole, of magic 2, and fit in the range; one that is
 * not means the file changed under the log (a flipped length, a damaged index entry pointing
 * mid-batch) and is a CorruptRecordError naming the file and the position, never a silent stop
 * that would make a read return too little or spin.
 *
 * `firstWindowBytes` is the first read's size: a caller that expects large batches (the last scan
 * of the segment started at one) asks for one header, SCAN_HEADER_ONLY_BYTES. With 1 MB batches the
 * two 64 KiB first windows of a Fetch's two scans were the only garbage a warm Fetch made, and
 * enough of it to run V8's major GC about 14 times a second (--trace-gc, 1 GB kcat fetch).
 *
 * Windows come through the file's cache (core/cache.ts): a held range that covers at least one
 * header from `position` is walked as it is, and what is read from the file is offered to it.
 * Recovery and verification (scanValidBatches) read the file itself: memory never vouches for it.
 */
export async function* scanBatchHeaders(file: SegmentFile, from: number, to: number, cache: FileCache = NO_FILE_CACHE, firstWindowBytes = SCAN_WINDOW_BYTES): AsyncGenerator<BatchLocation> {
  let position = from;
  let windowBytes = firstWindowBytes;
  while (position < to) {
    const wanted = Math.min(windowBytes, to - position);
    const window = await readThrough(cache, file, position, Math.min(BATCH_HEADER_BYTES, wanted), wanted);
    const cursor = new BatchCursor(window, 0, window.length, position);
    let next = position; // where the batch after the last one walked here starts
    while (cursor.remaining > 0) {
      const at = cursor.filePosition;
      if (!cursor.hasHeader()) {
        if (at + cursor.remaining < to) break; // the next window starts at this header
        throw corruptAt(file, at, `${to - at} bytes before the end of the acknowledged data, too few for a batch header`);
      }
      // checked against the acknowledged end, not the window's: a batch may run on past the window
      const framing = cursor.framingProblem(to - position);
      if (framing) throw new CorruptRecordError(`${file.path}: ${framing.message}`, at);
      const sizeBytes = cursor.sizeBytes();
      let batch: BatchLocation;
      try {
        batch = locate(cursor, sizeBytes);
      } catch (err) {
        // a base offset or timestamp past 2^53 (a flipped high bit outside the CRC)
        if (err instanceof CorruptRecordError) throw corruptAt(file, at, err.message);
        throw err;
      }
      yield batch;
      next = at + sizeBytes;
      windowBytes = sizeBytes >= SCAN_LARGE_BATCH_BYTES ? BATCH_HEADER_BYTES : SCAN_WINDOW_BYTES;
      if (sizeBytes > cursor.remaining) break; // the rest of it lies past this window
      cursor.advance();
    }
    if (next === position && window.length < BATCH_HEADER_BYTES) throw corruptAt(file, position, 'the file ends before the acknowledged data does');
    position = next;
  }
}

function corruptAt(file: SegmentFile, position: number, why: string): CorruptRecordError {
  return new CorruptRecordError(`${file.path}: position ${position}: ${why}`, position);
}

export interface ValidatedScan {
  /** Bytes from `from` that hold valid batches. */
  validBytes: number;
  /** Why the scan stopped before `to`, when it did. */
  stopReason?: string;
  /** True when it stopped at zeroed (preallocated or never written) space rather than garbage. */
  stoppedAtZeros?: boolean;
}

/**
 * Validates every batch in [from, to) (size, magic, CRC, offsets increasing, size within
 * `batchBytesMax`), calling `visit` for each valid one in order, and stops at the first invalid or
 * partial batch.
 */
export async function scanValidBatches(
  file: SegmentFile,
  from: number,
  to: number,
  batchBytesMax: number,
  expectedOffsetMin: number,
  visit: (batch: BatchLocation, bytes: Buffer) => void,
  /**
   * cleanup.policy=delete: each batch starts exactly where the one before it ended (the first at
   * `expectedOffsetMin`), so a base offset flipped upwards outside the CRC is damage, not a gap.
   */
  consecutive: boolean | 'after-first' = false,
): Promise<ValidatedScan> {
  let position = from;
  // 'after-first': a scan from an index entry, whose first batch may start below the entry's offset
  let checkConsecutive = consecutive === true;
  let nextOffsetMin = expectedOffsetMin;
  const stopAt = (at: number, stopReason: string, stoppedAtZeros = false): ValidatedScan => ({ validBytes: at - from, stopReason, stoppedAtZeros });
  windows: while (position < to) {
    const window = await file.read(position, Math.min(VALIDATE_WINDOW_BYTES, to - position));
    const cursor = new BatchCursor(window, 0, window.length, position);
    while (cursor.remaining > 0) {
      const here = cursor.filePosition;
      if (!cursor.hasLength()) {
        if (here + cursor.remaining < to) break; // the next window starts here
        return stopAt(here, `only ${cursor.remaining} bytes remain at position ${here}, a partial batch (torn write)`);
      }
      if (cursor.isZeroed()) return stopAt(here, `zeroed space from position ${here} (preallocated or never written)`, true);
      const claimed = cursor.sizeBytes();
      if (claimed > batchBytesMax) {
        return stopAt(here, `batch at position ${here} claims ${claimed} bytes, more than the ${batchBytesMax} allowed`);
      }
      let batch = cursor;
      if (claimed > cursor.remaining) {
        if (here + cursor.remaining < to && cursor.position > 0) break; // the next window starts at this batch
        // a batch larger than a window, or one running past the end: read what exists of it and
        // let validation name the problem (partial, bad magic, ...)
        batch = new BatchCursor(await file.read(here, Math.min(claimed, to - here)), 0, undefined, here);
      }
      const stop = checkOne(batch, nextOffsetMin, visit, checkConsecutive);
      checkConsecutive = consecutive !== false;
      if (stop) return stopAt(here, stop);
      nextOffsetMin = batch.lastOffset() + 1;
      if (batch !== cursor) {
        position = here + claimed;
        continue windows;
      }
      cursor.advance();
    }
    position += cursor.position;
  }
  return { validBytes: position - from };
}

function checkOne(cursor: BatchCursor, nextOffsetMin: number, visit: (batch: BatchLocation, bytes: Buffer) => void, consecutive: boolean): string | undefined {
  const position = cursor.filePosition;
  let sizeBytes: number;
  try {
    sizeBytes = cursor.validate();
  } catch (err) {
    if (err instanceof CorruptRecordError) return err.message;
    throw err;
  }
  let batch: BatchLocation;
  try {
    batch = locate(cursor, sizeBytes);
  } catch (err) {
    // a base offset or timestamp past 2^53 (outside the CRC): a corrupt batch like any other
    if (err instanceof CorruptRecordError) return `batch at position ${position}: ${err.message}`;
    throw err;
  }
  if (!follows(batch.baseOffset, nextOffsetMin, consecutive)) {
    const rule = consecutive ? 'offsets are consecutive under cleanup.policy=delete' : 'offsets must increase';
    return `batch at position ${position} has base offset ${batch.baseOffset}, ${expectedOffsetText(nextOffsetMin, consecutive)} (${rule})`;
  }
  visit(batch, cursor.buf.subarray(cursor.position, cursor.position + sizeBytes));
  return undefined;
}
