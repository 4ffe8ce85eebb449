/**
 * The read cache under the real Log on the pwrite engine: a re-read served from user-lru makes no
 * read of the segment file (header scans and readBytes alike), and what it serves is never stale:
 * not after truncateTo and new appends, not after the file changed while the log was closed (a
 * recovery or a reopen gets a fresh FileCache), and retention gives back what deleted segments held.
 * File reads are counted by an engine that delegates to pwrite (a plug-in, as a third-party one is).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { logConfigFrom, type LogConfig } from '../../core/config/log-config.js';
import type { SegmentFile, StorageEngine } from '../../core/engine.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { UserLruCache } from '../../engines/cache/user-lru.js';
import { pwriteEngine } from '../../engines/pwrite.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-read-cache-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** pwrite, counting the reads its files make. */
function countingEngine(): { engine: StorageEngine; reads: () => number } {
  let reads = 0;
  const engine: StorageEngine = {
    name: 'counting-pwrite',
    supports: pwriteEngine.supports,
    async open(p, options) {
      const file = await pwriteEngine.open(p, options);
      const counted: SegmentFile = {
        get path() { return file.path; },
        get fd() { return file.fd; },
        get sizeBytes() { return file.sizeBytes; },
        append: (chunks, bytes) => file.append(chunks, bytes),
        read: (position, length) => (reads++, file.read(position, length)),
        flush: () => file.flush(),
        truncate: (bytes) => file.truncate(bytes),
        trim: () => file.trim(),
        close: () => file.close(),
        stats: () => file.stats(),
      };
      return counted;
    },
  };
  return { engine, reads: () => reads };
}

const records = (n: number, from: number, tag = 'v') => Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${from + i}`), value: Buffer.from(`${tag}${from + i}-${'x'.repeat(300)}`) }));
const values = async (log: Log, from: number, maxBytes: number) => (await log.readBatches(from, maxBytes)).flatMap((b) => b.records.map((r) => r.value!.toString().split('-')[0]));

async function readAll(log: Log): Promise<string[]> {
  const out: string[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const batches = await log.readBatches(offset, 8 * 1024);
    for (const b of batches) out.push(...b.records.filter((r) => r.offset >= offset).map((r) => r.value!.toString().split('-')[0]!));
    const last = batches.at(-1)!;
    offset = last.header.baseOffset + last.header.lastOffsetDelta + 1;
  }
  return out;
}

const config = (extra: Record<string, string> = {}): LogConfig => logConfigFrom({ 'segment.bytes': String(64 * 1024), 'index.interval.bytes': '1024', ...extra });

describe('user-lru on the read path', () => {
  test('a re-read is served from memory: no read of the file by the header scans or readBytes', async () => {
    const { engine, reads } = countingEngine();
    const cache = new UserLruCache({ bytesMax: 4 << 20 });
    const log = await Log.open(path.join(dir, 'hot'), config(), { engine, cache, logger: silentLogger });
    for (let i = 0; i < 100; i++) await log.appendRecords(records(5, i * 5));
    expect(log.segmentCount).toBeGreaterThan(2);
    const first = await readAll(log);
    expect(first).toEqual(Array.from({ length: 500 }, (_, i) => `v${i}`));
    const readsAfterFirst = reads();
    const missesAfterFirst = cache.stats().misses;
    expect(readsAfterFirst).toBeGreaterThan(0);
    // Log.read alone (a Fetch's lookups: offset index, then header scans)
    const info = await log.read(250, 8 * 1024);
    expect(info.slices.length).toBeGreaterThan(0);
    expect(await readAll(log)).toEqual(first);
    expect(reads()).toBe(readsAfterFirst);
    expect(cache.stats().misses).toBe(missesAfterFirst);
    expect(cache.stats().hits).toBeGreaterThan(0);
    await log.close();
  });

  test('with no cache the same re-read goes to the file (what the counter shows above is the cache)', async () => {
    const { engine, reads } = countingEngine();
    const log = await Log.open(path.join(dir, 'cold'), config(), { engine, logger: silentLogger });
    for (let i = 0; i < 20; i++) await log.appendRecords(records(5, i * 5));
    await readAll(log);
    const before = reads();
    await readAll(log);
    expect(reads()).toBeGreaterThan(before);
    await log.close();
  });

  test('after truncateTo and new appends at the same positions, reads return the new bytes', async () => {
    const cache = new UserLruCache({ bytesMax: 4 << 20 });
    const log = await Log.open(path.join(dir, 'truncate'), config(), { engine: pwriteEngine, cache, logger: silentLogger });
    for (let i = 0; i < 10; i++) await log.appendRecords(records(5, i * 5));
    expect(await readAll(log)).toHaveLength(50); // held now
    expect(await log.truncateTo(25)).toBe(25);
    for (let i = 5; i < 10; i++) await log.appendRecords(records(5, i * 5, 'new'));
    const after = await readAll(log);
    expect(after.slice(0, 25)).toEqual(Array.from({ length: 25 }, (_, i) => `v${i}`));
    expect(after.slice(25)).toEqual(Array.from({ length: 25 }, (_, i) => `new${25 + i}`));
    expect(await values(log, 30, 1)).toEqual(['new30', 'new31', 'new32', 'new33', 'new34']);
    await log.close();
  });

  test('a log reopened on files that changed while it was closed reads the files, not what the cache held', async () => {
    const cache = new UserLruCache({ bytesMax: 4 << 20 });
    const a = path.join(dir, 'reopen-a');
    const b = path.join(dir, 'reopen-b');
    // two logs of the same layout and sizes, different values
    for (const [d, tag] of [[a, 'v'], [b, 'w']] as const) {
      const log = await Log.open(d, config(), { engine: pwriteEngine, logger: silentLogger });
      for (let i = 0; i < 10; i++) await log.appendRecords(records(5, i * 5, tag));
      await log.close();
    }
    const log = await Log.open(a, config(), { engine: pwriteEngine, cache, logger: silentLogger });
    expect((await readAll(log))[0]).toBe('v0');
    await log.close();
    const name = '00000000000000000000.log';
    fs.copyFileSync(path.join(b, name), path.join(a, name));
    const reopened = await Log.open(a, config(), { engine: pwriteEngine, cache, logger: silentLogger });
    expect(await readAll(reopened)).toEqual(Array.from({ length: 50 }, (_, i) => `w${i}`));
    await reopened.close();
  });

  test('retention gives back what deleted segments held; reads of the rest stay right', async () => {
    const cache = new UserLruCache({ bytesMax: 4 << 20 });
    const log = await Log.open(path.join(dir, 'retention'), config({ 'retention.bytes': String(128 * 1024), 'file.delete.delay.ms': '0' }), { engine: pwriteEngine, cache, logger: silentLogger });
    for (let i = 0; i < 200; i++) await log.appendRecords(records(5, i * 5));
    await readAll(log);
    const held = cache.stats().bytes;
    expect(held).toBeGreaterThan(log.sizeBytes / 2);
    const deleted = await log.deleteOldSegments();
    expect(deleted).toBeGreaterThan(0);
    expect(cache.stats().bytes).toBeLessThan(held);
    expect(cache.stats().bytes).toBeLessThanOrEqual(log.sizeBytes);
    const rest = await readAll(log);
    expect(rest[0]).toBe(`v${log.logStartOffset}`);
    expect(rest.at(-1)).toBe('v999');
    await log.close();
  });
});
