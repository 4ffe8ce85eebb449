/**
 * The buffered transfer never waits for chunks other sends hold: with every chunk of its pool lent
 * to a send whose reader has stopped reading, another send still completes, byte-identical, on its
 * own small buffers, and the pool is whole again once the stalled send is torn down.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { BufferPool } from '../../engines/transfer/buffer-pool.js';
import { BufferedTransfer } from '../../engines/transfer/buffered.js';
import { collect, connect, makeSegments, slice, withTimeout, type SegmentFixture } from './helpers.js';

const MiB = 1 << 20;
let fx: SegmentFixture;
beforeAll(async () => {
  fx = await makeSegments([24 * MiB + 3]);
});
afterAll(async () => fx.cleanup());

test('a send beside a stalled one that holds the whole pool completes, on its own buffers', { timeout: 30_000 }, async () => {
  const pool = new BufferPool(MiB, 2);
  const transfer = new BufferedTransfer({ pool });
  const whole = [slice(fx, 0, 0, 24 * MiB + 3)];
  const stalled = await connect();
  stalled.client.pause(); // never reads: its send keeps its chunks
  const stalledSend = transfer.send(stalled.server, whole);
  stalledSend.catch(() => {});
  const deadline = Date.now() + 10_000;
  while (pool.lentOut < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(pool.lentOut).toBe(2);

  const reader = await connect();
  try {
    const received = collect(reader.client);
    const sent = await withTimeout(transfer.send(reader.server, whole), 20_000, 'the second send');
    reader.server.end();
    const got = await withTimeout(received, 20_000, 'receive');
    expect(sent).toBe(24 * MiB + 3);
    expect(got.equals(fx.contents[0]!)).toBe(true);
  } finally {
    reader.close();
  }
  stalled.close();
  await expect(stalledSend).rejects.toThrow();
  expect(pool.lentOut).toBe(0);
});
