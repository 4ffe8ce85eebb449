/**
 * Many partitions created and closed together: the data dir's sync is shared by the logs created
 * at the same time (DirSyncGroup, group commit for directory entries) and never answers a caller
 * with a sync that started before it asked; LogManager.close closes many logs at once and still
 * writes the clean-shutdown marker and every log's recovery point. Real files, real fsyncs.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogManager, TOKENS, silentLogger } from '../../core/index.js';
import { LOG_CLOSE_CONCURRENCY } from '../../core/log/log-manager.js';
import { PARTITION_CREATE_CONCURRENCY, TopicManager } from '../../broker/topic-manager.js';
import { runBounded } from '../../core/log/bounded.js';
import { DirSyncGroup } from '../../core/log/dir-sync.js';
import { composeByName } from '../../engines/compose.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(join(os.tmpdir(), 'strata-many-'));
  dirs.push(d);
  return d;
}

describe('DirSyncGroup', () => {
  it('answers callers that asked together with one sync, and a caller during a sync with a later one', async () => {
    const group = new DirSyncGroup(tempDir());
    const first = group.sync(); // starts at once
    const during = Array.from({ length: 50 }, () => group.sync()); // asked while the first runs: all share the next
    await Promise.all([first, ...during]);
    expect(group.syncs).toBe(2);
    await group.sync();
    expect(group.syncs).toBe(3);
  });

  it('rejects with the fsync failure (a directory that is gone), and syncs again afterwards', async () => {
    const dir = tempDir();
    const group = new DirSyncGroup(join(dir, 'missing'));
    await expect(group.sync()).rejects.toMatchObject({ code: 'ENOENT' });
    fs.mkdirSync(join(dir, 'missing'));
    await group.sync();
  });
});

describe('runBounded', () => {
  it('never runs more than the limit at once, and stops starting work after a failure when asked', async () => {
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const failures = await runBounded(Array.from({ length: 40 }, (_, i) => i), 4, async (i) => {
      started.push(i);
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 2));
      running--;
      if (i === 9) throw new Error('nine');
    }, { stopOnError: true });
    expect(peak).toBe(4);
    expect(failures.map((f) => [f.item, (f.error as Error).message])).toEqual([[9, 'nine']]);
    expect(started.length).toBeLessThan(40);
    const all = await runBounded([1, 2, 3], 2, async (i) => {
      if (i !== 2) throw new Error(`bad ${i}`);
    }, { stopOnError: false });
    expect(all.map((f) => f.item).sort()).toEqual([1, 3]);
  });
});

describe('LogManager with many partitions', () => {
  it('creates 200 logs concurrently with far fewer data-dir syncs than logs, closes them concurrently, and reopens them whole', async () => {
    const dataDir = tempDir();
    const manager = (await composeByName({ dataDir, engine: 'pwrite', logger: silentLogger })).get<LogManager>(TOKENS.LogManager);
    const partitions = Array.from({ length: 200 }, (_, i) => i);
    await runBounded(partitions, 32, (p) => manager.getOrCreateLog('many', p), { stopOnError: true });
    expect(manager.partitionsOnDisk().length).toBe(200);
    // one sync per log would be 200; logs created together share one
    expect(manager.dataDirSync.syncs).toBeGreaterThan(0);
    expect(manager.dataDirSync.syncs).toBeLessThan(50);
    for (const p of [0, 57, 199]) await (await manager.getLog('many', p))!.appendRecords([{ value: Buffer.from(`value ${p}`) }]);
    await manager.close();
    expect(fs.existsSync(join(dataDir, '.kafka_cleanshutdown'))).toBe(true);
    const points = fs.readFileSync(join(dataDir, 'recovery-point-offset-checkpoint'), 'utf8').split('\n');
    expect(points[1]).toBe('200');
    expect(points).toContain('many 57 1');
    const again = (await composeByName({ dataDir, logger: silentLogger })).get<LogManager>(TOKENS.LogManager);
    const logs = await again.loadLogs();
    expect(logs.length).toBe(200);
    for (const p of [0, 57, 199]) {
      const [batch] = await (await again.getLog('many', p))!.readBatches(0, 1 << 20);
      expect(batch?.records[0]?.value?.toString()).toBe(`value ${p}`);
    }
    await again.close();
  });
});

/** Wraps `fn` to count the calls in flight at once (the real call runs). */
function peakOf<A extends unknown[], R>(fn: (...args: A) => Promise<R>): { wrapped: (...args: A) => Promise<R>; peak: () => number } {
  let running = 0;
  let peak = 0;
  const wrapped = async (...args: A): Promise<R> => {
    running++;
    peak = Math.max(peak, running);
    try {
      return await fn(...args);
    } finally {
      running--;
    }
  };
  return { wrapped, peak: () => peak };
}

describe('partitions created and closed at a bounded concurrency', () => {
  it('CreateTopics opens many logs at once, never more than PARTITION_CREATE_CONCURRENCY; LogManager.close closes many at once, never more than LOG_CLOSE_CONCURRENCY', async () => {
    const dataDir = tempDir();
    const manager = (await composeByName({ dataDir, engine: 'pwrite', logger: silentLogger })).get<LogManager>(TOKENS.LogManager);
    const opens = peakOf(manager.getOrCreateLog.bind(manager));
    manager.getOrCreateLog = opens.wrapped;
    const topics = new TopicManager(manager, silentLogger);
    await topics.create('bounded', 120);
    expect(opens.peak()).toBeGreaterThan(1);
    expect(opens.peak()).toBeLessThanOrEqual(PARTITION_CREATE_CONCURRENCY);
    let running = 0;
    let peak = 0;
    for (let p = 0; p < 120; p++) {
      const log = (await manager.getLog('bounded', p))!;
      const close = log.close.bind(log);
      log.close = async () => {
        running++;
        peak = Math.max(peak, running);
        try {
          return await close();
        } finally {
          running--;
        }
      };
    }
    await manager.close();
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(LOG_CLOSE_CONCURRENCY);
    expect(fs.existsSync(join(dataDir, '.kafka_cleanshutdown'))).toBe(true);
  });
});

