/**
 * Offline checks of a data dir or a single segment (`strata verify`, `strata dump`): every batch
 * valid (size, magic, CRC), offsets consecutive from each segment's base through the next segment
 * (no missing, renamed or zeroed segment, no flipped base offset outside the CRC; a log copied from
 * a compacted topic passes with allowOffsetGaps), the log starting where the root
 * log-start-offset checkpoint says, every offset index entry at a batch start inside its batch's
 * offsets, time index timestamps increasing, `.txnindex` entries whole and pointing at markers. Zeros after the data of the last segment are a
 * preallocated reservation (a crashed preallocated or mmap log), not damage. Read-only.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { isPartitionDirEntry } from '../dirs.js';
import { StrataError } from '../errors.js';
import { readIndexFile } from '../index/index-file.js';
import { OffsetIndex } from '../index/offset-index.js';
import { TimeIndex } from '../index/time-index.js';
import { ABORTED_TXN_BYTES, TXN_INDEX_BYTES_MAX, decodeTransactionIndex } from '../index/transaction-index.js';
import { parsePartitionDirName } from '../topic.js';
import { scanValidBatches } from './file-records.js';
import { parseSegmentLogName, segmentPaths } from './file-names.js';
import { LOG_START_OFFSET_CHECKPOINT_FILE, readOffsetCheckpoint } from './checkpoints.js';
import { openReadOnlySegmentFile } from './read-only-file.js';

/** Bound on an index file verify reads whole: Kafka maps index files, at most an int of bytes. */
const INDEX_FILE_BYTES_MAX = 2 ** 31 - 1;

export interface VerifyReport {
  partitions: number;
  segments: number;
  batches: number;
  records: number;
  /** The first problem found, naming file and position; undefined when all is valid. */
  problem?: string;
}

export interface VerifyOptions {
  /** Offsets may jump inside and between segments (a copy of a compacted topic). */
  allowOffsetGaps?: boolean;
}

export async function verifyDataDir(dataDir: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const report: VerifyReport = { partitions: 0, segments: 0, batches: 0, records: 0 };
  // symbolic links to partition directories are followed, as the LogManager follows them
  const dirs = fs.readdirSync(dataDir, { withFileTypes: true }).filter((d) => d.name !== '__cluster_metadata-0' && parsePartitionDirName(d.name) && isPartitionDirEntry(dataDir, d));
  let logStarts: Map<string, number>;
  try {
    logStarts = readOffsetCheckpoint(join(dataDir, LOG_START_OFFSET_CHECKPOINT_FILE));
  } catch (err) {
    return { ...report, problem: (err as Error).message };
  }
  for (const d of dirs.sort((a, b) => a.name.localeCompare(b.name))) {
    report.partitions++;
    const problem = await verifyPartitionDir(join(dataDir, d.name), report, { ...options, logStartOffset: logStarts.get(d.name) });
    if (problem) return { ...report, problem };
  }
  return report;
}

async function verifyPartitionDir(dir: string, report: VerifyReport, options: VerifyOptions & { logStartOffset?: number }): Promise<string | undefined> {
  const bases = fs.readdirSync(dir).map(parseSegmentLogName).filter((b): b is number => b !== undefined).sort((a, b) => a - b);
  const consecutive = !options.allowOffsetGaps;
  if (consecutive && options.logStartOffset !== undefined && bases.length > 0 && bases[0]! > options.logStartOffset) {
    return `${segmentPaths(dir, bases[0]!).log}: the log starts at ${options.logStartOffset} (log-start-offset-checkpoint) but its first segment at ${bases[0]}: a segment is missing`;
  }
  let previousEnd: number | undefined;
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i]!;
    const isLast = i === bases.length - 1;
    report.segments++;
    const paths = segmentPaths(dir, base);
    if (consecutive && previousEnd !== undefined && base !== previousEnd) {
      return `${paths.log}: starts at offset ${base} but the segment before it ends at ${previousEnd - 1}: offsets ${Math.min(base, previousEnd)}..${Math.max(base, previousEnd) - 1} ${base > previousEnd ? 'are missing (a deleted or renamed segment?)' : 'overlap'}`;
    }
    let file;
    try {
      file = openReadOnlySegmentFile(paths.log);
    } catch (err) {
      if (err instanceof StrataError) return err.message; // not a regular file: named, not read
      throw err;
    }
    try {
      const batchStarts = new Map<number, { base: number; last: number }>();
      let lastOffset: number | undefined;
      let problem: string | undefined;
      const scan = await scanValidBatches(file, 0, file.sizeBytes, Number.MAX_SAFE_INTEGER, previousEnd ?? base, (b) => {
        const expected = lastOffset === undefined ? base : lastOffset + 1;
        if (consecutive && problem === undefined && b.baseOffset !== expected) {
          problem = `${paths.log}: batch at position ${b.position} has base offset ${b.baseOffset}, expected ${expected} (${lastOffset === undefined ? "the segment's base offset" : 'after the batch before it'})`;
        }
        report.batches++;
        report.records += b.recordsCount;
        batchStarts.set(b.position, { base: b.baseOffset, last: b.lastOffset });
        lastOffset = b.lastOffset;
      });
      if (problem) return problem;
      // zeros after the data are the active segment's reservation; anywhere else they are lost data
      if (scan.stopReason && !(scan.stoppedAtZeros && isLast && restIsZero(file, scan.validBytes))) return `${paths.log}: ${scan.stopReason}`;
      if (lastOffset === undefined && !isLast) return `${paths.log}: holds no batch, but later segments follow it`;
      previousEnd = lastOffset === undefined ? base : lastOffset + 1;
      const indexProblem = verifyIndexes(paths, base, batchStarts) ?? verifyTxnIndex(paths.txnIndex, base, batchStarts);
      if (indexProblem) return indexProblem;
    } finally {
      await file.close();
    }
  }
  return undefined;
}

/** True when every byte of `file` from `from` on is zero (read in 1 MiB steps). */
function restIsZero(file: { fd: number; sizeBytes: number }, from: number): boolean {
  const buf = Buffer.alloc(1 << 20);
  for (let at = from; at < file.sizeBytes; ) {
    const n = fs.readSync(file.fd, buf, 0, Math.min(buf.length, file.sizeBytes - at), at);
    if (n <= 0) return true;
    for (let i = 0; i < n; i++) if (buf[i] !== 0) return false;
    at += n;
  }
  return true;
}

/**
 * A `.txnindex`: whole entries of a known version, each marker (lastOffset) a one-record batch of
 * this segment, after the transaction's first offset, markers in increasing order.
 */
function verifyTxnIndex(path: string, base: number, batchStarts: Map<number, { base: number; last: number }>): string | undefined {
  let entries;
  try {
    const bytes = readIndexFile(path, TXN_INDEX_BYTES_MAX);
    if (!bytes) return undefined;
    entries = decodeTransactionIndex(bytes, path);
  } catch (err) {
    if (err instanceof StrataError) return err.message;
    throw err;
  }
  const markers = new Set<number>();
  for (const b of batchStarts.values()) if (b.base === b.last) markers.add(b.base);
  let previous = -1;
  for (let i = 0; i < entries.length; i++) {
    const t = entries[i]!;
    const at = `${path}: entry ${i} (position ${i * ABORTED_TXN_BYTES}, producer ${t.producerId})`;
    if (!markers.has(t.lastOffset)) return `${at}: its marker offset ${t.lastOffset} is no one-record batch of the segment from ${base}`;
    if (t.firstOffset < 0 || t.firstOffset > t.lastOffset) return `${at}: first offset ${t.firstOffset} is not at or below its marker offset ${t.lastOffset}`;
    if (t.lastOffset <= previous) return `${at}: marker offset ${t.lastOffset} does not increase (the entry before ends at ${previous})`;
    previous = t.lastOffset;
  }
  return undefined;
}

function verifyIndexes(paths: { index: string; timeIndex: string }, base: number, batchStarts: Map<number, { base: number; last: number }>): string | undefined {
  try {
    return checkIndexes(paths, base, batchStarts);
  } catch (err) {
    // an entry that cannot even be read (an int64 past 2^53, a size that is no whole entry)
    if (err instanceof StrataError) return `${paths.index} / ${paths.timeIndex}: ${err.message}`;
    throw err;
  }
}

function checkIndexes(paths: { index: string; timeIndex: string }, base: number, batchStarts: Map<number, { base: number; last: number }>): string | undefined {
  const indexBytes = readIndexFile(paths.index, INDEX_FILE_BYTES_MAX);
  if (indexBytes) {
    const bytes = indexBytes;
    if (bytes.length % 8 !== 0) return `${paths.index}: size ${bytes.length} is not a multiple of 8`;
    const index = new OffsetIndex(paths.index, base, Math.max(8, bytes.length), bytes);
    for (let s = 0; s < index.entries; s++) {
      const e = index.entry(s);
      if (s > 0 && e.offset === base && e.position === 0) break; // preallocated tail of an active index
      const batch = batchStarts.get(e.position);
      if (!batch) return `${paths.index}: entry ${s} (offset ${e.offset}, position ${e.position}) does not point at a batch start`;
      if (e.offset < batch.base) return `${paths.index}: entry ${s} offset ${e.offset} is below the batch at position ${e.position} (base ${batch.base})`;
    }
  }
  const timeIndexBytes = readIndexFile(paths.timeIndex, INDEX_FILE_BYTES_MAX);
  if (timeIndexBytes) {
    const bytes = timeIndexBytes;
    if (bytes.length % 12 !== 0) return `${paths.timeIndex}: size ${bytes.length} is not a multiple of 12`;
    const index = new TimeIndex(paths.timeIndex, base, Math.max(12, bytes.length), bytes);
    let prev = -Infinity;
    for (let s = 0; s < index.entries; s++) {
      const e = index.entry(s);
      if (s > 0 && e.timestamp === 0 && e.offset === base) break; // preallocated tail
      if (e.timestamp <= prev) return `${paths.timeIndex}: entry ${s} timestamp ${e.timestamp} does not increase`;
      prev = e.timestamp;
    }
  }
  return undefined;
}

