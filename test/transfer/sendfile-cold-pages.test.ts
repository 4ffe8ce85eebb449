/**
 * The sendfile transfer reads a range the page cache does not hold in the thread pool before
 * sending it, so that sendfile on the event loop copies from memory instead of waiting for the
 * disk; a cached range goes straight to sendfile. Bytes arrive identical either way.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { COLD_CHECK_WINDOW_BYTES } from '../../engines/transfer/cold-pages.js';
import { createSendfileTransfer, type SendfileTransfer } from '../../engines/transfer/sendfile.js';
import { nativeAddon } from '../native/helpers.js';
import { type SegmentFixture, collect, connect, makeSegments, slice, withTimeout } from './helpers.js';

const MiB = 1 << 20;
const native = nativeAddon();

async function sendWhole(fx: SegmentFixture, transfer: SendfileTransfer): Promise<Buffer> {
  const conn = await connect();
  try {
    const received = collect(conn.client);
    const sent = await withTimeout(transfer.send(conn.server, [slice(fx, 0, 0, fx.contents[0]!.length)]), 10_000, 'send');
    conn.server.end();
    const got = await withTimeout(received, 10_000, 'receive');
    expect(sent).toBe(got.length);
    return got;
  } finally {
    conn.close();
  }
}

function dropFrom(fx: SegmentFixture, offset: number): void {
  const fd = fx.fds[0]!;
  fs.fdatasyncSync(fd);
  native.posix_fadvise(fd, offset, 0, native.FADV.DONTNEED);
}

describe('the sendfile transfer reads cold pages in the thread pool first', () => {
  let fx: SegmentFixture;
  const size = 10 * MiB + 123;
  beforeAll(async () => {
    fx = await makeSegments([size]);
  });
  afterAll(async () => fx.cleanup());

  test('a cached file goes to sendfile with no pool read', async () => {
    const transfer = createSendfileTransfer();
    expect((await sendWhole(fx, transfer)).equals(fx.contents[0]!)).toBe(true);
    // sent once, now cached whatever it was before
    const before = transfer.coldPageStats.poolReads;
    expect((await sendWhole(fx, transfer)).equals(fx.contents[0]!)).toBe(true);
    expect(transfer.coldPageStats.poolReads).toBe(before);
  });

  test('a file dropped from the page cache is read in the pool window by window, and arrives identical', async () => {
    const transfer = createSendfileTransfer();
    dropFrom(fx, 0);
    expect((await sendWhole(fx, transfer)).equals(fx.contents[0]!)).toBe(true);
    // the first window at least; the kernel's read-ahead behind a pool read may cache later ones
    expect(transfer.coldPageStats.poolReads).toBeGreaterThanOrEqual(1);
    expect(transfer.coldPageStats.poolReads).toBeLessThanOrEqual(Math.ceil(size / COLD_CHECK_WINDOW_BYTES));
    expect(transfer.coldPageStats.poolReadBytes).toBeGreaterThanOrEqual(COLD_CHECK_WINDOW_BYTES);
  });

  test('dropped from the middle on: the cached windows before it are not read in the pool', async () => {
    const transfer = createSendfileTransfer();
    await sendWhole(fx, transfer);
    const warm = transfer.coldPageStats.poolReads;
    const cachedWindows = 2;
    dropFrom(fx, cachedWindows * COLD_CHECK_WINDOW_BYTES + 4096);
    expect((await sendWhole(fx, transfer)).equals(fx.contents[0]!)).toBe(true);
    const windows = Math.ceil(size / COLD_CHECK_WINDOW_BYTES);
    expect(transfer.coldPageStats.poolReads - warm).toBeGreaterThanOrEqual(1);
    expect(transfer.coldPageStats.poolReads - warm).toBeLessThanOrEqual(windows - cachedWindows);
  });

  test('with coldPagesInPool off, sendfile reads the disk itself: no pool read, same bytes', async () => {
    const transfer = createSendfileTransfer({ coldPagesInPool: false });
    dropFrom(fx, 0);
    expect((await sendWhole(fx, transfer)).equals(fx.contents[0]!)).toBe(true);
    expect(transfer.coldPageStats).toEqual({ poolReads: 0, poolReadBytes: 0 });
  });
});
