/**
 * More concurrent appends than the Log keeps in flight (APPENDS_IN_FLIGHT_MAX): the rest wait for a
 * slot, never more than the limit reach the engine at once, and every caller still hears of its
 * acknowledgement in offset order, across the waiting and the direct paths and across rolls.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { logConfigFrom } from '../../core/config/log-config.js';
import { buildBatch } from '../../core/format/records.js';
import { APPENDS_IN_FLIGHT_MAX, Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { wrapAppend } from '../support/wrap-append.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'strata-in-flight-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('appends beyond the in-flight limit wait for a slot and are acknowledged in offset order', async () => {
  let inEngine = 0;
  let inEngineMax = 0;
  // pwrite, counting appends between the engine call and its completion
  const engine = wrapAppend(pwriteEngine, (append) => (chunks, bytes) => {
    inEngineMax = Math.max(inEngineMax, ++inEngine);
    return append(chunks, bytes).finally(() => inEngine--);
  });
  const log = await Log.open(join(dir, 't-0'), logConfigFrom({ 'retention.ms': '-1', 'segment.bytes': String(256 * 1024) }), { engine, logger: silentLogger });
  const total = APPENDS_IN_FLIGHT_MAX * 3;
  const heard: number[] = [];
  const infos = await Promise.all(
    Array.from({ length: total }, (_, i) => log.append(buildBatch([{ value: Buffer.from(`value-${i}`.padEnd(200, '.')) }])).then((info) => (heard.push(info.firstOffset), info))),
  );
  expect(infos.map((info) => info.firstOffset)).toEqual(Array.from({ length: total }, (_, i) => i));
  expect(heard).toEqual(Array.from({ length: total }, (_, i) => i));
  expect(inEngineMax).toBeLessThanOrEqual(APPENDS_IN_FLIGHT_MAX);
  expect(log.segmentCount).toBeGreaterThan(1);
  // a later append takes the direct path again
  expect((await log.append(buildBatch([{ value: Buffer.from('after') }]))).firstOffset).toBe(total);
  await log.close();
});
