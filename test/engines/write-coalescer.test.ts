/**
 * The segment writers: the coalescer (contiguous, in-order bytes from concurrent appends in fewer
 * writes), the serial writer of fsync-per-write (one write per append, never two at once), the
 * blocking writer (no threadpool call at all), and how each fails. Writes are counted by the
 * writer's own stats (each writev system call, where it is made) and failures are real ones: a
 * read-only descriptor (EBADF) and a full tmpfs (ENOSPC).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALWAYS_INLINE, COALESCE, NO_IDLE_LISTENER, PAGE_CACHE_INLINE, SERIAL, WriteCoalescer } from '../../engines/write-coalescer.js';

/** A real file and a writer on it; `after` may inspect the file before it is closed. */
function tempFile(prefix = 'strata-wc-'): { path: string; fd: number } {
  const path = join(fs.mkdtempSync(join(os.tmpdir(), prefix)), 'f');
  return { path, fd: fs.openSync(path, 'w+') };
}

/** A read-only descriptor: every write on it fails with EBADF. */
function readOnlyFd(): number {
  const path = join(fs.mkdtempSync(join(os.tmpdir(), 'strata-wc-')), 'f');
  fs.writeFileSync(path, '');
  return fs.openSync(path, 'r');
}

const parts = Array.from({ length: 64 }, (_, i) => [Buffer.from(`<${i}:`), Buffer.alloc(i % 50, 65 + (i % 26)), Buffer.from('>')]);
const bytesOf = (chunks: Buffer[]) => chunks.reduce((n, c) => n + c.length, 0);

describe('WriteCoalescer', () => {
  it('writes concurrent appends contiguously, in call order, in fewer writes than appends', async () => {
    const { path, fd } = tempFile();
    let idle = 0;
    const writer = new WriteCoalescer(fd, 0, { writesIdle: () => idle++ });
    try {
      const many = Array.from({ length: 200 }, (_, i) => [Buffer.from(`<${i}:`), Buffer.alloc(i % 50, 65 + (i % 26)), Buffer.from('>')]);
      await Promise.all(many.map((chunks) => writer.write(chunks, bytesOf(chunks))));
      expect(fs.readFileSync(path).equals(Buffer.concat(many.flat()))).toBe(true);
      expect(writer.stats.writes).toBeLessThan(200 / 4); // queued appends share writes
      expect(writer.stats.writtenBytes).toBe(bytesOf(many.flat()));
      expect(writer.pending).toBe(0);
      expect(idle).toBeGreaterThanOrEqual(1);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('fails every queued append once a write fails, and every later one', async () => {
    const fd = readOnlyFd();
    const writer = new WriteCoalescer(fd, 0, NO_IDLE_LISTENER);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => writer.write([Buffer.from('x')], 1)));
    expect(results.every((r) => r.status === 'rejected' && (r.reason as NodeJS.ErrnoException).code === 'EBADF')).toBe(true);
    await expect(writer.write([Buffer.from('y')], 1)).rejects.toMatchObject({ code: 'EBADF' });
    expect(writer.stats.writes).toBe(1); // the failed write; the queued appends were never written
    fs.closeSync(fd);
  });
});

describe('WriteCoalescer with empty chunks', () => {
  it('completes an append whose chunks include empty ones, through the threadpool too', async () => {
    const { path, fd } = tempFile();
    const writer = new WriteCoalescer(fd, 0, NO_IDLE_LISTENER); // no inline writes: every write in the threadpool
    try {
      const appends = [[Buffer.from('ab'), Buffer.alloc(0)], [Buffer.alloc(0), Buffer.from('c')], [Buffer.alloc(0)]];
      // a hang guard, not a speed target: an empty tail chunk once made the write loop forever
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('append with an empty chunk never completed')), 10_000)));
      await Promise.race([Promise.all(appends.map((chunks) => writer.write(chunks, bytesOf(chunks)))), hang]).finally(() => clearTimeout(timer));
      expect(fs.readFileSync(path, 'utf8')).toBe('abc');
      expect(writer.pending).toBe(0);
    } finally {
      fs.closeSync(fd);
    }
  });
});

describe('WriteCoalescer with two writes in flight', () => {
  it('starts a second write once 256 KiB queued behind the first, and coalesces the rest', async () => {
    const { path, fd } = tempFile();
    try {
      const writer = new WriteCoalescer(fd, 0, NO_IDLE_LISTENER);
      const chunk = (i: number) => [Buffer.alloc(64 * 1024, 48 + (i % 10))];
      // all issued in one turn: no write can complete in between
      await Promise.all(Array.from({ length: 12 }, (_, i) => writer.write(chunk(i), 64 * 1024)));
      expect(fs.readFileSync(path).equals(Buffer.concat(Array.from({ length: 12 }, (_, i) => chunk(i)[0]!)))).toBe(true);
      // append 0 alone; 1-4 (256 KiB) beside it, without waiting for it; 5-11 together after one of them
      expect(writer.writesInFlightMax).toBe(2);
      expect(writer.stats.writes).toBe(3);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('keeps a small tail queued behind one write in flight (it joins the next write)', async () => {
    const { fd } = tempFile();
    const writer = new WriteCoalescer(fd, 0, NO_IDLE_LISTENER);
    try {
      // 1 KiB appends: 64 KiB in all never reaches the pipelining threshold
      await Promise.all(Array.from({ length: 64 }, () => writer.write([Buffer.alloc(1024, 7)], 1024)));
    } finally {
      fs.closeSync(fd);
    }
    expect(writer.writesInFlightMax).toBe(1);
    expect(writer.stats.writes).toBe(2); // the first alone, the other 63 together
  });
});

/**
 * A real ENOSPC on a 1 MiB tmpfs (needs root to mount, as test/core/full-disk.test.ts; skipped with a
 * message otherwise): the file's pages past its first 64 KiB are allocated beforehand and the rest of
 * the tmpfs is filled, so the write at position 0 fails while the writes after it, into allocated
 * pages, land.
 */
const mountPoint = fs.mkdtempSync(join(os.tmpdir(), 'strata-wc-full-'));
let mounted = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { stdio: 'ignore' });
  mounted = true;
} catch {
  process.stderr.write(`write-coalescer ENOSPC test skipped: cannot mount a tmpfs at ${mountPoint} (needs root)\n`);
}

// at the top level, so it runs even when a filter skips the test below
afterAll(() => {
  if (mounted) execFileSync('umount', [mountPoint]);
  fs.rmSync(mountPoint, { recursive: true, force: true });
});

describe.skipIf(!mounted)('WriteCoalescer on a full disk', () => {
  it('fails the failed write, everything queued behind it and every later write(), while a write beside it lands', async () => {
    const APPEND = 64 * 1024;
    const path = join(mountPoint, 'segment');
    fs.writeFileSync(path, '');
    const fd = fs.openSync(path, 'r+');
    fs.writeSync(fd, Buffer.alloc(11 * APPEND, 0xee), 0, 11 * APPEND, APPEND); // allocate [64 KiB, 768 KiB)
    const filler = fs.openSync(join(mountPoint, 'filler'), 'w');
    try {
      for (;;) fs.writeSync(filler, Buffer.alloc(4096, 1));
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    fs.closeSync(filler);
    try {
      const writer = new WriteCoalescer(fd, 0, NO_IDLE_LISTENER);
      const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => writer.write([Buffer.alloc(APPEND, i + 1)], APPEND)));
      const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as NodeJS.ErrnoException).code : 'ok'));
      // append 0 went alone into the hole and failed; 1-4 (256 KiB) went beside it and landed (the
      // Log fails those too: test/core/append-failure-order); 5-11 were queued: failed with it, or
      // written together when 1-4 finished first
      expect(codes.slice(0, 5)).toEqual(['ENOSPC', 'ok', 'ok', 'ok', 'ok']);
      expect(new Set(codes.slice(5)).size).toBe(1);
      expect(['ok', 'ENOSPC']).toContain(codes[5]);
      const beside = Buffer.alloc(4 * APPEND);
      fs.readSync(fd, beside, 0, beside.length, APPEND);
      expect(beside.equals(Buffer.concat([1, 2, 3, 4].map((i) => Buffer.alloc(APPEND, i + 1))))).toBe(true);
      await expect(writer.write([Buffer.from('x')], 1)).rejects.toMatchObject({ code: 'ENOSPC' });
      expect(writer.pending).toBe(0);
    } finally {
      fs.closeSync(fd);
    }
  });
});

describe('WriteCoalescer with the SERIAL limits (fsync-per-write)', () => {
  it('gives every append its own write, one at a time, in call order', async () => {
    const { path, fd } = tempFile('strata-sw-');
    let idle = 0;
    const writer = new WriteCoalescer(fd, 0, { writesIdle: () => idle++ }, SERIAL);
    try {
      await Promise.all(parts.map((chunks) => writer.write(chunks, bytesOf(chunks))));
    } finally {
      fs.closeSync(fd);
    }
    expect(fs.readFileSync(path).equals(Buffer.concat(parts.flat()))).toBe(true);
    expect(writer.stats.writes).toBe(parts.length); // no coalescing: each append carries its own sync
    expect(writer.writesInFlightMax).toBe(1); // no overlap: the kernel cannot merge their journal commits
    expect(writer.pending).toBe(0);
    expect(idle).toBe(1);
  });

  it('fails the failing append, every queued one, and every later one', async () => {
    const fd = readOnlyFd();
    const writer = new WriteCoalescer(fd, 0, NO_IDLE_LISTENER, SERIAL);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => writer.write([Buffer.from('x')], 1)));
    expect(results.every((r) => r.status === 'rejected' && (r.reason as NodeJS.ErrnoException).code === 'EBADF')).toBe(true);
    await expect(writer.write([Buffer.from('y')], 1)).rejects.toMatchObject({ code: 'EBADF' });
    expect(writer.pending).toBe(0);
    fs.closeSync(fd);
  });
});

describe('WriteCoalescer with ALWAYS_INLINE (the -blocking engines)', () => {
  it('has written the bytes when write() returns, without a threadpool call', async () => {
    const { path, fd } = tempFile('strata-bw-');
    const writer = new WriteCoalescer(fd, 0, NO_IDLE_LISTENER, { ...COALESCE, inline: ALWAYS_INLINE });
    try {
      let expectedBytes = 0;
      const acks: Promise<void>[] = [];
      for (const chunks of parts) {
        acks.push(writer.write(chunks, bytesOf(chunks)));
        expectedBytes += bytesOf(chunks);
        // before any await: the write already happened
        expect(fs.fstatSync(fd).size).toBe(expectedBytes);
        expect(writer.pending).toBe(0);
      }
      await Promise.all(acks);
    } finally {
      fs.closeSync(fd);
    }
    expect(writer.threadpoolWrites).toBe(0);
    expect(writer.stats.writes).toBe(parts.length);
    expect(fs.readFileSync(path).equals(Buffer.concat(parts.flat()))).toBe(true);
  });
});

describe('WriteCoalescer with inline writes (pwrite)', () => {
  it('writes an append that finds it idle on the calling thread: in the file when write returns', async () => {
    const { path, fd } = tempFile();
    let idle = 0;
    const writer = new WriteCoalescer(fd, 0, { writesIdle: () => idle++ }, { ...COALESCE, inline: PAGE_CACHE_INLINE });
    try {
      const written = writer.write([Buffer.from('abc'), Buffer.from('def')], 6);
      expect(fs.readFileSync(path, 'utf8')).toBe('abcdef'); // before any await
      expect(writer.pending).toBe(0);
      expect(idle).toBe(1);
      await written;
      expect(writer.inlineWrites).toBe(1);
      expect(writer.threadpoolWrites).toBe(0);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('goes to the threadpool for poolPauseMs after a slow inline write, then back inline', async () => {
    const { path, fd } = tempFile();
    // every inline write counts as slow (slowWriteMs -1): the next ones take the threadpool
    const inline = { slowWriteMs: -1, poolPauseMs: 60_000 };
    const writer = new WriteCoalescer(fd, 0, NO_IDLE_LISTENER, { ...COALESCE, inline });
    try {
      const first = writer.write([Buffer.from('1')], 1);
      expect(fs.readFileSync(path, 'utf8')).toBe('1'); // inline: written in the call
      const pooled = [writer.write([Buffer.from('2')], 1), writer.write([Buffer.from('3')], 1)];
      expect(writer.pending).toBe(2); // in the threadpool: not written yet as far as this thread knows
      await Promise.all([first, ...pooled]);
      expect(fs.readFileSync(path, 'utf8')).toBe('123');
      expect([writer.inlineWrites, writer.threadpoolWrites]).toEqual([1, 2]); // 2 went at once, 3 after it
      // a pause of 0: the writer is back inline at once after a slow write
      const fresh = new WriteCoalescer(fd, 3, NO_IDLE_LISTENER, { ...COALESCE, inline: { slowWriteMs: -1, poolPauseMs: 0 } });
      fresh.write([Buffer.from('4')], 1);
      fresh.write([Buffer.from('5')], 1);
      expect(fs.readFileSync(path, 'utf8')).toBe('12345'); // both written in the call
      expect(fresh.pending).toBe(0);
      expect(fresh.threadpoolWrites).toBe(0);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('queues behind a write in flight, after the pause too, instead of writing inline past it', async () => {
    const { path, fd } = tempFile();
    const writer = new WriteCoalescer(fd, 0, NO_IDLE_LISTENER, { ...COALESCE, inline: { slowWriteMs: -1, poolPauseMs: 20 } });
    try {
      writer.write([Buffer.from('a')], 1); // inline, and slow: the threadpool for the next 20 ms
      const inFlight = writer.write([Buffer.from('b')], 1);
      // the pause ends while b is still in flight (its completion cannot run during this loop)
      const until = performance.now() + 40;
      while (performance.now() < until);
      expect(writer.pending).toBe(1);
      const queued = writer.write([Buffer.from('c')], 1);
      expect(writer.pending).toBe(2); // queued, not written inline past b
      await Promise.all([inFlight, queued]);
      expect(fs.readFileSync(path, 'utf8')).toBe('abc');
      expect(writer.inlineWrites).toBe(1);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('with the SERIAL limits (fsync-per-write), the threadpool path still takes one append per write', async () => {
    const { path, fd } = tempFile();
    const writer = new WriteCoalescer(fd, 0, NO_IDLE_LISTENER, { ...SERIAL, inline: { slowWriteMs: -1, poolPauseMs: 60_000 } });
    try {
      writer.write([Buffer.from('a')], 1);
      expect(fs.readFileSync(path, 'utf8')).toBe('a'); // inline
      await Promise.all(['b', 'c', 'd'].map((v) => writer.write([Buffer.from(v)], 1)));
      expect(writer.threadpoolWrites).toBe(3);
      expect(writer.stats.writes).toBe(4);
      expect(fs.readFileSync(path, 'utf8')).toBe('abcd');
    } finally {
      fs.closeSync(fd);
    }
  });

  it('fails an inline write clearly and every write after it', async () => {
    const fd = readOnlyFd();
    const writer = new WriteCoalescer(fd, 0, NO_IDLE_LISTENER, { ...COALESCE, inline: PAGE_CACHE_INLINE });
    try {
      await expect(writer.write([Buffer.from('x')], 1)).rejects.toMatchObject({ code: 'EBADF' });
      await expect(writer.write([Buffer.from('y')], 1)).rejects.toMatchObject({ code: 'EBADF' });
    } finally {
      fs.closeSync(fd);
    }
  });
});
