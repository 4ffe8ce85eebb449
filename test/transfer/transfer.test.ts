/**
 * Both transfers over real loopback sockets and real files: byte-identical delivery in order with
 * socket.write bytes around it, backpressure against a slow reader, and failure (never a hang) when
 * the peer goes away or the caller aborts.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { FileSlice, Transfer } from '../../core/transfer.js';
import { UserLruCache } from '../../engines/cache/user-lru.js';
import { bufferedTransfer } from '../../engines/transfer/buffered.js';
import { type SegmentFixture, availableTransfers, collect, connect, expectedBytes, makeSegments, slice, withTimeout } from './helpers.js';

const MiB = 1 << 20;
const SIZES = [3 * MiB + 123, 777, 2 * MiB + 5, MiB + MiB / 2];

describe.each(availableTransfers().map((t) => [t.name, t] as const))('%s transfer', (_name, transfer: Transfer) => {
  let fx: SegmentFixture;
  beforeAll(async () => {
    fx = await makeSegments(SIZES);
  });
  afterAll(async () => fx.cleanup());

  /** ~`bytes` of slices cycling over the fixture's files. */
  function manySlices(bytes: number): FileSlice[] {
    const out: FileSlice[] = [];
    for (let total = 0, i = 0; total < bytes; i++) {
      const f = i % SIZES.length;
      out.push(slice(fx, f, 0, SIZES[f]!));
      total += SIZES[f]!;
    }
    return out;
  }

  test('slices starting mid-segment and crossing files arrive byte-identical, after earlier and before later writes', async () => {
    const conn = await connect();
    try {
      const received = collect(conn.client);
      // a large earlier write is still queued in Node when the send starts
      const before = randomBytes(3 * MiB);
      conn.server.write(before);
      const slices = [
        slice(fx, 0, 1000, SIZES[0]! - 1000),
        slice(fx, 1, 0, SIZES[1]!),
        slice(fx, 2, 17, SIZES[2]! - 117),
        slice(fx, 3, 5, 1000),
        slice(fx, 0, 0, 10),
        slice(fx, 2, SIZES[2]! - 1, 1),
      ];
      const sent = await withTimeout(transfer.send(conn.server, slices), 10_000, 'send');
      const expected = expectedBytes(fx, slices);
      expect(sent).toBe(expected.length);
      const after = Buffer.from('after the slices');
      conn.server.end(after);
      const got = await withTimeout(received, 10_000, 'receive');
      expect(got.length).toBe(before.length + expected.length + after.length);
      expect(got.equals(Buffer.concat([before, expected, after]))).toBe(true);
    } finally {
      conn.close();
    }
  });

  test('consecutive sends on one socket keep their order', async () => {
    const conn = await connect();
    try {
      const received = collect(conn.client);
      const parts: Buffer[] = [];
      for (let i = 0; i < 5; i++) {
        const header = Buffer.from(`header ${i}\n`);
        conn.server.write(header);
        const s = [slice(fx, i % SIZES.length, i * 3, Math.min(200_000 + i, SIZES[i % SIZES.length]! - i * 3))];
        await transfer.send(conn.server, s);
        parts.push(header, expectedBytes(fx, s));
      }
      conn.server.end();
      expect((await withTimeout(received, 10_000, 'receive')).equals(Buffer.concat(parts))).toBe(true);
    } finally {
      conn.close();
    }
  });

  test('a slow reader still receives everything (backpressure)', async () => {
    const conn = await connect();
    try {
      const slices = manySlices(6 * MiB);
      const expected = expectedBytes(fx, slices);
      const chunks: Buffer[] = [];
      let ended = false;
      conn.client.pause();
      conn.client.once('end', () => (ended = true));
      // read at most ~64 KiB every 2 ms: a reader far slower than the sender
      const reader = setInterval(() => {
        const c = conn.client.read() as Buffer | null;
        if (c) chunks.push(c);
      }, 2);
      let queuedMax = 0;
      const sampler = setInterval(() => (queuedMax = Math.max(queuedMax, conn.server.writableLength)), 1);
      const sent = await withTimeout(transfer.send(conn.server, slices), 30_000, 'send to a slow reader');
      clearInterval(sampler);
      conn.server.end();
      await withTimeout(
        new Promise<void>((resolve) => {
          const t = setInterval(() => {
            if (ended) {
              clearInterval(t);
              resolve();
            }
          }, 5);
        }),
        30_000,
        'slow reader',
      );
      clearInterval(reader);
      const got = Buffer.concat(chunks);
      expect(sent).toBe(expected.length);
      expect(got.length).toBe(expected.length);
      expect(got.equals(expected)).toBe(true);
      // backpressure: never more than one pooled chunk queued in Node's stream (none for sendfile)
      expect(queuedMax).toBeLessThanOrEqual(1 * MiB);
    } finally {
      conn.close();
    }
  });

  test('a peer that resets mid-transfer makes send reject, not hang', async () => {
    const conn = await connect();
    try {
      let seen = 0;
      conn.client.on('data', (c: Buffer) => {
        seen += c.length;
        if (seen > 2 * MiB) conn.client.resetAndDestroy();
      });
      const p = transfer.send(conn.server, manySlices(256 * MiB));
      const err = await withTimeout(p.then(() => undefined, (e: unknown) => e), 10_000, 'send to a reset peer');
      expect(err).toBeInstanceOf(Error);
      expect(['ECONNRESET', 'EPIPE', 'PEER_CLOSED']).toContain((err as { code?: string }).code);
      expect(seen).toBeGreaterThan(2 * MiB);
    } finally {
      conn.close();
    }
  });

  test('a peer that closes without reading makes send reject, not hang', async () => {
    const conn = await connect();
    try {
      conn.client.pause();
      const p = transfer.send(conn.server, manySlices(64 * MiB));
      setTimeout(() => conn.client.destroy(), 100);
      const err = await withTimeout(p.then(() => undefined, (e: unknown) => e), 10_000, 'send to a closed peer');
      expect(err).toBeInstanceOf(Error);
      expect(['ECONNRESET', 'EPIPE', 'PEER_CLOSED']).toContain((err as { code?: string }).code);
    } finally {
      conn.close();
    }
  });

  test('aborting the signal rejects a send blocked on a reader that never reads', async () => {
    const conn = await connect();
    try {
      conn.client.pause();
      const ac = new AbortController();
      const p = transfer.send(conn.server, manySlices(64 * MiB), ac.signal);
      setTimeout(() => ac.abort(new Error('test gave up')), 100);
      const err = await withTimeout(p.then(() => undefined, (e: unknown) => e), 5_000, 'aborted send');
      expect((err as { code?: string }).code).toBe('ABORTED');
    } finally {
      conn.close();
    }
  });

  test('a slice past the end of its file is rejected as SHORT_FILE', async () => {
    const conn = await connect();
    try {
      const err = await transfer.send(conn.server, [slice(fx, 1, 700, 100)]).then(() => undefined, (e: unknown) => e);
      expect((err as { code?: string }).code).toBe('SHORT_FILE');
      expect(String(err)).toMatch(/ends at 777/);
    } finally {
      conn.close();
    }
  });

  test('a destroyed or corked socket and invalid slices are rejected before sending', async () => {
    const conn = await connect();
    conn.server.destroy();
    const err = await transfer.send(conn.server, [slice(fx, 0, 0, 10)]).then(() => undefined, (e: unknown) => e);
    expect((err as { code?: string }).code).toBe('NOT_WRITABLE');
    conn.close();
    await expect(transfer.send(conn.server, [{ ...slice(fx, 0, 0, 10), position: -1 }])).rejects.toThrow(/invalid position -1/);
    const corked = await connect();
    try {
      corked.server.cork();
      corked.server.write('held back');
      const e = await withTimeout(transfer.send(corked.server, [slice(fx, 0, 0, 10)]).then(() => undefined, (x: unknown) => x), 5_000, 'send on a corked socket');
      expect(String(e)).toMatch(/the socket is corked/);
    } finally {
      corked.close();
    }
  });

  test('no slices sends nothing', async () => {
    const conn = await connect();
    try {
      expect(await transfer.send(conn.server, [])).toBe(0);
    } finally {
      conn.close();
    }
  });
});

describe('the buffered transfer and the slice\'s read cache (FileSlice.cache)', () => {
  let fx: SegmentFixture;
  beforeAll(async () => {
    fx = await makeSegments([2 * MiB + 5, 1000]);
  });
  afterAll(async () => fx.cleanup());

  async function send(slices: FileSlice[]): Promise<Buffer> {
    const conn = await connect();
    try {
      const received = collect(conn.client);
      const sent = await withTimeout(bufferedTransfer.send(conn.server, slices), 10_000, 'send');
      conn.server.end();
      const got = await withTimeout(received, 10_000, 'receive');
      expect(sent).toBe(got.length);
      return got;
    } finally {
      conn.close();
    }
  }

  test('what a send read is kept (user-lru), and a re-send is served from memory: no read of the file', async () => {
    const cache = new UserLruCache({ bytesMax: 8 * MiB });
    const file = cache.open({ path: fx.paths[0]!, fd: fx.fds[0]! });
    const whole = { ...slice(fx, 0, 0, 2 * MiB + 5), cache: file };
    expect((await send([whole])).equals(fx.contents[0]!)).toBe(true);
    expect(cache.stats()).toEqual({ hits: 0, misses: 3, bytes: 2 * MiB + 5 }); // three chunks read, each kept (copied from the pooled chunk)
    // the same slice with the descriptor of another file: only bytes from memory can be right
    const fromMemory = await send([{ ...whole, fd: fx.fds[1]! }]);
    expect(fromMemory.equals(fx.contents[0]!)).toBe(true);
    expect(cache.stats()).toMatchObject({ hits: 3, misses: 3 });
  });

  test('held bytes and file reads interleave in order inside one slice', async () => {
    const cache = new UserLruCache({ bytesMax: 8 * MiB });
    const file = cache.open({ path: fx.paths[0]!, fd: fx.fds[0]! });
    const start = 4096;
    const heldBytes = 100_000;
    file.onRead(start, Buffer.from(fx.contents[0]!.subarray(start, start + heldBytes)), file.generation, true);
    const s = { ...slice(fx, 0, start, MiB + 7), cache: file };
    // from memory up to what is held, then one read of the rest (kept too)
    expect((await send([s])).equals(expectedBytes(fx, [s]))).toBe(true);
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, bytes: MiB + 7 });
    expect((await send([s])).equals(expectedBytes(fx, [s]))).toBe(true);
    expect(cache.stats()).toMatchObject({ hits: 3, misses: 1 });
  });
});
