/**
 * A tailing reader while appends land: every read returns whole batches that end exactly at the
 * nextOffset it reports, never past the log end offset it reports (a reader that continues from
 * nextOffset must see each batch once).
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Log, decodeBatchSync, logConfigFrom, silentLogger } from '../../core/index.js';
import { pwriteEngine } from '../../engines/pwrite.js';

describe('Log.read during appends', () => {
  it('returns slices that end at the reported nextOffset, each batch seen once', async () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'strata-tail-'));
    const log = await Log.open(dir, logConfigFrom({ 'segment.bytes': '20000', 'retention.ms': '-1' }), { engine: pwriteEngine, logger: silentLogger });
    const total = 400;
    const appends = Array.from({ length: total }, (_, i) => log.appendRecords([{ value: Buffer.alloc(100, i % 250) }, { value: Buffer.from(String(i)) }]));
    const seen: number[] = [];
    let offset = 0;
    while (offset < total * 2) {
      const info = await log.read(offset, 3000);
      expect(info.nextOffset).toBeLessThanOrEqual(info.logEndOffset);
      let last = offset - 1;
      for (const slice of info.slices) {
        const bytes = fs.readFileSync(slice.path).subarray(slice.position, slice.position + slice.length);
        for (let p = 0; p < bytes.length; ) {
          const b = decodeBatchSync(bytes, p);
          for (const r of b.records) if (r.offset >= offset) seen.push(r.offset);
          last = b.header.baseOffset + b.header.lastOffsetDelta;
          p += b.sizeBytes;
        }
      }
      if (info.slices.length > 0) expect(last + 1).toBe(info.nextOffset);
      offset = info.nextOffset;
      if (info.slices.length === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(appends);
    expect(seen).toEqual(Array.from({ length: total * 2 }, (_, i) => i));
    await log.close();
  });
});
