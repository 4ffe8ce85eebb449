/**
 * The buffered transfer reads what the page cache holds on the calling thread (preadv2 RWF_NOWAIT),
 * as the C pread+write loop it is measured against does: no thread pool request per chunk, no
 * hand-off of each chunk from a pool thread to the event loop's. What the page cache does not hold
 * is read in the pool, from where the cached part ended; the bytes are the file's either way.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BufferedTransfer } from '../../engines/transfer/buffered.js';
import { nativeAddon } from '../native/helpers.js';
import { type SegmentFixture, collect, connect, makeSegments, slice, withTimeout } from './helpers.js';

const MiB = 1 << 20;
const native = nativeAddon();

/** File system requests queued in the thread pool right now (Node names them FSReqCallback). */
const poolRequests = () => process.getActiveResourcesInfo().filter((r) => r === 'FSReqCallback').length;

/** Sends the whole file; returns what arrived and the most pool requests seen at any turn of the loop. */
async function sendWhole(fx: SegmentFixture, transfer: BufferedTransfer): Promise<{ got: Buffer; poolRequestsMax: number }> {
  const conn = await connect();
  let poolRequestsMax = 0;
  let sampling = true;
  const sample = (): void => {
    poolRequestsMax = Math.max(poolRequestsMax, poolRequests());
    if (sampling) setImmediate(sample);
  };
  try {
    const received = collect(conn.client);
    sample();
    const sent = await withTimeout(transfer.send(conn.server, [slice(fx, 0, 0, fx.contents[0]!.length)]), 10_000, 'send');
    sampling = false;
    conn.server.end();
    const got = await withTimeout(received, 10_000, 'receive');
    expect(sent).toBe(got.length);
    return { got, poolRequestsMax };
  } finally {
    sampling = false;
    conn.close();
  }
}

describe('the buffered transfer reads cached pages on the calling thread', () => {
  let fx: SegmentFixture;
  beforeAll(async () => {
    fx = await makeSegments([8 * MiB + 123]);
  });
  afterAll(async () => fx.cleanup());

  test('a file the page cache holds is sent with no thread pool read; with inline reads off, every chunk is a pool read', async () => {
    const inline = await sendWhole(fx, new BufferedTransfer());
    expect(inline.got.equals(fx.contents[0]!)).toBe(true);
    expect(inline.poolRequestsMax).toBe(0);
    // the same send through the pool: the sampler sees its reads, so the zero above means something
    const pooled = await sendWhole(fx, new BufferedTransfer({ readCachedInline: false }));
    expect(pooled.got.equals(fx.contents[0]!)).toBe(true);
    expect(pooled.poolRequestsMax).toBeGreaterThan(0);
  });

  test('a file dropped from the page cache, whole or from the middle on, arrives byte-identical', async () => {
    const fd = fx.fds[0]!;
    for (const dropFrom of [0, 3 * MiB + 4096, 5 * MiB]) {
      fs.fdatasyncSync(fd);
      native.posix_fadvise(fd, dropFrom, 0, native.FADV.DONTNEED);
      const { got } = await sendWhole(fx, new BufferedTransfer());
      expect(got.equals(fx.contents[0]!)).toBe(true);
    }
  });
});
