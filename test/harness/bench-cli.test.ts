import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { compareResults, loadResults } from '../../harness/compare.js';
import type { BenchResults } from '../../harness/results.js';
import { validateResults } from '../../harness/schema.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'strata-bench-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function strata(args: string[], timeoutMs = 120_000) {
  return run(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), ...args], { cwd: root, timeout: timeoutMs, env: { ...process.env, CI: 'true' } });
}

describe('strata bench --quick end to end', () => {
  const out = join(dir, 'quick');
  let results: BenchResults;

  test('runs the quick matrix with baselines and writes results.json, csv, report and charts', async () => {
    const { stdout, stderr } = await strata(['bench', '--quick', '--data-dir', dir, '--out', out, '--baseline-seconds', '1']);
    expect(stdout).toMatch(/cells: \d+ ok/);
    expect(stderr).toMatch(/\[\d+\/\d+\] pwrite\//); // plain progress lines in CI
    results = loadResults(join(out, 'results.json')); // validates against the schema
    const ok = results.cells.filter((c) => c.status === 'ok');
    expect(ok.length).toBeGreaterThanOrEqual(2);
    for (const c of ok) {
      expect(c.repetitions).toHaveLength(results.workload.repetitions);
      expect(c.summary['produce.recordsPerSec']!.median).toBeGreaterThan(0);
      expect(c.summary['warmRead.bytes']!.median).toBe(c.summary['produce.diskBytes']!.median);
      expect(c.summary['produce.appendLatency.usP99']!.median).toBeGreaterThanOrEqual(c.summary['produce.appendLatency.usP50']!.median);
    }
    for (const c of results.cells.filter((c) => c.status === 'skipped')) expect(c.reason).toMatch(/not available/);
    // baselines ran in the same run and every ok cell carries its ratio
    expect(Object.keys(results.baselines.fio).length).toBeGreaterThan(0);
    expect(results.baselines.iperf3.map((i) => i.zeroCopy).sort()).toEqual([false, true]);
    for (const c of ok) expect(c.ratios.produceToFioWrite).toBeGreaterThan(0);
    expect(results.fingerprint.fileSystem.type).not.toBe('unknown');
    const csv = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(results.cells.length + 1);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('## Produce');
    expect(report).toContain(ok[0]!.id);
    const svg = readFileSync(join(out, 'throughput.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain(ok[0]!.id);
  }, 120_000);

  test('--replay re-runs exactly the same configuration', async () => {
    const replayOut = join(dir, 'replay');
    await strata(['bench', '--replay', join(out, 'results.json'), '--out', replayOut, '--data-dir', dir, '--no-baselines', '--no-charts']);
    const replayed = loadResults(join(replayOut, 'results.json'));
    expect(replayed.workload).toEqual(results.workload);
    expect(replayed.fingerprint.workloadHash).toBe(results.fingerprint.workloadHash);
    expect(replayed.cells.map((c) => [c.id, c.status])).toEqual(results.cells.map((c) => [c.id, c.status]));
    expect(existsSync(join(replayOut, 'throughput.svg'))).toBe(false);
  }, 120_000);

  test('compare flags a real difference and marks overlapping ranges as noise', async () => {
    const a = results;
    const b = structuredClone(a) as BenchResults;
    const cell = b.cells.find((c) => c.status === 'ok')!;
    const tp = cell.summary['produce.recordsPerSec']!;
    // a real regression: B's whole range is below A's
    cell.summary['produce.recordsPerSec'] = { median: tp.min / 4, min: tp.min / 5, max: tp.min / 3 };
    const bPath = join(dir, 'b.json');
    writeFileSync(bPath, JSON.stringify(b));
    const c = compareResults(a, loadResults(bPath));
    const flagged = c.deltas.find((d) => d.cell === cell.id && d.metric === 'produce.recordsPerSec')!;
    expect(flagged.verdict).toBe('worse');
    expect(flagged.deltaPercent).toBeLessThan(-50);
    // everything else is identical, hence within noise
    expect(c.deltas.filter((d) => d !== flagged).every((d) => d.verdict === 'noise')).toBe(true);
    const { stdout } = await strata(['compare', join(out, 'results.json'), bPath]);
    expect(stdout).toContain(cell.id);
    expect(stdout).toMatch(/produce\.recordsPerSec .* worse/);
    expect(stdout).toMatch(/1 worse/);
  }, 60_000);

  test('a results file that breaks the schema is rejected naming the path', () => {
    const broken = structuredClone(results) as unknown as { cells: { status: string }[] };
    broken.cells[0]!.status = 'great';
    expect(() => validateResults(broken, 'broken.json')).toThrow(/broken\.json does not match the results schema: \/cells\/0\/status/);
  });

  test('without fio and iperf3 on PATH the run says how to install them and goes on', async () => {
    const out2 = join(dir, 'no-tools');
    const { stderr } = await run(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), 'bench', '--workload', join(root, 'harness/workloads/quick.yaml'),
      '--engine', 'pwrite', '--transfer', 'buffered', '--codec', 'none', '--records', '1000', '--repetitions', '1', '--data-dir', dir, '--out', out2, '--no-charts'],
    { cwd: root, timeout: 60_000, env: { ...process.env, CI: 'true', PATH: join(dir, 'empty-path') } });
    expect(stderr).toMatch(/fio is not installed: .*apt-get install fio/);
    expect(stderr).toMatch(/iperf3 is not installed: .*apt-get install iperf3/);
    const r = loadResults(join(out2, 'results.json'));
    expect(r.cells[0]!.status).toBe('ok');
    expect(r.baselines.fio).toEqual({});
    expect(r.baselines.notes.join('\n')).toMatch(/fio is not installed/);
    expect(r.fingerprint.tools).toEqual({ fio: null, iperf3: null });
  }, 60_000);

  test('a bad workload file is a clear error naming the field, exit code 1', async () => {
    const wf = join(dir, 'bad.yaml');
    writeFileSync(wf, 'name: bad\nmatrix:\n  batchRecords: [10, zero]\n');
    const err = await strata(['bench', '--workload', wf, '--out', join(dir, 'bad')]).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(1);
    expect((err as { stderr: string }).stderr).toMatch(/strata: workload .*bad\.yaml: field "matrix\.batchRecords\[1\]" must be an integer/);
  }, 30_000);
});
