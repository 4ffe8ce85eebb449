/**
 * The cache conformance suite: every cache, built-in or third-party, runs the same modules on real
 * segment files (the pwrite engine's) through readThrough, the way the log and the buffered
 * transfer read. `supports.holdsBytes` is checked both ways: a cache that says it holds bytes
 * must serve a re-read from memory; one that says it does not must miss every lookup and hold
 * nothing. Closed and closing: after close nothing is served or kept, a read in flight across a
 * close still returns the file's bytes.
 *
 *   import { runCacheConformance } from 'strata-log/conformance';
 *   await runCacheConformance({ cache: () => new MyCache() });
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readThrough, type Cache, type FileCache } from '../../core/cache.js';
import type { SegmentFile } from '../../core/engine.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import type { ConformanceTestApi } from './context.js';
import { registerPluginSuite, selectModules, type PluginScope, type PluginTest } from './plugin-suite.js';

export interface CacheConformanceOptions {
  /** Makes a fresh cache (each test gets its own). */
  cache: () => Cache;
  test?: ConformanceTestApi;
  /** Only these modules (names as in CACHE_MODULES); default all. */
  modules?: readonly string[];
}

interface Opened {
  file: SegmentFile;
  fileCache: FileCache;
  bytes: Buffer;
}

/** A real segment file holding `size` random bytes, and the cache's operations for it. */
async function openFile(scope: PluginScope, cache: Cache, size: number, name = '00000000000000000000.log'): Promise<Opened> {
  const file = await pwriteEngine.open(join(scope.dir(), name), { preallocateBytes: 0 });
  scope.cleanup(() => file.close());
  const bytes = randomBytes(size);
  await file.append([bytes], bytes.length);
  const fileCache = cache.open(file);
  scope.cleanup(() => fileCache.close());
  return { file, fileCache, bytes };
}

const ranges = (size: number): [number, number][] => [
  [0, 1],
  [0, 4096],
  [100, 5000],
  [size - 10, 10],
  [size - 10, 1000], // past the end: the read is short
  [size, 100], // at the end: nothing
  [12_345, 70_000],
];

type Module = (make: () => Cache) => PluginTest[];

const manifest: Module = (make) => [
  {
    name: 'names itself and states supports.holdsBytes as a boolean; stats are counts',
    async body() {
      const cache = make();
      assert.equal(typeof cache.name, 'string');
      assert.ok(cache.name.length > 0, 'the cache has a name');
      assert.equal(typeof cache.supports?.holdsBytes, 'boolean', `supports.holdsBytes of ${cache.name}`);
      const stats = cache.stats();
      for (const k of ['hits', 'misses', 'bytes'] as const) assert.ok(Number.isSafeInteger(stats[k]) && stats[k] >= 0, `stats().${k} = ${stats[k]}`);
    },
  },
];

const readThroughModule: Module = (make) => [
  {
    name: 'reads through it return exactly the file bytes, first read and re-read, at the edges too',
    async body(s) {
      const cache = make();
      const { file, fileCache, bytes } = await openFile(s, cache, 100_000);
      for (let round = 0; round < 2; round++) {
        for (const [position, length] of ranges(bytes.length)) {
          const got = await readThrough(fileCache, file, position, Math.min(length, 1), length);
          const want = bytes.subarray(position, Math.min(bytes.length, position + length));
          assert.ok(got.length >= Math.min(1, want.length) && got.length <= length, `read ${position}+${length} returned ${got.length} bytes`);
          assert.ok(got.equals(want.subarray(0, got.length)), `read ${position}+${length} (round ${round}) is not the file's bytes`);
        }
      }
    },
  },
  {
    name: "two files of one cache never see each other's bytes",
    async body(s) {
      const cache = make();
      const a = await openFile(s, cache, 20_000, 'a.log');
      const b = await openFile(s, cache, 20_000, 'b.log');
      for (let round = 0; round < 2; round++) {
        assert.ok((await readThrough(a.fileCache, a.file, 0, 8192, 8192)).equals(a.bytes.subarray(0, 8192)));
        assert.ok((await readThrough(b.fileCache, b.file, 0, 8192, 8192)).equals(b.bytes.subarray(0, 8192)));
      }
    },
  },
];

const holdsBytes: Module = (make) => {
  const claims = make().supports.holdsBytes;
  if (claims) {
    return [
      {
        name: 'supports.holdsBytes: a re-read is answered from memory (a hit, bytes held) with the same bytes',
        async body(s) {
          const cache = make();
          const { file, fileCache, bytes } = await openFile(s, cache, 50_000);
          await readThrough(fileCache, file, 1000, 20_000, 20_000);
          const before = cache.stats();
          assert.ok(before.bytes > 0, `${cache.name} holds no bytes after a read was offered to it`);
          const held = fileCache.lookup(1000, 20_000, 20_000);
          assert.ok(held, `${cache.name} says it holds bytes but missed a lookup of what it was just given`);
          assert.ok(held.equals(bytes.subarray(1000, 21_000)), 'the held bytes are not the file bytes');
          assert.equal(cache.stats().hits, before.hits + 1, 'a lookup answered from memory counts a hit');
        },
      },
    ];
  }
  return [
    {
      name: 'supports.holdsBytes false: every lookup misses and nothing is held',
      async body(s) {
        const cache = make();
        const { file, fileCache } = await openFile(s, cache, 50_000);
        await readThrough(fileCache, file, 0, 20_000, 20_000);
        fileCache.onRead(0, Buffer.alloc(100), fileCache.generation, false);
        assert.equal(fileCache.lookup(0, 1, 100), undefined, `${cache.name} does not claim holdsBytes but answered a lookup`);
        assert.equal(cache.stats().bytes, 0, `${cache.name} does not claim holdsBytes but holds bytes`);
      },
    },
  ];
};

const invalidate: Module = (make) => [
  {
    name: 'after a cut and new appends at the same positions, reads return the new bytes, never the old',
    async body(s) {
      const cache = make();
      const { file, fileCache, bytes } = await openFile(s, cache, 40_000);
      assert.ok((await readThrough(fileCache, file, 0, 40_000, 40_000)).equals(bytes));
      await file.truncate(10_000);
      fileCache.invalidate(10_000);
      const fresh = randomBytes(30_000);
      await file.append([fresh], fresh.length);
      fileCache.onAppend(10_000, fresh.length);
      const want = Buffer.concat([bytes.subarray(0, 10_000), fresh]);
      for (let round = 0; round < 2; round++) assert.ok((await readThrough(fileCache, file, 0, 40_000, 40_000)).equals(want), `round ${round}: bytes of the cut file were served`);
    },
  },
  {
    name: 'a read begun before a cut is not kept (its generation is stale)',
    async body(s) {
      const cache = make();
      const { file, fileCache, bytes } = await openFile(s, cache, 20_000);
      const generation = fileCache.generation;
      const stale = Buffer.from(bytes.subarray(0, 20_000));
      await file.truncate(0);
      fileCache.invalidate(0);
      const fresh = randomBytes(20_000);
      await file.append([fresh], fresh.length);
      fileCache.onRead(0, stale, generation, true); // the read finished after the cut
      assert.ok((await readThrough(fileCache, file, 0, 20_000, 20_000)).equals(fresh), 'bytes read before the cut were served after it');
    },
  },
];

const closed: Module = (make) => [
  {
    name: 'closed: nothing is served or kept after close, a second close is harmless, stats come back down',
    async body(s) {
      const cache = make();
      const { file, fileCache } = await openFile(s, cache, 30_000);
      await readThrough(fileCache, file, 0, 30_000, 30_000);
      fileCache.close();
      assert.equal(fileCache.lookup(0, 1, 100), undefined, 'a closed file cache answered a lookup');
      fileCache.onRead(0, Buffer.alloc(5000, 1), fileCache.generation, true);
      fileCache.onAppend(30_000, 10);
      fileCache.invalidate(0);
      assert.equal(fileCache.lookup(0, 1, 100), undefined, 'a closed file cache kept a read');
      fileCache.close();
      assert.equal(cache.stats().bytes, 0, `${cache.name} still holds ${cache.stats().bytes} bytes of its only file, closed`);
    },
  },
  {
    name: "closing: a read in flight across close returns the file's bytes, and nothing of it is kept",
    async body(s) {
      const cache = make();
      const { file, fileCache, bytes } = await openFile(s, cache, 200_000);
      const reading = readThrough(fileCache, file, 0, 200_000, 200_000);
      fileCache.close();
      assert.ok((await reading).equals(bytes), 'the read in flight returned other bytes');
      assert.equal(fileCache.lookup(0, 1, 100), undefined, 'a read that finished after close was kept');
      assert.equal(cache.stats().bytes, 0, `${cache.name} holds ${cache.stats().bytes} bytes after its only file closed`);
    },
  },
];

export const CACHE_MODULES: Readonly<Record<string, Module>> = {
  manifest,
  'read-through': readThroughModule,
  'holds-bytes': holdsBytes,
  invalidate,
  closed,
};

export async function runCacheConformance(options: CacheConformanceOptions): Promise<void> {
  const modules = selectModules(CACHE_MODULES, options.modules, 'cache');
  const name = options.cache().name;
  await registerPluginSuite(`cache conformance: ${name}`, modules.map(([n, m]) => [n, m(options.cache)] as const), options.test);
}
