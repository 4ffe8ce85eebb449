/**
 * Assertions at both ends of core's boundaries that only a broken engine or a broken caller can
 * trip: an engine whose file does not grow by the bytes an append hands it, an index entry that
 * points past the bytes written to its segment. Each must stop the work with a message naming the file,
 * never acknowledge or read on.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { logConfigFrom } from '../../core/config/log-config.js';
import { buildBatch } from '../../core/format/records.js';
import { segmentPaths } from '../../core/log/file-names.js';
import { Log } from '../../core/log/log.js';
import { SegmentIndexes } from '../../core/log/segment-indexes.js';
import { silentLogger } from '../../core/tokens.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { wrapAppend } from '../support/wrap-append.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-paired-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('an append the engine writes twice is refused, not acknowledged', async () => {
  let appends = 0;
  // a broken engine: its second append lands twice, so the file grows by twice the bytes
  const engine = wrapAppend(pwriteEngine, (append) => (chunks, bytes) => {
    if (appends++ !== 1) return append(chunks, bytes);
    void append(chunks, bytes).catch(() => {});
    return append(chunks, bytes);
  });
  const log = await Log.open(path.join(dir, 't-0'), logConfigFrom({ 'retention.ms': '-1' }), { engine, logger: silentLogger });
  try {
    await expect(log.append(buildBatch([{ value: Buffer.from('v0') }]))).resolves.toMatchObject({ firstOffset: 0 });
    await expect(log.append(buildBatch([{ value: Buffer.from('v1') }]))).rejects.toThrow(/assertion failed: append of \d+ bytes at \d+ left .*00000000000000000000\.log at \d+ bytes/);
    expect(log.logEndOffset).toBe(1);
  } finally {
    await log.close().catch(() => {});
  }
});

test('an index entry pointing past the bytes written to its segment is an assertion naming the index', () => {
  const paths = segmentPaths(dir, 100);
  const entry = Buffer.alloc(8);
  entry.writeUInt32BE(5, 0); // offset 105
  entry.writeUInt32BE(4096, 4); // at position 4096
  fs.writeFileSync(paths.index, entry);
  const indexes = SegmentIndexes.open(paths, 100, logConfigFrom({}), 8192, true);
  expect(indexes.lookup(110, 8192)).toEqual({ offset: 105, position: 4096 });
  expect(() => indexes.lookup(110, 1000)).toThrow(/assertion failed: .*00000000000000000100\.index: entry \(105, 4096\) lies outside the segment \(base 100, 1000 bytes\)/);
});

test('recovery rebuilds the very index entries the appends wrote (one index-entry rule for both)', async () => {
  const logDir = path.join(dir, 't-0');
  const config = logConfigFrom({ 'retention.ms': '-1', 'index.interval.bytes': '700', 'segment.bytes': '16384' });
  const indexFiles = (): Record<string, string> =>
    Object.fromEntries(fs.readdirSync(logDir).filter((n) => /\.(index|timeindex)$/.test(n)).sort().map((n) => [n, fs.readFileSync(path.join(logDir, n)).toString('hex')]));
  const log = await Log.open(logDir, config, { engine: pwriteEngine, logger: silentLogger });
  for (let i = 0; i < 120; i++) {
    await log.append(buildBatch(Array.from({ length: 1 + (i % 3) }, (_, r) => ({ value: Buffer.alloc(40 + ((i * 53 + r) % 200), i) })), { timestamp: 1_700_000_000_000 + i * (i % 4 === 0 ? -1 : 7) }));
  }
  await log.close();
  const written = indexFiles();
  expect(Object.keys(written).length).toBeGreaterThanOrEqual(4);
  expect(Object.values(written).filter((hex) => hex.length > 0).length).toBeGreaterThanOrEqual(4);
  // no clean-shutdown marker: every segment is recovered and its indexes rebuilt from the batches
  const reopened = await Log.open(logDir, config, { engine: pwriteEngine, logger: silentLogger });
  await reopened.close();
  const rebuilt = indexFiles();
  expect(Object.keys(rebuilt)).toEqual(Object.keys(written));
  for (const [name, hex] of Object.entries(written)) {
    // a rolled segment's time index ends in the entry its roll added, which recovery (like Kafka's) does not add again
    if (name.endsWith('.timeindex')) expect([hex, hex.slice(0, -24)]).toContain(rebuilt[name]);
    else expect(rebuilt[name]).toBe(hex);
  }
});
