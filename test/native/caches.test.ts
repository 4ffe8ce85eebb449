import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { SegmentFile } from '../../core/engine.js';
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

/** user-lru keys on the path only; a real segment file is not needed for its bookkeeping. */
const fileAt = (p: string): SegmentFile => ({ path: p }) as SegmentFile;

describe('user-lru', () => {
  test('is registered and honours bytesMax', () => {
    const cache = builtinCaches['user-lru']!({ bytesMax: 1234 });
    expect(cache.name).toBe('user-lru');
    expect((cache as UserLruCache).bytesMax).toBe(1234);
    expect(() => new UserLruCache({ bytesMax: 0 })).toThrow(/bytesMax must be a positive integer/);
    expect(() => new UserLruCache({ bytesMax: 1.5 })).toThrow(/bytesMax/);
  });

  test('hits on an exact or contained range only, with the right bytes', () => {
    const cache = new UserLruCache({ bytesMax: 1 << 20 });
    const f = fileAt('/seg/0.log');
    const data = patterned(1000);
    cache.onAppend(f, 5000, [data.subarray(0, 400), data.subarray(400)]);
    expect(cache.lookup(f, 5000, 1000)!.equals(data)).toBe(true); // exact
    expect(cache.lookup(f, 5100, 200)!.equals(data.subarray(100, 300))).toBe(true); // contained
    expect(cache.lookup(f, 4999, 10)).toBeUndefined(); // starts before
    expect(cache.lookup(f, 5900, 101)).toBeUndefined(); // runs past
    expect(cache.lookup(fileAt('/seg/other.log'), 5000, 10)).toBeUndefined(); // another file
    expect(cache.stats()).toEqual({ hits: 2, misses: 3, bytes: 1000 });
  });

  test('keeps its own copy: the appender reusing its buffer changes nothing', () => {
    const cache = new UserLruCache();
    const f = fileAt('/seg/copy.log');
    const buf = Buffer.from('original');
    cache.onAppend(f, 0, [buf]);
    buf.write('CHANGED!');
    expect(cache.lookup(f, 0, 8)!.toString()).toBe('original');
    const read = Buffer.from('from-read');
    cache.onRead(f, 100, read);
    read.fill(0);
    expect(cache.lookup(f, 100, 9)!.toString()).toBe('from-read');
  });

  test('enforces the byte bound by evicting least recently used ranges', () => {
    const cache = new UserLruCache({ bytesMax: 3000 });
    const f = fileAt('/seg/lru.log');
    cache.onAppend(f, 0, [patterned(1000, 0)]);
    cache.onAppend(f, 1000, [patterned(1000, 1)]);
    cache.onAppend(f, 2000, [patterned(1000, 2)]);
    expect(cache.stats().bytes).toBe(3000);
    expect(cache.lookup(f, 0, 10)).toBeDefined(); // [0,1000) is now the most recently used
    cache.onAppend(f, 3000, [patterned(1000, 3)]); // evicts [1000,2000), the least recently used
    expect(cache.stats().bytes).toBe(3000);
    expect(cache.lookup(f, 1000, 10)).toBeUndefined();
    expect(cache.lookup(f, 0, 1000)!.equals(patterned(1000, 0))).toBe(true);
    expect(cache.lookup(f, 3000, 1000)!.equals(patterned(1000, 3))).toBe(true);
    // a range larger than the whole cache is not held (and evicts nothing)
    cache.onAppend(f, 4000, [patterned(3001)]);
    expect(cache.lookup(f, 4000, 1)).toBeUndefined();
    expect(cache.entries).toBe(3);
    for (let i = 0; i < 100; i++) cache.onRead(f, 10_000 + i * 500, patterned(500, i));
    expect(cache.stats().bytes).toBeLessThanOrEqual(3000);
    expect(cache.entries).toBe(6);
  });

  test('the entry bound holds too', () => {
    const cache = new UserLruCache({ bytesMax: 1 << 20, entriesMax: 4 });
    const f = fileAt('/seg/entries.log');
    for (let i = 0; i < 10; i++) cache.onAppend(f, i * 10, [patterned(10, i)]);
    expect(cache.entries).toBe(4);
    expect(cache.lookup(f, 90, 10)!.equals(patterned(10, 9))).toBe(true);
    expect(cache.lookup(f, 0, 10)).toBeUndefined();
  });

  test('overlapping ranges: a contained one is not added, a containing one replaces', () => {
    const cache = new UserLruCache();
    const f = fileAt('/seg/overlap.log');
    const whole = patterned(4000);
    cache.onAppend(f, 0, [whole.subarray(0, 1000)]);
    cache.onAppend(f, 1000, [whole.subarray(1000, 2000)]);
    cache.onRead(f, 200, whole.subarray(200, 700)); // inside [0,1000): nothing added
    expect(cache.entries).toBe(2);
    expect(cache.lookup(f, 500, 1000)).toBeUndefined(); // spans two appends: no single range holds it
    cache.onRead(f, 0, whole.subarray(0, 3000)); // contains both: they go
    expect(cache.entries).toBe(1);
    expect(cache.stats().bytes).toBe(3000);
    expect(cache.lookup(f, 500, 1000)!.equals(whole.subarray(500, 1500))).toBe(true);
    cache.onRead(f, 2500, whole.subarray(2500, 4000)); // partial overlap: both kept
    expect(cache.entries).toBe(2);
    expect(cache.lookup(f, 2600, 1400)!.equals(whole.subarray(2600, 4000))).toBe(true);
    expect(cache.lookup(f, 2000, 900)!.equals(whole.subarray(2000, 2900))).toBe(true);
  });

  test('invalidate drops a file from a position on (truncation) or whole (deletion)', () => {
    const cache = new UserLruCache();
    const f = fileAt('/seg/inv.log');
    const g = fileAt('/seg/keep.log');
    cache.onAppend(f, 0, [patterned(100)]);
    cache.onAppend(f, 100, [patterned(100)]);
    cache.onAppend(f, 200, [patterned(100)]);
    cache.onAppend(g, 0, [patterned(100)]);
    cache.invalidate(f.path, 150); // [100,200) straddles the cut: it goes too
    expect(cache.lookup(f, 0, 100)).toBeDefined();
    expect(cache.lookup(f, 100, 10)).toBeUndefined();
    expect(cache.lookup(f, 200, 10)).toBeUndefined();
    expect(cache.stats().bytes).toBe(200);
    cache.invalidate(f.path);
    expect(cache.lookup(f, 0, 100)).toBeUndefined();
    expect(cache.lookup(g, 0, 100)).toBeDefined();
    expect(cache.stats().bytes).toBe(100);
  });
});

describe('page-cache', () => {
  test('is registered; holds nothing in process; hints read-ahead after reads', async () => {
    const cache = builtinCaches['page-cache']!({});
    expect(cache.name).toBe('page-cache');
    const file = path.join(dir, 'pc.log');
    const seg = await pwriteEngine.open(file, { preallocateBytes: 0 });
    const size = 8 * 1024 * 1024;
    await seg.append([patterned(size)], size);
    cache.onAppend(seg, 0, [Buffer.alloc(0)]);
    expect(cache.lookup(seg, 0, 100)).toBeUndefined();
    await dropFilePages(seg.fd);
    const cold = residentBytes(seg.fd, 0, size);
    expect(cold).toBeLessThan(size / 8);
    // a read of the first 64 KiB: the hint asks the kernel to read the next 1 MiB ahead
    const data = await seg.read(0, 65536);
    cache.onRead(seg, 0, data);
    expect((cache as PageCache).stats().readAheadHints).toBe(1);
    let ahead = 0;
    for (let i = 0; i < 100 && ahead < 1024 * 1024; i++) {
      ahead = residentBytes(seg.fd, 65536, 1024 * 1024);
      if (ahead < 1024 * 1024) await new Promise((r) => setTimeout(r, 5));
    }
    expect(ahead).toBe(1024 * 1024); // read in without our reading it
    // the very next read is inside what was hinted: no second hint yet
    cache.onRead(seg, 65536, await seg.read(65536, 65536));
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
