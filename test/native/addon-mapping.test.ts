import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { errorOf, nativeAddon, patterned, removeDir, tempDir } from './helpers.js';

const native = nativeAddon();
const page = native.pageSize();
let dir: string;

beforeAll(() => {
  dir = tempDir('mapping');
});
afterAll(() => removeDir(dir));

function fileOf(name: string, bytes: Buffer): { file: string; fd: number } {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return { file, fd: fs.openSync(file, 'r+') };
}

describe('mmap / munmap', () => {
  test('a writable mapping shares bytes with the file both ways', () => {
    const { file, fd } = fileOf('rw', patterned(3 * page));
    const ab = native.mmap(fd, 0, 3 * page, true);
    expect(ab.byteLength).toBe(3 * page);
    const view = Buffer.from(ab);
    expect(view.equals(patterned(3 * page))).toBe(true);
    view.write('written through the mapping', page + 10);
    expect(fs.readFileSync(file).subarray(page + 10, page + 37).toString()).toBe('written through the mapping');
    fs.writeSync(fd, Buffer.from('via write(2)'), 0, 12, 2 * page);
    expect(view.subarray(2 * page, 2 * page + 12).toString()).toBe('via write(2)');
    native.munmap(ab);
    fs.closeSync(fd);
  });

  test('an offset mapping starts at that file position', () => {
    const { fd } = fileOf('offset', patterned(4 * page));
    const ab = native.mmap(fd, 2 * page, page, false);
    expect(Buffer.from(ab).equals(patterned(4 * page).subarray(2 * page, 3 * page))).toBe(true);
    native.munmap(ab);
    fs.closeSync(fd);
  });

  test('munmap detaches: the buffer and every view over it read as empty', () => {
    const { fd } = fileOf('detach', patterned(page));
    const ab = native.mmap(fd, 0, page, true);
    const buf = Buffer.from(ab);
    const u8 = new Uint8Array(ab, 100, 50);
    expect(buf[5]).toBe(patterned(page)[5]);
    native.munmap(ab);
    expect(ab.byteLength).toBe(0);
    expect(buf.length).toBe(0);
    expect(u8.length).toBe(0);
    expect(buf[5]).toBeUndefined();
    // a new view over it is a JS TypeError, not a crash
    expect(() => Buffer.from(ab)).toThrow(TypeError);
    fs.closeSync(fd);
  });

  test('munmap refuses what is not a live mapping (EINVAL)', () => {
    const { fd } = fileOf('twice', patterned(page));
    const ab = native.mmap(fd, 0, page, false);
    native.munmap(ab);
    const again = errorOf(() => native.munmap(ab));
    expect(again.code).toBe('EINVAL');
    expect(again.syscall).toBe('munmap');
    expect(errorOf(() => native.munmap(new ArrayBuffer(16))).code).toBe('EINVAL');
    fs.closeSync(fd);
  });

  test('a mapping never unmapped is unmapped when its ArrayBuffer is garbage collected', () => {
    const { file, fd } = fileOf('gc', patterned(page));
    fs.closeSync(fd);
    const addonPath = path.resolve(import.meta.dirname, '../../native/build/Release/strata_native.node');
    const script = `
      const native = require(${JSON.stringify(addonPath)});
      const fs = require('fs');
      const count = () => fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => l.endsWith(${JSON.stringify(file)})).length;
      const fd = fs.openSync(${JSON.stringify(file)}, 'r');
      let held = [];
      for (let i = 0; i < 50; i++) held.push(native.mmap(fd, 0, ${page}, false));
      const before = count();
      held = null;
      (async () => {
        for (let i = 0; i < 20 && count() > 0; i++) { gc(); await new Promise((r) => setTimeout(r, 10)); }
        console.log(JSON.stringify({ before, after: count() }));
      })();`;
    const child = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ before: 50, after: 0 });
  });

  test('loads in worker threads, which map and unmap concurrently with the main thread', async () => {
    const { Worker } = await import('node:worker_threads');
    const { file, fd } = fileOf('workers', patterned(4 * page));
    const addonPath = path.resolve(import.meta.dirname, '../../native/build/Release/strata_native.node');
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const native = require(workerData.addonPath);
      const fs = require('node:fs');
      const fd = fs.openSync(workerData.file, 'r');
      let sum = 0;
      for (let i = 0; i < 2000; i++) {
        const ab = native.mmap(fd, 0, workerData.length, false);
        sum += new Uint8Array(ab)[i % workerData.length];
        native.munmap(ab);
      }
      fs.closeSync(fd);
      parentPort.postMessage(sum);`;
    const run = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const w = new Worker(source, { eval: true, workerData: { addonPath, file, length: 4 * page } });
        w.once('message', resolve);
        w.once('error', reject);
      });
    const expected = Array.from({ length: 2000 }, (_, i) => patterned(4 * page)[i % (4 * page)]!).reduce((a, b) => a + b, 0);
    const workers = [run(), run()];
    for (let i = 0; i < 2000; i++) native.munmap(native.mmap(fd, 0, page, false));
    expect(await Promise.all(workers)).toEqual([expected, expected]);
    fs.closeSync(fd);
  });

  test('mmap errno paths: EBADF, EINVAL (length 0, unaligned offset), EACCES, ENODEV', () => {
    const { file, fd } = fileOf('errs', patterned(2 * page));
    const closed = fs.openSync(file, 'r');
    fs.closeSync(closed);
    const ebadf = errorOf(() => native.mmap(closed, 0, page, false));
    expect(ebadf.code).toBe('EBADF');
    expect(ebadf.errno).toBe(-9);
    expect(ebadf.message).toMatch(/^EBADF: .*, mmap$/);
    expect(errorOf(() => native.mmap(fd, 0, 0, false)).code).toBe('EINVAL');
    expect(errorOf(() => native.mmap(fd, 1, page, false)).code).toBe('EINVAL');
    const readOnly = fs.openSync(file, 'r');
    expect(errorOf(() => native.mmap(readOnly, 0, page, true)).code).toBe('EACCES');
    fs.closeSync(readOnly);
    const dirFd = fs.openSync(dir, 'r');
    expect(errorOf(() => native.mmap(dirFd, 0, page, false)).code).toBe('ENODEV');
    fs.closeSync(dirFd);
    fs.closeSync(fd);
  });

  test('arguments are validated with Node argument errors naming the argument', () => {
    const typeErr = errorOf(() => native.mmap('3' as unknown as number, 0, page, false));
    expect(typeErr).toBeInstanceOf(TypeError);
    expect(typeErr.code).toBe('ERR_INVALID_ARG_TYPE');
    expect(typeErr.message).toContain('"fd"');
    const neg = errorOf(() => native.mmap(3, -1, page, false));
    expect(neg).toBeInstanceOf(RangeError);
    expect(neg.code).toBe('ERR_OUT_OF_RANGE');
    expect(neg.message).toContain('"offset"');
    expect(errorOf(() => native.mmap(3, 0, 1.5, false)).code).toBe('ERR_OUT_OF_RANGE');
    expect(errorOf(() => native.mmap(3, 0, page, 1 as unknown as boolean)).message).toContain('"writable"');
    expect(errorOf(() => (native.mmap as unknown as () => void)()).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(errorOf(() => native.munmap({} as ArrayBuffer)).code).toBe('ERR_INVALID_ARG_TYPE');
  });
});

describe('msync / msyncAsync / madvise', () => {
  test('msync sync and async succeed on a dirty range; out-of-range and unmapped are errors', () => {
    const { file, fd } = fileOf('msync', Buffer.alloc(4 * page));
    const ab = native.mmap(fd, 0, 4 * page, true);
    Buffer.from(ab).fill(7, 10, 3 * page + 5);
    native.msync(ab, 10, 3 * page - 5, true); // unaligned start: widened down to the page
    native.msync(ab, 0, 4 * page, false);
    native.msync(ab, 0, 0, true);
    expect(fs.readFileSync(file)[3 * page + 4]).toBe(7);
    const range = errorOf(() => native.msync(ab, page, 4 * page, true));
    expect(range.code).toBe('ERR_OUT_OF_RANGE');
    native.munmap(ab);
    expect(errorOf(() => native.msync(ab, 0, page, true)).code).toBe('EINVAL');
    fs.closeSync(fd);
  });

  test('msyncAsync resolves, and holds the mapping: munmap meanwhile is EBUSY', async () => {
    const { fd } = fileOf('msync-async', Buffer.alloc(8 * page));
    const ab = native.mmap(fd, 0, 8 * page, true);
    Buffer.from(ab).fill(1);
    const pending = native.msyncAsync(ab, 0, 8 * page);
    expect(errorOf(() => native.munmap(ab)).code).toBe('EBUSY');
    await pending;
    native.munmap(ab); // free again once it finished
    expect(errorOf(() => native.msyncAsync(ab, 0, page)).code).toBe('EINVAL'); // thrown, not a rejection
    fs.closeSync(fd);
  });

  test('madvise accepts the MADV values and rejects a bad one (EINVAL); DONTNEED keeps shared file data', () => {
    const { fd } = fileOf('madvise', patterned(4 * page));
    const ab = native.mmap(fd, 0, 4 * page, true);
    for (const advice of Object.values(native.MADV)) native.madvise(ab, 0, 4 * page, advice);
    Buffer.from(ab).write('kept', page);
    native.madvise(ab, page, page, native.MADV.DONTNEED);
    // MAP_SHARED: DONTNEED drops our page tables only; the data stays in the file's page cache
    expect(Buffer.from(ab).subarray(page, page + 4).toString()).toBe('kept');
    const bad = errorOf(() => native.madvise(ab, 0, page, 9999));
    expect(bad.code).toBe('EINVAL');
    expect(bad.syscall).toBe('madvise');
    native.munmap(ab);
    fs.closeSync(fd);
  });
});

test('madvise POPULATE_WRITE faults pages in, and answers EFAULT (not SIGBUS) past the end of the file', () => {
  const file = path.join(dir, 'populate');
  const fd = fs.openSync(file, 'w+');
  native.fallocate(fd, 0, 2 * page);
  native.posix_fadvise(fd, 0, 0, native.FADV.DONTNEED);
  const ab = native.mmap(fd, 0, 16 * page, true); // maps past the end: harmless until touched
  expect(native.mincore(fd, 0, 2 * page)).toBe(0);
  native.madvise(ab, 0, 2 * page, native.MADV.POPULATE_WRITE);
  expect(native.mincore(fd, 0, 2 * page)).toBe(2 * page);
  const past = errorOf(() => native.madvise(ab, 0, 16 * page, native.MADV.POPULATE_WRITE));
  expect(past.code).toBe('EFAULT');
  native.munmap(ab);
  fs.closeSync(fd);
});

describe('mincore', () => {
  test('residency drops after DONTNEED and returns after a read', async () => {
    const size = 64 * page;
    const { file, fd } = fileOf('mincore', patterned(size));
    fs.fdatasyncSync(fd); // DONTNEED skips dirty pages
    native.posix_fadvise(fd, 0, 0, native.FADV.DONTNEED);
    const cold = native.mincore(fd, 0, size);
    expect(cold).toBeLessThanOrEqual(page * 2); // the kernel may keep a page it was just using
    fs.readFileSync(file);
    expect(native.mincore(fd, 0, size)).toBe(size);
    // a partial range counts only its own bytes, page granular
    expect(native.mincore(fd, 100, 1000)).toBe(1000);
    native.posix_fadvise(fd, 0, 0, native.FADV.DONTNEED);
    const buf = Buffer.alloc(8 * page);
    fs.readSync(fd, buf, 0, buf.length, 16 * page);
    const after = native.mincore(fd, 16 * page, 8 * page);
    expect(after).toBe(8 * page);
    fs.closeSync(fd);
  });

  test('the range is clipped to the file size; a mapping can be asked too', () => {
    const { fd } = fileOf('mincore-clip', patterned(page + 100));
    fs.readFileSync(fs.readlinkSync(`/proc/self/fd/${fd}`));
    expect(native.mincore(fd, 0, 1 << 30)).toBe(page + 100);
    expect(native.mincore(fd, 10 * page, page)).toBe(0);
    const ab = native.mmap(fd, 0, page, false);
    expect(native.mincore(ab, 0, page)).toBe(page);
    expect(native.mincore(ab, 10, 20)).toBe(20);
    native.munmap(ab);
    expect(errorOf(() => native.mincore(ab, 0, 1)).code).toBe('EINVAL');
    fs.closeSync(fd);
  });

  test('errno paths: EBADF, EINVAL for a non-regular file, EACCES for a write-only fd', () => {
    const { file, fd } = fileOf('mincore-errs', patterned(page));
    fs.closeSync(fd);
    expect(errorOf(() => native.mincore(fd, 0, page)).code).toBe('EBADF');
    const dirFd = fs.openSync(dir, 'r');
    expect(errorOf(() => native.mincore(dirFd, 0, page)).code).toBe('EINVAL');
    fs.closeSync(dirFd);
    const writeOnly = fs.openSync(file, 'w');
    fs.writeSync(writeOnly, patterned(page));
    expect(errorOf(() => native.mincore(writeOnly, 0, page)).code).toBe('EACCES');
    fs.closeSync(writeOnly);
  });
});
