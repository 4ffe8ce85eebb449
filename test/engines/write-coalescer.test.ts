/**
 * The segment writers: the coalescer (contiguous, in-order bytes from concurrent appends in fewer
 * writes), the serial writer of fsync-per-write (one write per append, never two at once), the
 * blocking writer (no threadpool call at all), and how each fails.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APPEND_LANDED } from '../../core/engine.js';
import { ALWAYS_INLINE, COALESCE, PAGE_CACHE_INLINE, SERIAL, WriteCoalescer } from '../../engines/write-coalescer.js';

/** Wraps fs.writev to count calls and the most calls in flight at once. */
function instrumentWritev(): { stats: { calls: number; inFlightMax: number }; restore: () => void } {
  const writev = fs.writev;
  const stats = { calls: 0, inFlightMax: 0 };
  let inFlight = 0;
  (fs as { writev: unknown }).writev = (fd: number, bufs: Buffer[], pos: number, cb: (err: Error | null, n: number) => void) => {
    stats.calls++;
    stats.inFlightMax = Math.max(stats.inFlightMax, ++inFlight);
    writev(fd, bufs, pos, (err, n) => {
      inFlight--;
      cb(err, n);
    });
  };
  return { stats, restore: () => ((fs as { writev: typeof fs.writev }).writev = writev) };
}

describe('WriteCoalescer', () => {
  it('writes concurrent appends contiguously, in call order, in fewer writes than appends', async () => {
    const path = join(fs.mkdtempSync(join(os.tmpdir(), 'strata-wc-')), 'f');
    const fd = fs.openSync(path, 'w+');
    let idle = 0;
    const writer = new WriteCoalescer(fd, 0, () => idle++);
    const { stats: writes, restore } = instrumentWritev();
    try {
      const parts = Array.from({ length: 200 }, (_, i) => [Buffer.from(`<${i}:`), Buffer.alloc(i % 50, 65 + (i % 26)), Buffer.from('>')]);
      await Promise.all(parts.map((chunks) => writer.write(chunks, chunks.reduce((n, c) => n + c.length, 0))));
      expect(fs.readFileSync(path).equals(Buffer.concat(parts.flat()))).toBe(true);
      expect(writes.calls).toBeLessThan(200 / 4); // queued appends share writes
      expect(writer.pending).toBe(0);
      expect(idle).toBeGreaterThanOrEqual(1);
    } finally {
      restore();
      fs.closeSync(fd);
    }
  });

  it('fails every queued append once a write fails, and every later one', async () => {
    const path = join(fs.mkdtempSync(join(os.tmpdir(), 'strata-wc-')), 'f');
    fs.writeFileSync(path, '');
    const fd = fs.openSync(path, 'r'); // read-only: writes fail with EBADF
    const writer = new WriteCoalescer(fd, 0, () => {});
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => writer.write([Buffer.from('x')], 1)));
    expect(results.every((r) => r.status === 'rejected' && (r.reason as NodeJS.ErrnoException).code === 'EBADF')).toBe(true);
    await expect(writer.write([Buffer.from('y')], 1)).rejects.toMatchObject({ code: 'EBADF' });
    fs.closeSync(fd);
  });
});

describe('WriteCoalescer with two writes in flight', () => {
  it('starts a second write once 256 KiB queued behind the first; each settles when it lands', async () => {
    const path = join(fs.mkdtempSync(join(os.tmpdir(), 'strata-wc-')), 'f');
    const fd = fs.openSync(path, 'w+');
    const writev = fs.writev;
    let calls = 0;
    let inFlight = 0;
    let inFlightMax = 0;
    // the first write finishes last: its callback is held back 50 ms
    (fs as { writev: unknown }).writev = (f: number, bufs: Buffer[], pos: number, cb: (err: Error | null, n: number) => void) => {
      const call = calls++;
      inFlightMax = Math.max(inFlightMax, ++inFlight);
      writev(f, bufs, pos, (err, n) => {
        const finish = () => {
          inFlight--;
          cb(err, n);
        };
        if (call === 0) setTimeout(finish, 50);
        else finish();
      });
    };
    const order: number[] = [];
    try {
      const writer = new WriteCoalescer(fd, 0, () => {});
      const chunk = (i: number) => [Buffer.alloc(64 * 1024, 48 + (i % 10))];
      const acks = Array.from({ length: 12 }, (_, i) => writer.write(chunk(i), 64 * 1024).then(() => order.push(i)));
      await Promise.all(acks);
      expect(fs.readFileSync(path).equals(Buffer.concat(Array.from({ length: 12 }, (_, i) => chunk(i)[0]!)))).toBe(true);
    } finally {
      (fs as { writev: typeof fs.writev }).writev = writev;
      fs.closeSync(fd);
    }
    expect(inFlightMax).toBe(2); // the second write did not wait for the first
    expect(calls).toBeLessThan(12); // the rest still coalesced
    // the first write finished last, and its appends heard last: the Log, not the writer, orders acks
    expect(order.slice(-1)).toEqual([0]);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('keeps a small tail queued behind one write in flight (it joins the next write)', async () => {
    const path = join(fs.mkdtempSync(join(os.tmpdir(), 'strata-wc-')), 'f');
    const fd = fs.openSync(path, 'w+');
    const { stats, restore } = instrumentWritev();
    try {
      const writer = new WriteCoalescer(fd, 0, () => {});
      // 1 KiB appends: 64 KiB in all never reaches the pipelining threshold
      await Promise.all(Array.from({ length: 64 }, () => writer.write([Buffer.alloc(1024, 7)], 1024)));
    } finally {
      restore();
      fs.closeSync(fd);
    }
    expect(stats.inFlightMax).toBe(1);
    expect(stats.calls).toBe(2); // the first alone, the other 63 together
  });

  it('fails the failed write, everything queued and every later write(), while a write beside it may land', async () => {
    const path = join(fs.mkdtempSync(join(os.tmpdir(), 'strata-wc-')), 'f');
    const fd = fs.openSync(path, 'w+');
    const writev = fs.writev;
    let calls = 0;
    // the first write fails at 30 ms, the second (beside it) lands at 60 ms
    (fs as { writev: unknown }).writev = (f: number, bufs: Buffer[], pos: number, cb: (err: Error | null, n: number) => void) => {
      if (calls++ === 0) setTimeout(() => cb(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }), 0), 30);
      else writev(f, bufs, pos, (err, n) => setTimeout(() => cb(err, n), 60));
    };
    try {
      const writer = new WriteCoalescer(fd, 0, () => {});
      const results = await Promise.allSettled(Array.from({ length: 12 }, () => writer.write([Buffer.alloc(64 * 1024, 1)], 64 * 1024)));
      expect(calls).toBe(2);
      const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as NodeJS.ErrnoException).code : 'ok'));
      // the first append went alone and failed; appends 2-5 (256 KiB) went beside it and landed
      // (the Log fails those too: test/core/append-failure-order); 6-12 were queued and failed
      expect(codes).toEqual(['EIO', 'ok', 'ok', 'ok', 'ok', 'EIO', 'EIO', 'EIO', 'EIO', 'EIO', 'EIO', 'EIO']);
      await expect(writer.write([Buffer.from('x')], 1)).rejects.toMatchObject({ code: 'EIO' });
      expect(writer.pending).toBe(0);
    } finally {
      (fs as { writev: typeof fs.writev }).writev = writev;
      fs.closeSync(fd);
    }
  });
});

const parts = Array.from({ length: 64 }, (_, i) => [Buffer.from(`<${i}:`), Buffer.alloc(i % 50, 65 + (i % 26)), Buffer.from('>')]);
const bytesOf = (chunks: Buffer[]) => chunks.reduce((n, c) => n + c.length, 0);

describe('WriteCoalescer with the SERIAL limits (fsync-per-write)', () => {
  it('gives every append its own write, one at a time, in call order', async () => {
    const path = join(fs.mkdtempSync(join(os.tmpdir(), 'strata-sw-')), 'f');
    const fd = fs.openSync(path, 'w+');
    let idle = 0;
    const writer = new WriteCoalescer(fd, 0, () => idle++, SERIAL);
    const { stats, restore } = instrumentWritev();
    try {
      await Promise.all(parts.map((chunks) => writer.write(chunks, bytesOf(chunks))));
    } finally {
      restore();
      fs.closeSync(fd);
    }
    expect(fs.readFileSync(path).equals(Buffer.concat(parts.flat()))).toBe(true);
    expect(stats.calls).toBe(parts.length); // no coalescing: each append carries its own sync
    expect(stats.inFlightMax).toBe(1); // no overlap: the kernel cannot merge their journal commits
    expect(writer.pending).toBe(0);
    expect(idle).toBe(1);
  });

  it('fails the failing append, every queued one, and every later one', async () => {
    const path = join(fs.mkdtempSync(join(os.tmpdir(), 'strata-sw-')), 'f');
    fs.writeFileSync(path, '');
    const fd = fs.openSync(path, 'r');
    const writer = new WriteCoalescer(fd, 0, () => {}, SERIAL);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => writer.write([Buffer.from('x')], 1)));
    expect(results.every((r) => r.status === 'rejected' && (r.reason as NodeJS.ErrnoException).code === 'EBADF')).toBe(true);
    await expect(writer.write([Buffer.from('y')], 1)).rejects.toMatchObject({ code: 'EBADF' });
    expect(writer.pending).toBe(0);
    fs.closeSync(fd);
  });
});

describe('WriteCoalescer with ALWAYS_INLINE (the -blocking engines)', () => {
  it('has written the bytes when write() returns, without a threadpool call', async () => {
    const path = join(fs.mkdtempSync(join(os.tmpdir(), 'strata-bw-')), 'f');
    const fd = fs.openSync(path, 'w+');
    const writer = new WriteCoalescer(fd, 0, () => {}, { ...COALESCE, inline: ALWAYS_INLINE });
    const { stats, restore } = instrumentWritev();
    try {
      let expectedBytes = 0;
      const acks: Promise<void>[] = [];
      for (const chunks of parts) {
        acks.push(writer.write(chunks, bytesOf(chunks)));
        expectedBytes += bytesOf(chunks);
        // before any await: the write already happened
        expect(fs.fstatSync(fd).size).toBe(expectedBytes);
      }
      await Promise.all(acks);
    } finally {
      restore();
      fs.closeSync(fd);
    }
    expect(stats.calls).toBe(0);
    expect(fs.readFileSync(path).equals(Buffer.concat(parts.flat()))).toBe(true);
  });
});

describe('WriteCoalescer with inline writes (pwrite)', () => {
  const tempFile = () => {
    const path = join(fs.mkdtempSync(join(os.tmpdir(), 'strata-wc-')), 'f');
    return { path, fd: fs.openSync(path, 'w+') };
  };

  it('writes an append that finds it idle on the calling thread: landed, and in the file, when write returns', async () => {
    const { path, fd } = tempFile();
    let idle = 0;
    const writer = new WriteCoalescer(fd, 0, () => idle++, { ...COALESCE, inline: PAGE_CACHE_INLINE });
    try {
      const written = writer.write([Buffer.from('abc'), Buffer.from('def')], 6);
      expect(written).toBe(APPEND_LANDED);
      expect(fs.readFileSync(path, 'utf8')).toBe('abcdef'); // before any await
      expect(writer.pending).toBe(0);
      expect(idle).toBe(1);
      await written;
    } finally {
      fs.closeSync(fd);
    }
  });

  it('goes to the threadpool for poolPauseMs after a slow inline write, then back inline', async () => {
    const { path, fd } = tempFile();
    // every inline write counts as slow (slowWriteMs -1): the next ones take the threadpool
    const inline = { slowWriteMs: -1, poolPauseMs: 60_000 };
    const writer = new WriteCoalescer(fd, 0, () => {}, { ...COALESCE, inline });
    try {
      expect(writer.write([Buffer.from('1')], 1)).toBe(APPEND_LANDED);
      const pooled = [writer.write([Buffer.from('2')], 1), writer.write([Buffer.from('3')], 1)];
      for (const p of pooled) expect(p).not.toBe(APPEND_LANDED);
      expect(writer.pending).toBe(2);
      await Promise.all(pooled);
      expect(fs.readFileSync(path, 'utf8')).toBe('123');
      // a pause of 0: the writer is back inline at once after a slow write
      const fresh = new WriteCoalescer(fd, 3, () => {}, { ...COALESCE, inline: { slowWriteMs: -1, poolPauseMs: 0 } });
      expect(fresh.write([Buffer.from('4')], 1)).toBe(APPEND_LANDED);
      expect(fresh.write([Buffer.from('5')], 1)).toBe(APPEND_LANDED);
      expect(fs.readFileSync(path, 'utf8')).toBe('12345');
    } finally {
      fs.closeSync(fd);
    }
  });

  it('queues behind a write in flight, after the pause too, instead of writing inline past it', async () => {
    const { path, fd } = tempFile();
    const writer = new WriteCoalescer(fd, 0, () => {}, { ...COALESCE, inline: { slowWriteMs: -1, poolPauseMs: 20 } });
    try {
      writer.write([Buffer.from('a')], 1); // inline, and slow: the threadpool for the next 20 ms
      const inFlight = writer.write([Buffer.from('b')], 1);
      // the pause ends while b is still in flight (its completion cannot run during this loop)
      const until = performance.now() + 40;
      while (performance.now() < until);
      expect(writer.pending).toBe(1);
      const queued = writer.write([Buffer.from('c')], 1);
      expect(queued).not.toBe(APPEND_LANDED);
      await Promise.all([inFlight, queued]);
      expect(fs.readFileSync(path, 'utf8')).toBe('abc');
    } finally {
      fs.closeSync(fd);
    }
  });

  it('with the SERIAL limits (fsync-per-write), the threadpool path still takes one append per write', async () => {
    const { path, fd } = tempFile();
    const writer = new WriteCoalescer(fd, 0, () => {}, { ...SERIAL, inline: { slowWriteMs: -1, poolPauseMs: 60_000 } });
    const { stats: writes, restore } = instrumentWritev();
    try {
      expect(writer.write([Buffer.from('a')], 1)).toBe(APPEND_LANDED);
      await Promise.all(['b', 'c', 'd'].map((v) => writer.write([Buffer.from(v)], 1)));
      expect(writes.calls).toBe(3);
      expect(fs.readFileSync(path, 'utf8')).toBe('abcd');
    } finally {
      restore();
      fs.closeSync(fd);
    }
  });

  it('fails an inline write clearly and every write after it', async () => {
    const path = join(fs.mkdtempSync(join(os.tmpdir(), 'strata-wc-')), 'f');
    fs.writeFileSync(path, '');
    const fd = fs.openSync(path, 'r'); // read-only: writes fail with EBADF
    const writer = new WriteCoalescer(fd, 0, () => {}, { ...COALESCE, inline: PAGE_CACHE_INLINE });
    try {
      await expect(writer.write([Buffer.from('x')], 1)).rejects.toMatchObject({ code: 'EBADF' });
      await expect(writer.write([Buffer.from('y')], 1)).rejects.toMatchObject({ code: 'EBADF' });
    } finally {
      fs.closeSync(fd);
    }
  });
});
