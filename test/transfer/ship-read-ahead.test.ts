/**
 * shipToSocket reads one step ahead: the next Log.read starts before the current slices have been
 * sent, so the socket does not wait for index lookups between reads; and every batch still arrives
 * once, in order.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { DEFAULT_LOG_CONFIG } from '../../core/config/log-config.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import type { Transfer } from '../../core/transfer.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { bufferedTransfer } from '../../engines/transfer/buffered.js';
import { SHIP_READ_BYTES_MAX, shipToSocket } from '../../engines/transfer/ship/sender.js';
import { makeLog } from './fixtures/make-log.js';
import { collect, connect, withTimeout } from './helpers.js';

test('the next read starts while the previous slices are being sent', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-read-ahead-'));
  // ~3 reads' worth: 48 MiB in batches of 64 x 16 KiB
  await makeLog(dir, 't', 0, 48, 64, 16 * 1024, 16 << 20);
  const log = await Log.open(join(dir, 't-0'), DEFAULT_LOG_CONFIG, { engine: pwriteEngine, logger: silentLogger });
  const events: string[] = [];
  const read = log.read.bind(log);
  log.read = (offset, maxBytes, options) => {
    events.push(`read ${offset}`);
    return read(offset, maxBytes, options);
  };
  let sends = 0;
  const transfer: Transfer = {
    ...bufferedTransfer,
    send: async (socket, slices, signal) => {
      const n = ++sends;
      events.push(`send ${n} start`);
      const sent = await bufferedTransfer.send(socket, slices, signal);
      events.push(`send ${n} end`);
      return sent;
    },
  };
  const conn = await connect();
  try {
    const received = collect(conn.client);
    const stats = await withTimeout(shipToSocket(conn.server, log, 't', 0, 0, transfer), 30_000, 'ship');
    conn.server.end();
    const bytes = await received;
    expect(stats.bytes).toBe(log.sizeBytes);
    expect(bytes.length).toBeGreaterThan(stats.bytes); // plus header and end marker
    expect(sends).toBeGreaterThanOrEqual(Math.ceil(log.sizeBytes / SHIP_READ_BYTES_MAX));
    // for every send but the last, the read after it was issued before it ended
    for (let n = 1; n < sends; n++) {
      const readsBeforeEnd = events.slice(0, events.indexOf(`send ${n} end`)).filter((e) => e.startsWith('read')).length;
      expect(readsBeforeEnd, `reads issued before send ${n} ended`).toBe(n + 1);
    }
    // each read starts where the previous one ended: nothing skipped, nothing sent twice
    expect(new Set(events.filter((e) => e.startsWith('read'))).size).toBe(events.filter((e) => e.startsWith('read')).length);
  } finally {
    conn.close();
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
});
