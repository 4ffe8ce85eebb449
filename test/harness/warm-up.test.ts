/**
 * The warm-up runs the measured path for warmupSeconds at max rate (fio's ramp_time) when set,
 * else for warmupRecords records, and nothing of it is measured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DEFAULT_LOG_CONFIG } from '../../core/config/log-config.js';
import { openBenchLog } from '../../harness/bench-log.js';
import { BatchMaker, warmUp } from '../../harness/cell/batch-maker.js';
import { resolveComponents } from '../../harness/components.js';
import { expandMatrix } from '../../harness/matrix.js';
import { makePayloadPool } from '../../harness/payload.js';
import { validateWorkload } from '../../harness/workload.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-warm-up-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function warmed(name: string, fields: Record<string, unknown>): Promise<{ endOffset: number; elapsedMs: number }> {
  const w = validateWorkload({ name, records: 1000, ...fields, matrix: { engine: 'pwrite', batchRecords: 50, recordBytes: 100 } }, 'test');
  const cell = expandMatrix(w.matrix)[0]!;
  const resolved = await resolveComponents(cell);
  if (!resolved.ok) throw new Error(resolved.reason);
  const { engine, codecs, cache, codec } = resolved.components;
  const log = await openBenchLog(join(dir, name), DEFAULT_LOG_CONFIG, { engine, codecs, cache });
  const batches = new BatchMaker(makePayloadPool(w.payload, w.seed, cell.recordBytes), codec);
  const t0 = Date.now();
  await warmUp(w, cell, [log], batches);
  const elapsedMs = Date.now() - t0;
  const endOffset = log.logEndOffset;
  await log.close();
  return { endOffset, elapsedMs };
}

describe('warm-up', () => {
  test('warmupSeconds: full batches at max rate for that long, whatever warmupRecords says', async () => {
    const r = await warmed('by-time', { warmupSeconds: 0.3, warmupRecords: 100 });
    expect(r.elapsedMs).toBeGreaterThanOrEqual(300);
    // far more than warmupRecords' 100: the clock decided, in whole batches of 50
    expect(r.endOffset).toBeGreaterThan(100);
    expect(r.endOffset % 50).toBe(0);
  });

  test('warmupRecords alone: exactly that many records', async () => {
    const r = await warmed('by-records', { warmupRecords: 120 });
    expect(r.endOffset).toBe(120);
  });

  test('an OpenMessaging Benchmark warm-up at max rate becomes warmupSeconds', () => {
    const w = validateWorkload({ name: 'omb', warmupDurationMinutes: 0.5, testDurationMinutes: 1, producerRate: 0, matrix: { engine: 'pwrite' } }, 'test');
    expect(w.warmupSeconds).toBe(30);
    expect(w.warmupRecords).toBe(0);
  });
});
