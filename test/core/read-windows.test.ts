/**
 * What a Fetch-sized read of large batches reads into user space before its sendfile: the header
 * scans read one header after a large batch (as Kafka's FileLogInputStream does), not a 64 KiB
 * window each. Before, a 1 MiB read of ~1 MB batches read four 64 KiB windows (a quarter of what
 * it sent), whose copies and garbage cost more server CPU than the sendfile itself (perf).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { logConfigFrom } from '../../core/config/log-config.js';
import type { SegmentFile, StorageEngine } from '../../core/engine.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { pwriteEngine } from '../../engines/pwrite.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-read-windows-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a 1 MiB read of 256 KiB batches reads one 64 KiB window per scan, then headers', async () => {
  let bytesRead = 0;
  const engine: StorageEngine = {
    ...pwriteEngine,
    async open(p, options) {
      const file = await pwriteEngine.open(p, options);
      return new Proxy(file, {
        get(target, key) {
          if (key === 'read') return (position: number, length: number) => ((bytesRead += length), target.read(position, length));
          const v = Reflect.get(target, key) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      }) as SegmentFile;
    },
  };
  const log = await Log.open(path.join(dir, 'p-0'), logConfigFrom({ 'segment.bytes': String(64 << 20) }), { engine, logger: silentLogger });
  try {
    const value = Buffer.alloc(256 * 1024 - 100, 7);
    for (let i = 0; i < 12; i++) await log.appendRecords([{ value }]);
    bytesRead = 0;
    const info = await log.read(4, 1 << 20, { minOneBatch: true });
    expect(info.bytes).toBeGreaterThan(512 * 1024);
    // the scan for the offset and the scan for the end each read one 64 KiB window, then one header per large batch
    expect(bytesRead).toBeLessThanOrEqual(2 * 64 * 1024 + 4 * 61); // was 3 windows (196,608 bytes)
    // the next read of the segment (a consumer's next Fetch) expects large batches: headers only,
    // no 64 KiB window (those windows were the garbage that ran V8's major GC during a fetch)
    bytesRead = 0;
    const next = await log.read(info.nextOffset, 1 << 20, { minOneBatch: true });
    expect(next.bytes).toBeGreaterThan(512 * 1024);
    expect(next.firstBatchOffset).toBe(info.nextOffset);
    expect(bytesRead).toBeLessThanOrEqual(8 * 61); // was 2 windows and 2 headers (131,194 bytes)
  } finally {
    await log.close();
  }
});

test('header-only scans still refuse a damaged header: a flipped batch length is an error naming the file and position', async () => {
  const log = await Log.open(path.join(dir, 'p-1'), logConfigFrom({ 'segment.bytes': String(64 << 20) }), { engine: pwriteEngine, logger: silentLogger });
  const segment = path.join(dir, 'p-1', '00000000000000000000.log');
  try {
    const value = Buffer.alloc(256 * 1024 - 100, 7);
    for (let i = 0; i < 12; i++) await log.appendRecords([{ value }]);
    const first = await log.read(0, 1 << 20, { minOneBatch: true }); // the segment now expects large batches
    expect(first.slices.length).toBe(1);
    // the 4th batch's length field (bytes 8..11 of its header) gets a high bit: it now claims to run past the data
    const batchBytes = first.bytes / (first.nextOffset - 0);
    const at = 3 * batchBytes + 8;
    const fd = fs.openSync(segment, 'r+');
    try {
      const b = Buffer.alloc(1);
      fs.readSync(fd, b, 0, 1, at);
      b[0] = b[0]! | 0x40;
      fs.writeSync(fd, b, 0, 1, at);
    } finally {
      fs.closeSync(fd);
    }
    await expect(log.read(2, 1 << 20, { minOneBatch: true })).rejects.toThrow(new RegExp(`00000000000000000000\\.log: batch length \\d+ at position ${3 * batchBytes} `));
  } finally {
    await log.close();
  }
});
