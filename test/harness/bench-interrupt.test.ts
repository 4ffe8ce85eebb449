/**
 * Ctrl-C during `strata bench` (the built CLI, dist/): SIGINT after the first cell finished stops
 * the cell in progress, writes results.json and report.md for the cells that finished, marked
 * interrupted, prints where, removes the run's temp data and exits 130; SIGTERM exits 143.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { BenchResults } from '../../harness/results.js';

const root = join(import.meta.dirname, '../..');
if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('dist/ missing: run `npm run build` before the tests');
const work = mkdtempSync(join(tmpdir(), 'strata-bench-interrupt-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs bench over 8 cells of 3 repetitions; sends `signal` when stderr first matches `when`. */
function interruptedBench(name: string, signal: NodeJS.Signals, when: RegExp) {
  const data = join(work, `${name}-data`);
  const out = join(work, `${name}-out`);
  const args = [join(root, 'bin/strata.js'), 'bench', '--workload', join(root, 'harness/workloads/quick.yaml'), '--engine', 'pwrite,fsync-group', '--transfer', 'buffered',
    '--codec', 'none,lz4', '--record-bytes', '512,1024', '--repetitions', '3', '--records', '20000', '--no-baselines', '--no-charts', '--progress', 'plain', '--data-dir', data, '--out', out];
  return new Promise<{ code: number | null; stdout: string; stderr: string; data: string; out: string; sent: boolean }>((resolve) => {
    const child = spawn(process.execPath, args, { cwd: work, env: { ...process.env, CI: 'true' } });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (!sent && when.test(stderr)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.on('close', (code) => resolve({ code, stdout, stderr, data, out, sent }));
  });
}

describe('strata bench stopped by a signal', () => {
  test('SIGINT after the first cell: its results written, marked interrupted, temp data gone, exit 130', async () => {
    const r = await interruptedBench('int', 'SIGINT', /rep 3\/3:/);
    expect(r.sent).toBe(true);
    expect(r.stderr).toMatch(/strata bench: SIGINT: stopping the cell in progress/);
    expect(r.code, r.stderr.slice(-2000)).toBe(130);
    expect(r.stdout).toMatch(/^interrupted by SIGINT: [1-7] of 8 cells finished/m);
    expect(r.stdout).toContain(`results: ${join(r.out, 'results.json')}`);
    expect(r.stdout).toContain(`report:  ${join(r.out, 'report.md')}`);
    const results = JSON.parse(readFileSync(join(r.out, 'results.json'), 'utf8')) as BenchResults;
    expect(results.interrupted).toMatchObject({ signal: 'SIGINT', cellsPlanned: 8 });
    expect(results.cells.length).toBeGreaterThanOrEqual(1);
    expect(results.cells.length).toBeLessThan(8);
    expect(results.cells[0]).toMatchObject({ id: 'pwrite/buffered/none/none/r512/b100', status: 'ok' });
    expect(results.cells[0]!.repetitions).toHaveLength(3);
    const report = readFileSync(join(r.out, 'report.md'), 'utf8');
    expect(report).toMatch(/Interrupted by SIGINT/);
    expect(report).toContain('pwrite/buffered/none/none/r512/b100');
    // the run's directory under --data-dir (the temp data) is gone; the data dir's lock file stays, as Kafka's .lock does
    expect(readdirSync(r.data)).toEqual(['.lock']);
  });

  test('SIGTERM during the first cell: no cell finished, the files still written, exit 143', async () => {
    const r = await interruptedBench('term', 'SIGTERM', /rep 1\/3:/);
    expect(r.code, r.stderr.slice(-2000)).toBe(143);
    const results = JSON.parse(readFileSync(join(r.out, 'results.json'), 'utf8')) as BenchResults;
    expect(results.interrupted).toMatchObject({ signal: 'SIGTERM', cellsPlanned: 8, stoppedCell: 'pwrite/buffered/none/none/r512/b100' });
    expect(results.cells).toEqual([]);
    expect(readFileSync(join(r.out, 'report.md'), 'utf8')).toMatch(/Interrupted by SIGTERM/);
    expect(readdirSync(r.data)).toEqual(['.lock']);
  });
});
