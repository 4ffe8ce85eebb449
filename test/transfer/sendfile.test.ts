/** What only the sendfile transfer has to get right: loading, the main-loop wait, write ordering. */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSendfileTransfer } from '../../engines/transfer/sendfile.js';
import { loadNative } from '../../native/index.js';
import { type Connection, type SegmentFixture, collect, connect, expectedBytes, makeSegments, slice, withTimeout } from './helpers.js';

const MiB = 1 << 20;
const CHILD = join(import.meta.dirname, 'fixtures', 'transfer-child.ts');

test('without the addon, creating the sendfile transfer fails with "unavailable: native addon not built"', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, 'sendfile', '65536'], { encoding: 'utf8', env: { ...process.env, STRATA_NATIVE: '0' }, timeout: 30_000 });
  expect(r.status).toBe(3);
  expect(JSON.parse(r.stdout).error).toMatch(/^unavailable: native addon not built/);
});

describe.skipIf(!loadNative())('sendfile transfer (addon built)', () => {
  let fx: SegmentFixture;
  beforeAll(async () => {
    fx = await makeSegments([8 * MiB, 64 * 1024]);
  });
  afterAll(async () => fx.cleanup());

  test('writes made while sendfile runs queue behind the file bytes', async () => {
    const transfer = createSendfileTransfer();
    const conn = await connect();
    try {
      const received = collect(conn.client);
      conn.client.pause(); // the socket fills, so the send is still running when we write
      const slices = [slice(fx, 0, 123, 8 * MiB - 123)];
      const p = transfer.send(conn.server, slices);
      await new Promise((r) => setTimeout(r, 50));
      const during = Buffer.from('written while sendfile was running');
      conn.server.write(during);
      conn.client.resume();
      await withTimeout(p, 10_000, 'send');
      conn.server.end();
      const got = await withTimeout(received, 10_000, 'receive');
      expect(got.equals(Buffer.concat([expectedBytes(fx, slices), during]))).toBe(true);
    } finally {
      conn.close();
    }
  });

  test('clients that never read do not starve fs work (no sendfile in the threadpool)', async () => {
    const transfer = createSendfileTransfer();
    // more blocked transfers than libuv has pool threads (4)
    const conns: Connection[] = [];
    const ac = new AbortController();
    const sends: Promise<unknown>[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const c = await connect();
        c.client.pause();
        conns.push(c);
        sends.push(transfer.send(c.server, [slice(fx, 0, 0, 8 * MiB)], ac.signal).catch((e: unknown) => e));
      }
      await new Promise((r) => setTimeout(r, 100));
      const t0 = performance.now();
      const files = await withTimeout(Promise.all(Array.from({ length: 8 }, () => readFile(fx.paths[1]!))), 5_000, 'fs reads beside blocked sendfiles');
      const elapsedMs = performance.now() - t0;
      expect(files.every((f) => f.length === 64 * 1024)).toBe(true);
      expect(elapsedMs).toBeLessThan(5_000);
      ac.abort(new Error('done'));
      const results = await withTimeout(Promise.all(sends), 5_000, 'aborted sends');
      // the 8 MiB slices cannot all fit in a never-read socket: every send was still blocked
      expect(results.every((r) => (r as { code?: string }).code === 'ABORTED')).toBe(true);
    } finally {
      for (const c of conns) c.close();
    }
  });
});
