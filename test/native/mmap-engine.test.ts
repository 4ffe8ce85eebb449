import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadEngine } from '../../engines/index.js';
import { MMAP_GROWTH_STEP_BYTES, MmapSegmentFile } from '../../engines/mmap-file.js';
import { mmapEngine } from '../../engines/mmap.js';
import { nativeAddon, patterned, removeDir, tempDir } from './helpers.js';

nativeAddon();
let dir: string;
let n = 0;
const next = (): string => path.join(dir, `seg-${n++}.log`);

beforeAll(() => {
  dir = tempDir('mmap-engine');
});
afterAll(() => removeDir(dir));

describe('mmap engine', () => {
  test('is registered, with its manifest', async () => {
    const engine = await loadEngine('mmap');
    expect(engine).toBe(mmapEngine);
    expect(engine.supports).toEqual({ durableAppend: false, groupCommit: false, preallocate: true, native: true });
  });

  test('append, read, flush, close: the closed file is exactly the appended bytes', async () => {
    const file = next();
    const seg = await mmapEngine.open(file, { preallocateBytes: 1 << 20 });
    expect(fs.fstatSync(seg.fd).size).toBe(1 << 20); // sized up front
    const a = patterned(1000, 1);
    const b = patterned(70000, 2);
    const appended = seg.append([a, b], a.length + b.length);
    expect(seg.sizeBytes).toBe(71000); // grows before the promise settles
    await appended;
    expect((await seg.read(0, 1000)).equals(a)).toBe(true);
    expect((await seg.read(1000, 70000)).equals(b)).toBe(true);
    expect((await seg.read(70990, 100)).length).toBe(10); // short only at the end
    expect((await seg.read(71000, 100)).length).toBe(0);
    expect((await seg.read(500000, 100)).length).toBe(0); // never past the valid bytes
    await seg.flush();
    await seg.flush(); // nothing new: no-op
    await seg.close();
    await seg.close(); // idempotent
    const bytes = fs.readFileSync(file);
    expect(bytes.length).toBe(71000);
    expect(bytes.equals(Buffer.concat([a, b]))).toBe(true);
  });

  test('a read returns a copy that outlives close (the mapping is gone, the bytes are not)', async () => {
    const seg = await mmapEngine.open(next(), { preallocateBytes: 0 });
    await seg.append([patterned(5000)], 5000);
    const data = await seg.read(0, 5000);
    await seg.close();
    expect(data.length).toBe(5000);
    expect(data.equals(patterned(5000))).toBe(true);
  });

  test('without preallocation the file grows in steps by fallocate (real blocks), and trims on close', async () => {
    const file = next();
    const seg = await mmapEngine.open(file, { preallocateBytes: 0 });
    expect(fs.fstatSync(seg.fd).size).toBe(0);
    await seg.append([patterned(100)], 100);
    const st = fs.fstatSync(seg.fd);
    expect(st.size).toBe(MMAP_GROWTH_STEP_BYTES);
    expect(st.blocks * 512).toBeGreaterThanOrEqual(MMAP_GROWTH_STEP_BYTES);
    const big = patterned(MMAP_GROWTH_STEP_BYTES, 5);
    await seg.append([big], big.length);
    expect(fs.fstatSync(seg.fd).size).toBe(2 * MMAP_GROWTH_STEP_BYTES);
    await seg.trim();
    expect(fs.fstatSync(seg.fd).size).toBe(100 + big.length);
    await seg.append([patterned(10)], 10); // grows again after a trim
    await seg.close();
    const bytes = fs.readFileSync(file);
    expect(bytes.length).toBe(110 + big.length);
    expect(bytes.subarray(100, 100 + big.length).equals(big)).toBe(true);
  });

  test('appends and reads that cross mapping region boundaries', async () => {
    const file = next();
    const regionBytes = 256 * 1024;
    const seg = await MmapSegmentFile.open(file, { preallocateBytes: 0, regionBytes });
    const piece = patterned(100_003, 9);
    const total = 9; // ~900 KB over 4 regions, pieces straddling each boundary
    for (let i = 0; i < total; i++) await seg.append([piece], piece.length);
    const whole = Buffer.concat(Array.from({ length: total }, () => piece));
    for (const boundary of [regionBytes, 2 * regionBytes, 3 * regionBytes]) {
      expect((await seg.read(boundary - 1000, 3000)).equals(whole.subarray(boundary - 1000, boundary + 2000))).toBe(true);
    }
    expect((await seg.read(0, whole.length)).equals(whole)).toBe(true); // one read over all four
    await seg.flush(); // one msync per region
    await seg.close();
    expect(fs.readFileSync(file).equals(whole)).toBe(true);
    await expect(MmapSegmentFile.open(file, { preallocateBytes: 0, regionBytes: 1000 })).rejects.toThrow(/multiple of the page size/);
  });

  test('truncate cuts the tail, re-reserves zeros, and appends continue from there', async () => {
    const file = next();
    const seg = await mmapEngine.open(file, { preallocateBytes: 64 * 1024 });
    await seg.append([patterned(10000, 1)], 10000);
    await seg.truncate(4000);
    expect(seg.sizeBytes).toBe(4000);
    expect(fs.fstatSync(seg.fd).size).toBe(64 * 1024);
    // the cut tail is zeros in the reservation, not stale bytes
    const raw = Buffer.alloc(6000);
    fs.readSync(seg.fd, raw, 0, 6000, 4000);
    expect(raw.every((x) => x === 0)).toBe(true);
    expect((await seg.read(3000, 5000)).length).toBe(1000);
    await seg.append([patterned(50, 7)], 50);
    expect((await seg.read(4000, 50)).equals(patterned(50, 7))).toBe(true);
    await expect(seg.truncate(5000)).rejects.toThrow(/outside/);
    await seg.close();
    expect(fs.statSync(file).size).toBe(4050);
  });

  test('reopening honours validBytes (the rest is reservation) and preallocates again', async () => {
    const file = next();
    const first = await mmapEngine.open(file, { preallocateBytes: 32768 });
    await first.append([patterned(3000)], 3000);
    await first.close();
    // as a crash would leave it: the data, then the zeroed reservation
    fs.truncateSync(file, 32768);
    const again = await MmapSegmentFile.open(file, { preallocateBytes: 65536, validBytes: 3000 });
    expect(again.sizeBytes).toBe(3000);
    expect(fs.fstatSync(again.fd).size).toBe(65536);
    await again.append([patterned(10, 4)], 10);
    expect((await again.read(2990, 100)).equals(Buffer.concat([patterned(3000).subarray(2990), patterned(10, 4)]))).toBe(true);
    await expect(MmapSegmentFile.open(file, { preallocateBytes: 0, validBytes: 10 ** 9 })).rejects.toThrow(/valid bytes/);
    await again.close();
    expect(fs.statSync(file).size).toBe(3010);
  });

  test('a closed segment refuses work with LOG_CLOSED; a wrong byteLength is refused and nothing is written', async () => {
    const seg = await mmapEngine.open(next(), { preallocateBytes: 0 });
    await expect(seg.append([Buffer.alloc(10)], 11)).rejects.toThrow(/totalling 10/);
    expect(seg.sizeBytes).toBe(0);
    await seg.close();
    await expect(seg.append([Buffer.alloc(1)], 1)).rejects.toMatchObject({ code: 'LOG_CLOSED' });
    await expect(seg.read(0, 1)).rejects.toMatchObject({ code: 'LOG_CLOSED' });
    await expect(seg.flush()).rejects.toMatchObject({ code: 'LOG_CLOSED' });
  });

  test('a reservation the disk cannot hold fails with ENOSPC instead of a SIGBUS later', async () => {
    const shm = fs.mkdtempSync('/dev/shm/strata-mmap-');
    try {
      const file = path.join(shm, 'seg.log');
      await expect(mmapEngine.open(file, { preallocateBytes: 2 ** 50 })).rejects.toMatchObject({ code: 'ENOSPC' });
    } finally {
      fs.rmSync(shm, { recursive: true, force: true });
    }
  });

  test('flush while appends continue syncs what was appended; close waits for a flush in flight', async () => {
    const file = next();
    const seg = await mmapEngine.open(file, { preallocateBytes: 0 });
    await seg.append([patterned(200000, 1)], 200000);
    const flushing = seg.flush();
    await seg.append([patterned(100, 2)], 100);
    const closing = seg.close();
    await flushing;
    await closing;
    expect(fs.statSync(file).size).toBe(200100);
  });

  test('without the addon, opening fails with "unavailable: native addon not built"', () => {
    const script = `
      import { mmapEngine } from './engines/mmap.js';
      mmapEngine.open('${path.join(dir, 'never.log')}', { preallocateBytes: 0 }).then(
        () => console.log('opened'),
        (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      env: { ...process.env, STRATA_NATIVE: '0' },
      encoding: 'utf8',
    });
    expect(child.status).toBe(0);
    const out = JSON.parse(child.stdout.trim()) as { code: string; message: string };
    expect(out.code).toBe('ENGINE_UNAVAILABLE');
    expect(out.message).toMatch(/^unavailable: native addon not built \(the mmap engine needs it; .*npm run build:native/);
    expect(fs.existsSync(path.join(dir, 'never.log'))).toBe(false);
  });
});
