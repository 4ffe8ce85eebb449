import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CachedFile, FileCache } from '../../core/cache.js';
import { builtinCaches } from '../../engines/cache/index.js';
import { PageCache, dropFilePages, dropPathPages, pathResidency, residentBytes } from '../../engines/cache/page-cache.js';
import { UserLruCache } from '../../engines/cache/user-lru.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { nativeAddon, patterned, removeDir, tempDir } from './helpers.js';

const native = nativeAddon();
let dir: string;
beforeAll(() => {
  dir = tempDir('caches');
});
afterAll(() => removeDir(dir));

/** user-lru needs only the path of a file; a real segment file is not needed for its bookkeeping. */
const fileAt = (p: string): CachedFile => ({ path: p, fd: -1 });
/** Reads as an engine hands them over (owned), at the file's current generation. */
const read = (f: FileCache, position: number, data: Buffer, owned = true): void => f.onRead(position, data, f.generation, owned);

describe('user-lru', () => {
  test('is registered and honours bytesMax', () => {
    const cache = builtinCaches['user-lru']!({ bytesMax: 1234 });
    expect(cache.name).toBe('user-lru');
    expect((cache as UserLruCache).bytesMax).toBe(1234);
    expect(() => new UserLruCache({ bytesMax: 0 })).toThrow(/bytesMax must be a positive integer/);
    expect(() => new UserLruCache({ bytesMax: 1.5 })).toThrow(/bytesMax/);
  });

  test('hits when the held range from the position covers lengthMin, returning at most lengthMax, with the right bytes', () => {
    const cache = new UserLruCache({ bytesMax: 1 << 20 });
    const f = cache.open(fileAt('/seg/0.log'));
    const data = patterned(1000);
    read(f, 5000, data);
    expect(f.lookup(5000, 1000, 1000)!.equals(data)).toBe(true); // exact
    expect(f.lookup(5100, 200, 200)!.equals(data.subarray(100, 300))).toBe(true); // contained
    expect(f.lookup(5900, 1, 4096)!.equals(data.subarray(900))).toBe(true); // a prefix: what is held from there
    expect(f.lookup(4999, 1, 10)).toBeUndefined(); // starts before
    expect(f.lookup(5900, 101, 101)).toBeUndefined(); // runs past
    expect(cache.open(fileAt('/seg/other.log')).lookup(5000, 1, 10)).toBeUndefined(); // another file
    expect(cache.stats()).toEqual({ hits: 3, misses: 3, bytes: 1000 });
  });

  test('appends are not copied in; a borrowed read is copied, a handed-over one kept by reference', () => {
    const cache = new UserLruCache();
    const f = cache.open(fileAt('/seg/copy.log'));
    f.onAppend(0, 8);
    expect(f.lookup(0, 1, 8)).toBeUndefined();
    expect(cache.stats().bytes).toBe(0);
    const borrowed = Buffer.from('from-read');
    read(f, 100, borrowed, false);
    borrowed.fill(0); // the buffered transfer's chunk goes back to its pool
    expect(f.lookup(100, 9, 9)!.toString()).toBe('from-read');
    const owned = Buffer.allocUnsafeSlow(16).fill(7);
    read(f, 1000, owned);
    expect(f.lookup(1000, 16, 16)!.buffer).toBe(owned.buffer); // no copy
    const pooled = Buffer.from('small'); // a view of Node's shared 8 KiB pool: copied, so bytes count what is held
    read(f, 2000, pooled);
    const held = f.lookup(2000, 5, 5)!;
    expect(held.buffer).not.toBe(pooled.buffer);
    expect(held.buffer.byteLength).toBe(5);
  });

  test('enforces the byte bound by evicting least recently used ranges, across files', () => {
    const cache = new UserLruCache({ bytesMax: 3000 });
    const f = cache.open(fileAt('/seg/lru.log'));
    const g = cache.open(fileAt('/seg/lru2.log'));
    read(f, 0, patterned(1000, 0));
    read(g, 1000, patterned(1000, 1));
    read(f, 2000, patterned(1000, 2));
    expect(cache.stats().bytes).toBe(3000);
    expect(f.lookup(0, 10, 10)).toBeDefined(); // [0,1000) is now the most recently used
    read(f, 3000, patterned(1000, 3)); // evicts g's [1000,2000), the least recently used
    expect(cache.stats().bytes).toBe(3000);
    expect(g.lookup(1000, 10, 10)).toBeUndefined();
    expect(f.lookup(0, 1000, 1000)!.equals(patterned(1000, 0))).toBe(true);
    expect(f.lookup(3000, 1000, 1000)!.equals(patterned(1000, 3))).toBe(true);
    // a range larger than the whole cache is not held (and evicts nothing)
    read(f, 4000, patterned(3001));
    expect(f.lookup(4000, 1, 1)).toBeUndefined();
    expect(cache.entries).toBe(3);
    for (let i = 0; i < 100; i++) read(f, 10_000 + i * 500, patterned(500, i));
    expect(cache.stats().bytes).toBeLessThanOrEqual(3000);
    expect(cache.entries).toBe(6);
  });

  test('the entry bound holds too', () => {
    const cache = new UserLruCache({ bytesMax: 1 << 20, entriesMax: 4 });
    const f = cache.open(fileAt('/seg/entries.log'));
    for (let i = 0; i < 10; i++) read(f, i * 10, patterned(10, i));
    expect(cache.entries).toBe(4);
    expect(f.lookup(90, 10, 10)!.equals(patterned(10, 9))).toBe(true);
    expect(f.lookup(0, 10, 10)).toBeUndefined();
  });

  test('overlapping ranges: a contained one is not added, a containing one replaces', () => {
    const cache = new UserLruCache();
    const f = cache.open(fileAt('/seg/overlap.log'));
    const whole = patterned(4000);
    read(f, 0, whole.subarray(0, 1000), false);
    read(f, 1000, whole.subarray(1000, 2000), false);
    read(f, 200, whole.subarray(200, 700), false); // inside [0,1000): nothing added
    expect(cache.entries).toBe(2);
    expect(f.lookup(500, 1000, 1000)).toBeUndefined(); // spans two reads: no single range holds it
    read(f, 0, whole.subarray(0, 3000), false); // contains both: they go
    expect(cache.entries).toBe(1);
    expect(cache.stats().bytes).toBe(3000);
    expect(f.lookup(500, 1000, 1000)!.equals(whole.subarray(500, 1500))).toBe(true);
    read(f, 2500, whole.subarray(2500, 4000), false); // partial overlap: both kept
    expect(cache.entries).toBe(2);
    expect(f.lookup(2600, 1400, 1400)!.equals(whole.subarray(2600, 4000))).toBe(true);
    expect(f.lookup(2000, 900, 900)!.equals(whole.subarray(2000, 2900))).toBe(true);
  });

  test('invalidate drops a file from a position on; close drops it whole and keeps nothing after', () => {
    const cache = new UserLruCache();
    const f = cache.open(fileAt('/seg/inv.log'));
    const g = cache.open(fileAt('/seg/keep.log'));
    read(f, 0, patterned(100));
    read(f, 100, patterned(100));
    read(f, 200, patterned(100));
    read(g, 0, patterned(100));
    f.invalidate(150); // [100,200) straddles the cut: it goes too
    expect(f.lookup(0, 100, 100)).toBeDefined();
    expect(f.lookup(100, 1, 10)).toBeUndefined();
    expect(f.lookup(200, 1, 10)).toBeUndefined();
    expect(cache.stats().bytes).toBe(200);
    f.close();
    expect(f.lookup(0, 1, 100)).toBeUndefined();
    read(f, 0, patterned(100)); // a read finishing after the segment closed
    expect(f.lookup(0, 1, 100)).toBeUndefined();
    expect(g.lookup(0, 100, 100)).toBeDefined();
    expect(cache.stats().bytes).toBe(100);
    // the same path opened again (a segment reopened or recreated) starts empty
    expect(cache.open(fileAt('/seg/inv.log')).lookup(0, 1, 100)).toBeUndefined();
  });

  test("a read that began before a cut is not kept (its bytes may be the old file's); an append past held bytes drops them", () => {
    const cache = new UserLruCache();
    const f = cache.open(fileAt('/seg/gen.log'));
    const before = f.generation;
    f.invalidate(0); // truncateTo while the read was in flight
    f.onRead(0, patterned(100), before, true);
    expect(f.lookup(0, 1, 100)).toBeUndefined();
    expect(cache.stats().bytes).toBe(0);
    f.onRead(0, patterned(100), f.generation, true);
    expect(f.lookup(0, 100, 100)).toBeDefined();
    f.onAppend(50, 10); // bytes at 50.. are being written: nothing held there can be the file's
    expect(f.lookup(0, 1, 100)).toBeUndefined();
  });
});

describe('page-cache', () => {
  test('is registered; holds nothing in process; hints read-ahead after reads', async () => {
    const cache = builtinCaches['page-cache']!({});
    expect(cache.name).toBe('page-cache');
    const seg = await pwriteEngine.open(path.join(dir, 'pc.log'), { preallocateBytes: 0 });
    const size = 8 * 1024 * 1024;
    await seg.append([patterned(size)], size);
    const file = cache.open(seg);
    file.onAppend(0, size);
    expect(file.lookup(0, 1, 100)).toBeUndefined();
    await dropFilePages(seg.fd);
    const cold = residentBytes(seg.fd, 0, size);
    expect(cold).toBeLessThan(size / 8);
    // a read of the first 64 KiB: the hint asks the kernel to read the next 1 MiB ahead
    const data = await seg.read(0, 65536);
    file.onRead(0, data, file.generation, true);
    expect((cache as PageCache).stats().readAheadHints).toBe(1);
    let ahead = 0;
    for (let i = 0; i < 100 && ahead < 1024 * 1024; i++) {
      ahead = residentBytes(seg.fd, 65536, 1024 * 1024);
      if (ahead < 1024 * 1024) await new Promise((r) => setTimeout(r, 5));
    }
    expect(ahead).toBe(1024 * 1024); // read in without our reading it
    // the very next read is inside what was hinted: no second hint yet
    file.onRead(65536, await seg.read(65536, 65536), file.generation, true);
    expect((cache as PageCache).stats().readAheadHints).toBe(1);
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 0, bytes: 0 });
    await seg.close();
  });

  test('dropping pages on purpose, and residency as a metric, by path', async () => {
    const file = path.join(dir, 'drop.log');
    fs.writeFileSync(file, patterned(2 * 1024 * 1024));
    fs.readFileSync(file);
    expect(pathResidency(file)).toEqual({ residentBytes: 2 * 1024 * 1024, fileBytes: 2 * 1024 * 1024 });
    await dropPathPages(file); // writes back first: dirty pages would survive DONTNEED
    expect(pathResidency(file).residentBytes).toBeLessThan(64 * 1024);
    expect(() => residentBytes(-1 as number, 0, 1)).toThrow(/"fd"/);
  });

  test('a bad read-ahead size is a config error', () => {
    expect(() => new PageCache({ readAheadBytes: -1 })).toThrow(/readAheadBytes/);
    expect(native.FADV.WILLNEED).toBeTypeOf('number');
  });
});
