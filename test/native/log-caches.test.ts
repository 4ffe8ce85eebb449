/** The caches under the real Log (mmap and pwrite engines): reads are served, counted and hinted, through the log and the buffered transfer. */
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { logConfigFrom } from '../../core/config/log-config.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { PageCache } from '../../engines/cache/page-cache.js';
import { UserLruCache } from '../../engines/cache/user-lru.js';
import { mmapEngine } from '../../engines/mmap.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { bufferedTransfer } from '../../engines/transfer/buffered.js';
import { nativeAddon, removeDir, tempDir } from './helpers.js';

nativeAddon();
let dir: string;
beforeAll(() => {
  dir = tempDir('log-caches');
});
afterAll(() => removeDir(dir));

const records = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${from + i}`), value: Buffer.alloc(200, (from + i) & 0xff) }));

describe('caches under a Log on the mmap engine', () => {
  test('user-lru keeps what reads bring in (not appends) and serves the re-read from memory', async () => {
    const cache = new UserLruCache({ bytesMax: 1 << 20 });
    const log = await Log.open(`${dir}/lru`, logConfigFrom({ preallocate: true, 'segment.bytes': String(1 << 20) }), { engine: mmapEngine, cache, logger: silentLogger });
    for (let i = 0; i < 5; i++) await log.appendRecords(records(10, i * 10));
    expect(cache.stats()).toEqual({ hits: 0, misses: 0, bytes: 0 }); // appends are not copied in
    const one = await log.readBatches(20, 1);
    expect(one.map((b) => b.header.baseOffset)).toEqual([20]);
    const afterFirst = cache.stats();
    expect(afterFirst.misses).toBeGreaterThan(0); // the header scan's window, read from the mapping
    expect(afterFirst.bytes).toBe(log.sizeBytes); // ... and kept: it spans the log, and the batch read came from it
    // three batches: the scan window read before holds them; no read of the file
    const three = await log.readBatches(10, 3 * one[0]!.sizeBytes);
    expect(three.map((b) => b.header.baseOffset)).toEqual([10, 20, 30]);
    expect(cache.stats().misses).toBe(afterFirst.misses);
    expect(cache.stats().hits).toBeGreaterThan(afterFirst.hits);
    expect(cache.stats().bytes).toBeLessThanOrEqual(1 << 20);
    await log.close();
    expect(cache.stats().bytes).toBe(0); // closed segments hold nothing
  });

  test('page-cache hints read-ahead as a consumer reads the log', async () => {
    const cache = new PageCache({ readAheadBytes: 64 * 1024 });
    const log = await Log.open(`${dir}/pc`, logConfigFrom({}), { engine: mmapEngine, cache, logger: silentLogger });
    for (let i = 0; i < 200; i++) await log.appendRecords(records(10, i * 10));
    let offset = 0;
    let batches = 0;
    while (offset < log.logEndOffset) {
      const got = await log.readBatches(offset, 16 * 1024);
      batches += got.length;
      const last = got[got.length - 1]!;
      offset = last.header.baseOffset + last.header.lastOffsetDelta + 1;
    }
    expect(batches).toBe(200);
    // ~420 KiB read in 16 KiB steps with a 64 KiB window: a hint every ~32 KiB, not every read
    const hints = cache.stats().readAheadHints;
    expect(hints).toBeGreaterThan(5);
    expect(hints).toBeLessThan(20); // ~27 reads: without the half-window rule every read would hint
    await log.close();
  });

  test('page-cache hints read-ahead as the buffered transfer sends a Fetch\'s slices', async () => {
    const cache = new PageCache({ readAheadBytes: 64 * 1024 });
    const log = await Log.open(`${dir}/pc-buffered`, logConfigFrom({}), { engine: pwriteEngine, cache, logger: silentLogger });
    for (let i = 0; i < 200; i++) await log.appendRecords(records(10, i * 10));
    const conn = await loopback();
    let offset = 0;
    let sent = 0;
    const hintsBefore = cache.stats().readAheadHints;
    while (offset < log.logEndOffset) {
      const info = await log.read(offset, 16 * 1024);
      sent += await bufferedTransfer.send(conn.server, info.slices);
      offset = info.nextOffset;
    }
    conn.close();
    expect(sent).toBe(log.sizeBytes);
    // the log's header scans hint too; the transfer's 16 KiB reads add theirs
    expect(cache.stats().readAheadHints - hintsBefore).toBeGreaterThan(5);
    await log.close();
  });
});

/** A loopback connection whose reader discards what arrives. */
async function loopback(): Promise<{ server: net.Socket; close: () => void }> {
  const listener = net.createServer((s) => s.resume());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const server = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  await once(server, 'connect');
  return { server, close: () => (server.destroy(), listener.close()) };
}
