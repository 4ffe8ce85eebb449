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
      // dropped pages: the read would wait for the disk, so it is refused. A readahead the reads
      // above started can land between the drop and the read (seen on a loaded CI machine), so
      // the drop is retried until a read meets a dropped page; whatever it returns is -1 or the bytes
      let refused = false;
      for (let attempt = 0; attempt < 20 && !refused; attempt++) {
        native.posix_fadvise(fd, 0, 0, native.FADV.DONTNEED);
        if (native.mincore(fd, 128 * 1024, 4096) !== 0) continue;
        const n = native.preadNoWait!(fd, buf, 128 * 1024);
        expect([-1, 4096]).toContain(n);
        refused = n === -1;
      }
      expect(refused).toBe(true);
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
    fs.closeSync(fd);
    const file = await pwriteEngine.open(name, { preallocateBytes: 0 });
    const realRead = fs.read;
    let asked: { length: number; position: number | bigint | null }[] = [];
    try {
      // observe (not replace) the pool reads the engine makes
      (fs as { read: unknown }).read = (fd: number, buf: Buffer, off: number, length: number, position: number, cb: unknown) => {
        asked.push({ length, position });
        return (realRead as (...a: unknown[]) => void)(fd, buf, off, length, position, cb);
      };
      // a readahead can bring the dropped half back before the read (then no pool read at all):
      // retried until a read meets the half-dropped state
      let partial = false;
      for (let attempt = 0; attempt < 20 && !partial; attempt++) {
        native.posix_fadvise(file.fd, 32 * 1024, 32 * 1024, native.FADV.DONTNEED);
        if (native.mincore(file.fd, 32 * 1024, 32 * 1024) !== 0 || native.mincore(file.fd, 0, 32 * 1024) !== 32 * 1024) continue;
        asked = [];
        const got = await file.read(0, 64 * 1024);
        expect(got.equals(data)).toBe(true);
        if (asked.length === 0) continue;
        // before: the whole 64 KiB again from position 0
        expect(asked[0]!.position).toBe(32 * 1024);
        expect(asked.reduce((n, a) => n + a.length, 0)).toBeLessThanOrEqual(32 * 1024);
        partial = true;
      }
      expect(partial).toBe(true);
    } finally {
      (fs as { read: unknown }).read = realRead;
      await file.close();
    }
  });
});
