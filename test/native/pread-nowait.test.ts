/**
 * preadNoWait (preadv2 RWF_NOWAIT) and the pwrite engine's reads through it: a read the page cache
 * can answer is made on the calling thread, with no thread pool request (each costs two thread
 * wake-ups; strace counted 21 futex calls per 1 MiB Fetch before); one it cannot answer goes to
 * the pool as before.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pwriteEngine } from '../../engines/pwrite.js';
import { nativeAddon, patterned, removeDir, tempDir } from './helpers.js';

const native = nativeAddon();
let dir: string;
beforeAll(() => {
  dir = tempDir('pread-nowait');
});
afterAll(() => removeDir(dir));

/** File system requests queued in the thread pool right now (Node names them FSReqCallback). */
const poolRequests = () => process.getActiveResourcesInfo().filter((r) => r === 'FSReqCallback').length;

describe('preadNoWait', () => {
  test('reads what the page cache holds, says -1 for what it does not, 0 at the end', () => {
    const file = path.join(dir, 'a');
    const data = patterned(256 * 1024);
    fs.writeFileSync(file, data);
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(4096);
      expect(native.preadNoWait!(fd, buf, 8192)).toBe(4096);
      expect(buf.equals(data.subarray(8192, 8192 + 4096))).toBe(true);
      expect(native.preadNoWait!(fd, Buffer.alloc(16), data.length)).toBe(0);
      fs.fdatasyncSync(fd);
      native.posix_fadvise(fd, 0, 0, native.FADV.DONTNEED);
      // dropped pages: the read would wait for the disk, so it is refused (the kernel may start a
      // readahead meanwhile, so the page can be resident right after)
      expect(native.mincore(fd, 128 * 1024, 4096)).toBe(0);
      expect(native.preadNoWait!(fd, buf, 128 * 1024)).toBe(-1);
    } finally {
      fs.closeSync(fd);
    }
  });

  test('the pwrite engine answers a cached read without a thread pool request, and a large one through the pool', async () => {
    const file = await pwriteEngine.open(path.join(dir, '00000000000000000000.log'), { preallocateBytes: 0 });
    try {
      const data = patterned(512 * 1024);
      await file.append([data], data.length);
      const before = poolRequests();
      const small = file.read(1000, 61);
      expect(poolRequests()).toBe(before);
      expect((await small).equals(data.subarray(1000, 1061))).toBe(true);
      const large = file.read(0, 256 * 1024);
      expect(poolRequests()).toBe(before + 1);
      expect((await large).equals(data.subarray(0, 256 * 1024))).toBe(true);
    } finally {
      await file.close();
    }
  });

  test('a read cached only in its first part keeps that part and asks the pool for the rest alone', async () => {
    const name = path.join(dir, '00000000000000000001.log');
    const data = patterned(64 * 1024);
    // written a page at a time: the page cache then holds small folios, and half the file can be
    // dropped (DONTNEED drops only folios wholly inside the range)
    const fd = fs.openSync(name, 'w+');
    for (let p = 0; p < data.length; p += 4096) fs.writeSync(fd, data, p, 4096, p);
    fs.fdatasyncSync(fd); // dirty pages cannot be dropped
    native.posix_fadvise(fd, 32 * 1024, 32 * 1024, native.FADV.DONTNEED);
    fs.closeSync(fd);
    const file = await pwriteEngine.open(name, { preallocateBytes: 0 });
    const asked: { length: number; position: number | bigint | null }[] = [];
    const realRead = fs.read;
    try {
      expect(native.mincore(file.fd, 32 * 1024, 32 * 1024)).toBe(0);
      expect(native.mincore(file.fd, 0, 32 * 1024)).toBe(32 * 1024);
      // observe (not replace) the pool reads the engine makes
      (fs as { read: unknown }).read = (fd: number, buf: Buffer, off: number, length: number, position: number, cb: unknown) => {
        asked.push({ length, position });
        return (realRead as (...a: unknown[]) => void)(fd, buf, off, length, position, cb);
      };
      const got = await file.read(0, 64 * 1024);
      expect(got.equals(data)).toBe(true);
      expect(asked.length).toBeGreaterThan(0);
      // before: the whole 64 KiB again from position 0
      expect(asked[0]!.position).toBe(32 * 1024);
      expect(asked.reduce((n, a) => n + a.length, 0)).toBeLessThanOrEqual(32 * 1024);
    } finally {
      (fs as { read: unknown }).read = realRead;
      await file.close();
    }
  });
});
