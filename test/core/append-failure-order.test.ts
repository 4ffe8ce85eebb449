/**
 * Acknowledgements are in order, failures too: when one append's write fails, appends issued after
 * it fail as well even if their own writes succeeded (their bytes sit behind a hole recovery will
 * cut), and the log refuses further work until reopened.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { logConfigFrom } from '../../core/config/log-config.js';
import type { StorageEngine } from '../../core/engine.js';
import { buildBatch } from '../../core/format/records.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { wrapAppend } from '../support/wrap-append.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'strata-fail-order-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** pwrite, except that append number `failing` (0-based) reports EIO a little later than the others land. */
function engineFailingAppend(failing: number): StorageEngine {
  let appends = 0;
  return wrapAppend(pwriteEngine, (append) => (chunks, bytes) => {
    const written = append(chunks, bytes);
    if (appends++ !== failing) return written;
    return written.then(
      () => new Promise<void>((_, reject) => setTimeout(() => reject(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' })), 30)),
    );
  });
}

test('appends behind a failed one fail too, though their own writes succeeded', async () => {
  const log = await Log.open(join(dir, 't-0'), logConfigFrom({ 'retention.ms': '-1' }), { engine: engineFailingAppend(2), logger: silentLogger });
  const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => log.append(buildBatch([{ value: Buffer.from(`v${i}`) }]))));
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected']);
  for (const r of results.slice(2)) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'STORAGE_ERROR' });
  // the log end offset (what readers may see) stops after the last acknowledged append
  expect(log.logEndOffset).toBe(2);
  await expect(log.readBatches(0, 1 << 20)).rejects.toMatchObject({ code: 'LOG_FAILED' });
  await expect(log.append(buildBatch([{ value: Buffer.from('later') }]))).rejects.toMatchObject({ code: 'LOG_FAILED' });
  await expect(log.flush()).rejects.toMatchObject({ code: 'LOG_FAILED' });
  await log.close().catch(() => {});
});

test('an engine append that throws instead of rejecting fails the append and the log, leaving no hole', async () => {
  let appends = 0;
  const engine = wrapAppend(pwriteEngine, (append) => (chunks, bytes) => {
    if (appends++ === 1) throw new Error('segment file closed under us');
    return append(chunks, bytes);
  });
  const log = await Log.open(join(dir, 't-0'), logConfigFrom({ 'retention.ms': '-1' }), { engine, logger: silentLogger });
  await expect(log.append(buildBatch([{ value: Buffer.from('v0') }]))).resolves.toMatchObject({ firstOffset: 0 });
  await expect(log.append(buildBatch([{ value: Buffer.from('v1') }]))).rejects.toMatchObject({ code: 'STORAGE_ERROR', message: expect.stringContaining('segment file closed under us') });
  // offset 1 was handed out and never written: nothing may be appended behind it
  await expect(log.append(buildBatch([{ value: Buffer.from('v2') }]))).rejects.toMatchObject({ code: 'LOG_FAILED' });
  expect(log.logEndOffset).toBe(1);
  await log.close().catch(() => {});
});
