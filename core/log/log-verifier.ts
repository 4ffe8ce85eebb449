/**
 * Offline checks of a data dir or a single segment (`strata verify`, `strata dump`): every batch
 * valid (size, magic, CRC, offsets increasing across segments), every offset index entry at a batch
 * start inside its batch's offsets, time index timestamps increasing. Read-only.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { OffsetIndex } from '../index/offset-index.js';
import { TimeIndex } from '../index/time-index.js';
import { parsePartitionDirName } from '../topic.js';
import { scanValidBatches } from './file-records.js';
import { parseSegmentLogName, segmentPaths } from './file-names.js';
import { openReadOnlySegmentFile } from './read-only-file.js';

export interface VerifyReport {
  partitions: number;
  segments: number;
  batches: number;
  records: number;
  /** The first problem found, naming file and position; undefined when all is valid. */
  problem?: string;
}

export async function verifyDataDir(dataDir: string): Promise<VerifyReport> {
  const report: VerifyReport = { partitions: 0, segments: 0, batches: 0, records: 0 };
  const dirs = fs.readdirSync(dataDir, { withFileTypes: true }).filter((d) => d.isDirectory() && parsePartitionDirName(d.name));
  for (const d of dirs.sort((a, b) => a.name.localeCompare(b.name))) {
    report.partitions++;
    const problem = await verifyPartitionDir(join(dataDir, d.name), report);
    if (problem) return { ...report, problem };
  }
  return report;
}

async function verifyPartitionDir(dir: string, report: VerifyReport): Promise<string | undefined> {
  const bases = fs.readdirSync(dir).map(parseSegmentLogName).filter((b): b is number => b !== undefined).sort((a, b) => a - b);
  let nextOffsetMin = bases[0] ?? 0;
  for (const base of bases) {
    report.segments++;
    const paths = segmentPaths(dir, base);
    const file = openReadOnlySegmentFile(paths.log);
    try {
      const batchStarts = new Map<number, { base: number; last: number }>();
      let lastOffset = -1;
      const scan = await scanValidBatches(file, 0, file.sizeBytes, Number.MAX_SAFE_INTEGER, Math.max(nextOffsetMin, base), (b) => {
        report.batches++;
        report.records += b.recordsCount;
        batchStarts.set(b.position, { base: b.baseOffset, last: b.lastOffset });
        lastOffset = b.lastOffset;
      });
      if (scan.stopReason) return `${paths.log}: ${scan.stopReason}`;
      if (lastOffset >= 0) nextOffsetMin = lastOffset + 1;
      const indexProblem = verifyIndexes(paths, base, batchStarts);
      if (indexProblem) return indexProblem;
    } finally {
      await file.close();
    }
  }
  return undefined;
}

function verifyIndexes(paths: { index: string; timeIndex: string }, base: number, batchStarts: Map<number, { base: number; last: number }>): string | undefined {
  if (fs.existsSync(paths.index)) {
    const bytes = fs.readFileSync(paths.index);
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
  if (fs.existsSync(paths.timeIndex)) {
    const bytes = fs.readFileSync(paths.timeIndex);
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

