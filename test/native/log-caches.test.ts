/** The caches and the mmap engine under the real Log: reads are served, counted and hinted. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { logConfigFrom } from '../../core/config/log-config.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { PageCache } from '../../engines/cache/page-cache.js';
import { UserLruCache } from '../../engines/cache/user-lru.js';
import { mmapEngine } from '../../engines/mmap.js';
import { nativeAddon, removeDir, tempDir } from './helpers.js';

nativeAddon();
let dir: string;
beforeAll(() => {
  dir = tempDir('log-caches');
});
afterAll(() => removeDir(dir));

const records = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${from + i}`), value: Buffer.alloc(200, (from + i) & 0xff) }));

describe('caches under a Log on the mmap engine', () => {
  test('user-lru serves a batch the log just appended, and holds a wider read after the first miss', async () => {
    const cache = new UserLruCache({ bytesMax: 1 << 20 });
    const log = await Log.open(`${dir}/lru`, logConfigFrom({ preallocate: true, 'segment.bytes': String(1 << 20) }), { engine: mmapEngine, cache, logger: silentLogger });
    for (let i = 0; i < 5; i++) await log.appendRecords(records(10, i * 10));
    // one batch: exactly the range one append put in the cache
    const one = await log.readBatches(20, 1);
    expect(one.map((b) => b.header.baseOffset)).toEqual([20]);
    expect(cache.stats().hits).toBe(1);
    expect(cache.stats().misses).toBe(0);
    // three batches in one slice: no single held range contains it; read from the file, then held
    const three = await log.readBatches(10, 3 * one[0]!.sizeBytes);
    expect(three.map((b) => b.header.baseOffset)).toEqual([10, 20, 30]);
    expect(cache.stats().misses).toBe(1);
    const again = await log.readBatches(10, 3 * one[0]!.sizeBytes);
    expect(again).toEqual(three);
    expect(cache.stats().hits).toBe(2);
    expect(cache.stats().bytes).toBeLessThanOrEqual(1 << 20);
    await log.close();
  });

  test('page-cache hints read-ahead as a consumer reads the log', async () => {
    const cache = new PageCache({ readAheadBytes: 64 * 1024 });
    const log = await Log.open(`${dir}/pc`, logConfigFrom({}), { engine: mmapEngine, cache, logger: silentLogger });
    for (let i = 0; i < 200; i++) await log.appendRecords(records(10, i * 10));
    let offset = 0;
    let batches = 0;
    while (offset < log.logEndOffset) {
      const got = await log.readBatches(offset, 16 * 1024);
      batches += got.length;
      const last = got[got.length - 1]!;
      offset = last.header.baseOffset + last.header.lastOffsetDelta + 1;
    }
    expect(batches).toBe(200);
    // ~420 KiB read in 16 KiB steps with a 64 KiB window: a hint every ~32 KiB, not every read
    const hints = cache.stats().readAheadHints;
    expect(hints).toBeGreaterThan(5);
    expect(hints).toBeLessThan(20); // ~27 reads: without the half-window rule every read would hint
    expect(cache.lookup()).toBeUndefined();
    await log.close();
  });
});
