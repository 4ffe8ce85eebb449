/**
 * The direct engine's own parts: the partial last block kept and rewritten (and read back after a
 * reopen), the batch cache's counters, and the block size read from sysfs.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createDirectEngine } from '../../engines/direct/direct.js';
import { BLOCK_BYTES_FALLBACK, deviceNumbers, logicalBlockBytes } from '../../engines/direct/direct-io.js';
import { defaultRegistry } from '../../engines/index.js';
import { loadNative } from '../../native/index.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'strata-direct-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!loadNative())('direct engine segment files', () => {
  test('a reopen after a partial-block write reads the same bytes, and appends complete that block', async () => {
    const path = join(tempDir(), '00000000000000000000.log');
    const engine = createDirectEngine({ cacheBytesMax: 0 }); // every read from the disk
    const first = [randomBytes(100), randomBytes(3000)];
    const writer = await engine.open(path, { preallocateBytes: 0 });
    for (const b of first) await writer.append([b], b.length);
    // no close (a crash: the descriptor goes, nothing is trimmed): the file ends in the padded
    // block the last write left, and its reservation
    fs.closeSync(writer.fd);
    expect(fs.statSync(path).size).toBeGreaterThan(3100);
    const reopened = await engine.open(path, { preallocateBytes: 0, validBytes: 3100 });
    expect((await reopened.read(0, 3100)).equals(Buffer.concat(first))).toBe(true);
    const more = randomBytes(5000);
    await reopened.append([more], more.length);
    const all = Buffer.concat([...first, more]);
    expect((await reopened.read(0, all.length)).equals(all)).toBe(true);
    await reopened.close();
    // on disk, read by another descriptor through the page cache: exactly the appended bytes
    expect(fs.readFileSync(path).subarray(0, all.length).equals(all)).toBe(true);
    const again = await engine.open(path, { preallocateBytes: 0 });
    expect(again.sizeBytes).toBe(all.length);
    expect((await again.read(0, all.length)).equals(all)).toBe(true);
    await again.close();
  });

  test('close leaves the file exactly its appended bytes long', async () => {
    const path = join(tempDir(), 'f.log');
    const file = await createDirectEngine().open(path, { preallocateBytes: 0 });
    await file.append([Buffer.alloc(777, 1)], 777);
    expect(fs.statSync(path).size).toBeGreaterThan(777); // padding and reservation while open
    await file.close();
    expect(fs.statSync(path).size).toBe(777);
  });

  test('the batch cache: appends fill it, reads hit it; a reopened file misses once, then hits', async () => {
    const path = join(tempDir(), 'f.log');
    const engine = createDirectEngine({ cacheBytesMax: 64 << 20 });
    const data = randomBytes(300_000);
    const file = await engine.open(path, { preallocateBytes: 0 });
    await file.append([data], data.length);
    expect((await file.read(0, data.length)).equals(data)).toBe(true);
    expect(engine.cacheStats()).toMatchObject({ misses: 0 });
    expect(engine.cacheStats().hits).toBeGreaterThan(0);
    await file.close();
    expect(engine.cacheStats().bytes, 'a closed file holds nothing').toBe(0);
    const reopened = await engine.open(path, { preallocateBytes: 0 });
    const before = engine.cacheStats();
    expect((await reopened.read(1000, 200_000)).equals(data.subarray(1000, 201_000))).toBe(true);
    const mid = engine.cacheStats();
    expect(mid.misses).toBeGreaterThan(before.misses);
    expect((await reopened.read(1000, 200_000)).equals(data.subarray(1000, 201_000))).toBe(true);
    const after = engine.cacheStats();
    expect(after.misses).toBe(mid.misses);
    expect(after.hits).toBeGreaterThan(mid.hits);
    await reopened.close();
  });

  test('a truncate drops what the cache held past the cut', async () => {
    const path = join(tempDir(), 'f.log');
    const file = await createDirectEngine().open(path, { preallocateBytes: 0 });
    await file.append([Buffer.alloc(1000, 1)], 1000);
    await file.append([Buffer.alloc(1000, 2)], 1000);
    await file.truncate(1500);
    await file.append([Buffer.alloc(500, 3)], 500);
    const got = await file.read(0, 2000);
    expect(got.equals(Buffer.concat([Buffer.alloc(1000, 1), Buffer.alloc(500, 2), Buffer.alloc(500, 3)]))).toBe(true);
    await file.close();
  });

  test('the registry makes a direct engine with its own cache size from the cacheBytesMax option', () => {
    const engine = defaultRegistry().resolve('engine', 'direct', { cacheBytesMax: '0' }) as ReturnType<typeof createDirectEngine>;
    expect(engine.name).toBe('direct');
    expect(engine.supports).toMatchObject({ durableAppend: true, groupCommit: true, native: true, directIo: true });
    expect(() => defaultRegistry().resolve('engine', 'direct', { cacheBytesMax: 'lots' })).toThrow(/cacheBytesMax=lots is not a byte count/);
  });
});

describe('logical block size', () => {
  function fakeSysfs(text: string | undefined): { root: string; fd: number } {
    const dir = tempDir();
    const fd = fs.openSync(join(dir, 'probe'), 'w');
    const { major, minor } = deviceNumbers(fs.fstatSync(fd).dev);
    const root = join(dir, 'sys');
    fs.mkdirSync(join(root, `${major}:${minor}`, 'queue'), { recursive: true });
    if (text !== undefined) fs.writeFileSync(join(root, `${major}:${minor}`, 'queue', 'logical_block_size'), `${text}\n`);
    return { root, fd };
  }

  test('read from the device queue in sysfs; the fallback when it is absent; a non-power of two refused', () => {
    const ok = fakeSysfs('4096');
    expect(logicalBlockBytes(ok.fd, ok.root)).toBe(4096);
    const absent = fakeSysfs(undefined);
    expect(logicalBlockBytes(absent.fd, absent.root)).toBe(BLOCK_BYTES_FALLBACK);
    const bad = fakeSysfs('3000');
    expect(() => logicalBlockBytes(bad.fd, bad.root)).toThrow(/logical_block_size says "3000": not a power of two/);
    for (const f of [ok, absent, bad]) fs.closeSync(f.fd);
  });

  test('the real device of the temp dir has a power-of-two block size', () => {
    const { fd } = fakeSysfs(undefined);
    const bytes = logicalBlockBytes(fd);
    expect(bytes & (bytes - 1)).toBe(0);
    expect(bytes).toBeGreaterThanOrEqual(512);
    fs.closeSync(fd);
  });
});
