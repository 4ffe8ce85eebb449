import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { silentProgress } from '../../harness/progress.js';
import { runBench } from '../../harness/run-bench.js';
import { validateWorkload } from '../../harness/workload.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-charts-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a batch-size axis with three or more values gets a batching-curve chart, drawn by Vega-Lite as SVG', async () => {
  const w = validateWorkload({ name: 'curve', records: 300, repetitions: 1, consumers: 0, endToEnd: false, matrix: { engine: 'pwrite', batchRecords: [1, 10, 100] } }, 'test');
  const out = join(dir, 'out');
  const results = await runBench({ workload: w, workloadFile: null, dataDir: dir, outDir: out, quick: true, progress: silentProgress, baselines: false, baselineSeconds: 1, charts: true });
  expect(results.cells.every((c) => c.status === 'ok')).toBe(true);
  const svg = readFileSync(join(out, 'batch-curve.svg'), 'utf8');
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg).toContain('records per batch');
  expect(svg).toContain('pwrite/buffered/none/none/r1024'); // the series, without the batch axis
  expect(existsSync(join(out, 'record-size-curve.svg'))).toBe(false); // one record size: no curve
  expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('![batch-curve.svg](batch-curve.svg)');
});
