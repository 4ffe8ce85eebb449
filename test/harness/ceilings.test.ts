import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { resolveComponents } from '../../harness/components.js';
import { expandMatrix } from '../../harness/matrix.js';
import { silentProgress } from '../../harness/progress.js';
import { runBench } from '../../harness/run-bench.js';
import { runRepetition } from '../../harness/run-cell.js';
import { validateWorkload } from '../../harness/workload.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-ceilings-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the load generator is not charged to the engine', () => {
  test('slow batch building stays outside the measured produce time', async () => {
    // 20 batches of 100 records, each made 60 ms slowly: 1.2 s of making, a few ms of appending
    const w = validateWorkload({ name: 'slow-maker', records: 2000, warmupRecords: 0, consumers: 0, repetitions: 1, endToEnd: false, coldRead: false, matrix: { engine: 'pwrite', batchRecords: 100, recordBytes: 200 } }, 'test');
    const cell = expandMatrix(w.matrix)[0]!;
    const resolved = await resolveComponents(cell);
    if (!resolved.ok) throw new Error(resolved.reason);
    const started = Date.now();
    const r = await runRepetition({ workload: w, cell, components: resolved.components, dir: join(dir, 'slow-maker'), repetition: 0, delays: { batchMakeMs: 60 } });
    expect(Date.now() - started).toBeGreaterThan(1000); // the delay did run
    expect(r.produce.records).toBe(2000);
    expect(r.produce.batches).toBe(20);
    // made in the loop, the phase would take >= 1.2 s; made before the clock, milliseconds
    expect(r.produce.seconds).toBeLessThan(0.6);
  });

  test('a slowed harness shows up as a ceiling warning, not as a slower engine alone', async () => {
    const w = validateWorkload({ name: 'slow-harness', records: 3000, warmupRecords: 200, consumers: 0, repetitions: 1, endToEnd: false, coldRead: false, matrix: { engine: 'pwrite', batchRecords: 100, recordBytes: 200 } }, 'test');
    const out = join(dir, 'slow-harness-out');
    // 3 ms of busy harness time before each append: the null engine cannot reach 2x the cell
    const results = await runBench({ workload: w, workloadFile: null, dataDir: dir, outDir: out, quick: false, progress: silentProgress, baselines: false, baselineSeconds: 1, charts: false, delays: { perAppendUs: 3000 } });
    const ceiling = results.ceilings!.produce;
    expect(ceiling).toHaveLength(1);
    expect(ceiling[0]!.id).toBe('null/none/r200/b100');
    expect(ceiling[0]!.fastestCell).toBe('pwrite/buffered/none/none/r200/b100');
    expect(ceiling[0]!.ratio!).toBeLessThan(1.5);
    expect(ceiling[0]!.holds).toBe(false);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('**short: the harness was the limit**');
    expect(report).toMatch(/\*\*the harness was the limit of produce at none 200-byte records in batches of 100/);
  });

  test('a slowed consumer shows up as a consume ceiling warning', async () => {
    const w = validateWorkload({ name: 'slow-consumer', records: 3000, warmupRecords: 0, consumers: 1, repetitions: 1, endToEnd: false, coldRead: false, matrix: { engine: 'pwrite', transfer: 'sendfile', batchRecords: 100, recordBytes: 1000 } }, 'test');
    const out = join(dir, 'slow-consumer-out');
    // 5 ms asleep after each read: at most 1 MiB per read, ~200 MB/s, far below what the C loop's own sink takes
    const results = await runBench({ workload: w, workloadFile: null, dataDir: dir, outDir: out, quick: false, progress: silentProgress, baselines: false, baselineSeconds: 1, charts: false, delays: { consumerReadUs: 5000 } });
    expect(results.cells[0]!.summary['warmRead.mbPerSec']).toBeDefined();
    const consume = results.ceilings!.consume!;
    expect(consume.map((c) => c.mode)).toEqual(['sendfile']);
    expect(consume[0]!.ratio!).toBeLessThan(0.95);
    expect(consume[0]!.holds).toBe(false);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/\*\*the harness was the limit of consume \(sendfile\): its consumer took/);
  }, 60_000);
});
