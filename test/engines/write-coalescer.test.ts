/** The write coalescer: contiguous, in-order bytes from concurrent appends, fewer writes, and failure. */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WriteCoalescer } from '../../engines/write-coalescer.js';

describe('WriteCoalescer', () => {
  it('writes concurrent appends contiguously, in call order, in fewer writes than appends', async () => {
    const path = join(fs.mkdtempSync(join(os.tmpdir(), 'strata-wc-')), 'f');
    const fd = fs.openSync(path, 'w+');
    let idle = 0;
    const writer = new WriteCoalescer(fd, 0, () => idle++);
    const writev = fs.writev;
    let writes = 0;
    (fs as { writev: typeof fs.writev }).writev = ((...args: Parameters<typeof fs.writev>) => {
      writes++;
      return writev(...args);
    }) as typeof fs.writev;
    try {
      const parts = Array.from({ length: 200 }, (_, i) => [Buffer.from(`<${i}:`), Buffer.alloc(i % 50, 65 + (i % 26)), Buffer.from('>')]);
      await Promise.all(parts.map((chunks) => writer.write(chunks, chunks.reduce((n, c) => n + c.length, 0))));
      expect(fs.readFileSync(path).equals(Buffer.concat(parts.flat()))).toBe(true);
      expect(writes).toBeLessThan(200 / 4); // queued appends share writes
      expect(writer.pending).toBe(0);
      expect(idle).toBeGreaterThanOrEqual(1);
    } finally {
      (fs as { writev: typeof fs.writev }).writev = writev;
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
