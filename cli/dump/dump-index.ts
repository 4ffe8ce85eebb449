/**
 * The `.index` / `.timeindex` part of `strata dump`, as Kafka's DumpLogSegments (4.1) does it:
 * entries printed as `offset: O position: P` / `timestamp: T offset: O`, each checked against the
 * segment's `.log` (an offset entry must point at a batch whose last offset is the entry's offset;
 * a time entry's offset must be the last offset of a batch whose largest record timestamp is the
 * entry's timestamp, and timestamps must increase), `--index-sanity-check` running the check
 * Kafka runs on broker start (OffsetIndex / TimeIndex.sanityCheck), `--verify-index-only`
 * printing only the problems. Kafka prints problems on stderr and exits 0; strata prints the same
 * lines and then exits non-zero.
 */
import { resolve } from 'node:path';
import type { CodecRegistry } from '../../core/codec.js';
import { BatchCursor } from '../../core/format/batch-cursor.js';
import { timestampTypeOf } from '../../core/format/record-batch.js';
import { decodeBatch } from '../../core/format/records.js';
import { readInt64 } from '../../core/format/int64.js';
import type { DumpOutput } from './dump-log.js';

const OFFSET_ENTRY_BYTES = 8;
const TIME_ENTRY_BYTES = 12;
const DECOMPRESSED_BYTES_MAX = 64 * 1024 * 1024;

export interface DumpIndexOptions {
  indexSanityOnly: boolean;
  verifyOnly: boolean;
  codecs: CodecRegistry;
}

interface OffsetEntry { offset: number; position: number }
interface TimeEntry { timestamp: number; offset: number }

function offsetEntries(bytes: Buffer, base: number): OffsetEntry[] {
  const out: OffsetEntry[] = [];
  for (let p = 0; p + OFFSET_ENTRY_BYTES <= bytes.length; p += OFFSET_ENTRY_BYTES) {
    out.push({ offset: base + bytes.readUInt32BE(p), position: bytes.readUInt32BE(p + 4) });
  }
  return out;
}

function timeEntries(bytes: Buffer, base: number): TimeEntry[] {
  const out: TimeEntry[] = [];
  for (let p = 0; p + TIME_ENTRY_BYTES <= bytes.length; p += TIME_ENTRY_BYTES) {
    out.push({ timestamp: readInt64(bytes, p), offset: base + bytes.readUInt32BE(p + 8) });
  }
  return out;
}

/** OffsetIndex.sanityCheck: whole entries, and the last entry not below the base offset. */
function offsetIndexSanity(file: string, bytes: Buffer, entries: OffsetEntry[], base: number): string | undefined {
  const last = entries.at(-1)?.offset ?? base;
  if (entries.length > 0 && last < base) {
    return `Corrupt index found, index file (${resolve(file)}) has non-zero size but the last offset is ${last} which is less than the base offset ${base}`;
  }
  if (bytes.length % OFFSET_ENTRY_BYTES !== 0) {
    return `Index file ${resolve(file)} is corrupt, found ${bytes.length} bytes which is neither positive nor a multiple of ${OFFSET_ENTRY_BYTES}`;
  }
  return undefined;
}

/** TimeIndex.sanityCheck: whole entries, last timestamp not below the first, last offset not below the base. */
function timeIndexSanity(file: string, bytes: Buffer, entries: TimeEntry[], base: number): string | undefined {
  const last = entries.at(-1);
  if (last && last.timestamp < entries[0]!.timestamp) {
    return `Corrupt time index found, time index file (${resolve(file)}) has non-zero size but the last timestamp is ${last.timestamp} which is less than the first timestamp ${entries[0]!.timestamp}`;
  }
  if (last && last.offset < base) {
    return `Corrupt time index found, time index file (${resolve(file)}) has non-zero size but the last offset is ${last.offset} which is less than the first offset ${base}`;
  }
  if (bytes.length % TIME_ENTRY_BYTES !== 0) {
    return `Time index file ${resolve(file)} is corrupt, found ${bytes.length} bytes which is neither positive nor a multiple of ${TIME_ENTRY_BYTES}`;
  }
  return undefined;
}

/** The last offset of the batch at `position` of the log, or undefined when none starts there. */
function lastOffsetAt(log: Buffer, position: number): number | undefined {
  const cursor = new BatchCursor(log, position);
  return cursor.hasHeader() ? cursor.lastOffset() : undefined;
}

export function dumpOffsetIndex(file: string, bytes: Buffer, base: number, log: Buffer, opts: DumpIndexOptions): DumpOutput {
  const entries = offsetEntries(bytes, base);
  if (entries.length === 0) return { out: [`${file} is empty.`], err: [] };
  if (opts.indexSanityOnly) {
    const problem = offsetIndexSanity(file, bytes, entries, base);
    return problem ? { out: [], err: [], problem } : { out: [`${file} passed sanity check.`], err: [] };
  }
  const out: string[] = [];
  const mismatches: [number, number][] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (i > 0 && e.offset === base) break; // the zero tail of a preallocated index
    const last = lastOffsetAt(log, e.position);
    if (last === undefined) {
      return { out, err: [], problem: `${file}: entry ${i} (offset ${e.offset}) points at position ${e.position}, where no batch of the ${log.length}-byte log starts` };
    }
    if (last !== e.offset) mismatches.unshift([e.offset, last]); // Kafka prepends: newest first
    if (!opts.verifyOnly) out.push(`offset: ${e.offset} position: ${e.position}`);
  }
  if (mismatches.length === 0) return { out, err: [] };
  return {
    out,
    err: [`Mismatches in :${resolve(file)}`, ...mismatches.map(([i, l]) => `  Index offset: ${i}, log offset: ${l}`)],
    problem: `${file}: ${mismatches.length} index entries do not match the last offset of the batch they point at`,
  };
}

/** Kafka's OffsetIndex.lookup: the position of the largest entry at or below `offset` (0 when none). */
function lookupPosition(entries: OffsetEntry[], offset: number): number {
  let lo = 0;
  let hi = entries.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.offset <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? 0 : entries[found]!.position;
}

/** The first batch from `position` whose last offset reaches `offset`, with its largest record timestamp. */
async function batchReaching(log: Buffer, position: number, offset: number, codecs: CodecRegistry): Promise<{ lastOffset: number; maxTimestamp: number } | undefined> {
  for (const cursor = new BatchCursor(log, position); cursor.hasHeader() && cursor.framingProblem() === undefined; cursor.advance()) {
    const lastOffset = cursor.lastOffset();
    if (lastOffset >= offset) {
      if (timestampTypeOf(cursor.attributes()) === 'LogAppendTime') return { lastOffset, maxTimestamp: cursor.maxTimestamp() };
      const batch = await decodeBatch(log, cursor.position, { codecs, trusted: true, decompressedBytesMax: DECOMPRESSED_BYTES_MAX });
      return { lastOffset, maxTimestamp: batch.records.reduce((m, r) => Math.max(m, r.timestamp), -1) };
    }
  }
  return undefined;
}

export async function dumpTimeIndex(file: string, bytes: Buffer, base: number, log: Buffer, offsetIndex: Buffer, opts: DumpIndexOptions): Promise<DumpOutput> {
  const entries = timeEntries(bytes, base);
  if (opts.indexSanityOnly) {
    const problem = timeIndexSanity(file, bytes, entries, base);
    return problem ? { out: [], err: [], problem } : { out: [`${file} passed sanity check.`], err: [] };
  }
  const offsets = offsetEntries(offsetIndex, base);
  const out: string[] = [];
  const mismatch: string[] = [];
  const outOfOrder: string[] = [];
  const notFound: string[] = [];
  let prevTimestamp = -1;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (i > 0 && e.offset === base) break; // the zero tail of a preallocated index
    const batch = await batchReaching(log, lookupPosition(offsets, e.offset), e.offset, opts.codecs);
    if (!batch) notFound.push(`Indexed offset: ${e.offset}, found log offset: -1`);
    else if (batch.lastOffset !== e.offset) notFound.push(`Indexed offset: ${e.offset}, found log offset: ${batch.lastOffset}`);
    else {
      if (batch.maxTimestamp !== e.timestamp) mismatch.push(`  Index timestamp: ${e.timestamp}, log timestamp: ${batch.maxTimestamp}`);
      if (prevTimestamp >= e.timestamp) outOfOrder.push(`  Index timestamp: ${e.timestamp}, Previously indexed timestamp: ${prevTimestamp}`);
    }
    if (!opts.verifyOnly) out.push(`timestamp: ${e.timestamp} offset: ${e.offset}`);
    prevTimestamp = e.timestamp;
  }
  const err = [
    ...(mismatch.length ? [`Found timestamp mismatch in :${resolve(file)}`, ...mismatch] : []),
    ...(outOfOrder.length ? [`Found out of order timestamp in :${resolve(file)}`, ...outOfOrder] : []),
    ...(notFound.length ? ['The following indexed offsets are not found in the log.', ...notFound] : []),
  ];
  const problems = mismatch.length + outOfOrder.length + notFound.length;
  return { out, err, problem: problems ? `${file}: ${problems} time index entries disagree with the log` : undefined };
}
