/**
 * The record walk of Kafka's LogValidator: inside one uncompressed records section, exactly
 * `recordsCount` well-formed records with offset deltas 0..n-1 whose last equals lastOffsetDelta.
 * The addon's walk (native/src/records.cc) decides in one call when it is built; the JS walk here
 * is the reference it must agree with, runs without the addon, and names the record and byte of
 * every refusal. It hands the event loop back every DECODE_SLICE_BYTES, so a large batch never
 * stalls other work. Neither walk allocates per record.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DECODE_SLICE_BYTES } from '../../codecs/slices.js';
import { CorruptRecordError, assertionFailed } from '../errors.js';
import { readVarint, readVarlong, type VarintCursor } from '../format/varint.js';
import { loadNative } from '../../native/index.js';

/** The smallest record: length, attributes, timestampDelta, offsetDelta, key, value, headers (1 byte each). */
const RECORD_BYTES_MIN = 7;

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
  if (walkRecordsNow(section, recordsCount, lastOffsetDelta, useNative)) return;
  await walkSlices(section, recordsCount);
  if (useNative && loadNative()?.walkRecords) assertionFailed(`the native record walk refused a ${section.length}-byte section of ${recordsCount} records that the JS walk accepts`);
}

/**
 * The walk within the call, when it is short: true once the section is walked (the addon's walk,
 * or the JS walk of a section of at most DECODE_SLICE_BYTES), false when it needs walkRecords's
 * sliced walk. Throws CorruptRecordError as walkRecords does.
 */
export function walkRecordsNow(section: Buffer, recordsCount: number, lastOffsetDelta: number, useNative = true): boolean {
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
  // does. On a refusal the JS walk runs to name the record and the byte, and must refuse too
  if (native?.(section, recordsCount)) return true;
  if (section.length > DECODE_SLICE_BYTES) return false;
  const walk: SliceWalk = { c: { value: 0, offset: 0 }, at: 0, i: 0 };
  walkSlice(section, recordsCount, walk, section.length);
  if (walk.at !== section.length) throw new CorruptRecordError(`${section.length - walk.at} bytes follow the ${recordsCount} declared records`);
  if (native) assertionFailed(`the native record walk refused a ${section.length}-byte section of ${recordsCount} records that the JS walk accepts`);
  return true;
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
