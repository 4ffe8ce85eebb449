/**
 * flush.messages and flush.ms: the Log flushes (one engine fdatasync) and advances the recovery
 * point, which decides where recovery starts after a crash (the LogManager checkpoints it).
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Log, logConfigFrom, silentLogger, type SegmentFile, type StorageEngine } from '../../core/index.js';
import { pwriteEngine } from '../../engines/pwrite.js';

/** pwrite with its flushes counted: the test observes what the Log asks of the engine. */
function countingEngine(): { engine: StorageEngine; flushes: () => number } {
  let flushes = 0;
  const engine: StorageEngine = {
    name: 'counting',
    supports: pwriteEngine.supports,
    async open(path, options): Promise<SegmentFile> {
      const file = await pwriteEngine.open(path, options);
      const flush = file.flush.bind(file);
      return Object.assign(file, { flush: () => (flushes++, flush()) });
    },
  };
  return { engine, flushes: () => flushes };
}

describe('flush policy', () => {
  it('leaves flushing to the OS by default (no flush until close)', async () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'strata-flush-'));
    const { engine, flushes } = countingEngine();
    const log = await Log.open(dir, logConfigFrom({}), { engine, logger: silentLogger });
    for (let i = 0; i < 50; i++) await log.appendRecords([{ value: Buffer.from('x') }]);
    expect(flushes()).toBe(0);
    expect(log.recoveryPoint).toBe(0);
    await log.close();
    expect(flushes()).toBe(1);
  });

  it('flush.messages flushes after that many messages and moves the recovery point', async () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'strata-flush-'));
    const { engine, flushes } = countingEngine();
    const log = await Log.open(dir, logConfigFrom({ 'flush.messages': '10' }), { engine, logger: silentLogger });
    for (let i = 0; i < 9; i++) await log.appendRecords([{ value: Buffer.from('x') }]);
    expect(flushes()).toBe(0);
    await log.appendRecords([{ value: Buffer.from('x') }]);
    expect(flushes()).toBe(1);
    expect(log.recoveryPoint).toBe(10);
    await log.appendRecords(Array.from({ length: 25 }, () => ({ value: Buffer.from('y') })));
    expect(flushes()).toBe(2);
    expect(log.recoveryPoint).toBe(35);
    await log.close();
  });

  it('flush.ms flushes unflushed messages once the last flush is that old', async () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'strata-flush-'));
    const { engine, flushes } = countingEngine();
    const log = await Log.open(dir, logConfigFrom({ 'flush.ms': '50' }), { engine, logger: silentLogger });
    await log.appendRecords([{ value: Buffer.from('x') }, { value: Buffer.from('y') }]);
    const deadline = Date.now() + 5000;
    while (log.recoveryPoint === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(flushes()).toBeGreaterThanOrEqual(1);
    expect(log.recoveryPoint).toBe(2);
    const settled = flushes();
    await new Promise((r) => setTimeout(r, 200)); // nothing new appended: no further flushes
    expect(flushes()).toBe(settled);
    await log.close();
  });

  it('recovery starts at the recovery point: flushed segments are trusted, unflushed ones revalidated', async () => {
    const corruptFirstSegmentAndReopen = async (flushMessages: string | undefined) => {
      const dir = fs.mkdtempSync(join(os.tmpdir(), 'strata-flush-'));
      // an index entry per batch: a trusted segment's open checks only its tail (from the last entry)
      const props: Record<string, string> = { 'segment.bytes': '2000', 'index.interval.bytes': '1', ...(flushMessages ? { 'flush.messages': flushMessages } : {}) };
      const log = await Log.open(dir, logConfigFrom(props), { engine: pwriteEngine, logger: silentLogger });
      for (let i = 0; i < 30; i++) await log.appendRecords([{ value: Buffer.alloc(200, i) }]);
      expect(log.segmentCount).toBeGreaterThan(2);
      const first = join(dir, '00000000000000000000.log');
      const bytes = fs.readFileSync(first);
      bytes[100] ^= 0xff; // damage the first batch of the first (closed) segment
      fs.writeFileSync(first, bytes);
      // a crash: no close, so no clean-shutdown marker; the recovery point is what the LogManager
      // would have checkpointed
      const options = { hadCleanShutdown: false, recoveryPoint: log.recoveryPoint };
      const reopened = await Log.open(dir, logConfigFrom({ 'segment.bytes': '2000' }), { engine: pwriteEngine, logger: silentLogger }, options);
      const end = reopened.logEndOffset;
      await reopened.close();
      return end;
    };
    // flushed up to 30: recovery starts in the last segment and never rereads the first
    expect(await corruptFirstSegmentAndReopen('1')).toBe(30);
    // never flushed: recovery revalidates from the start and cuts at the damaged batch
    expect(await corruptFirstSegmentAndReopen(undefined)).toBe(0);
  });
});
