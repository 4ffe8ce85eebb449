/**
 * A fresh machine has neither fio nor iperf3: the bench still sets a limit beside every row, from
 * the C loop of the same system calls built with the addon (native/src/syscall_baseline.c).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { loopBinary, loopJobsFor, runLoop } from '../../harness/baselines/loop.js';
import { loadResults } from '../../harness/compare.js';

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'strata-loop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the loop runs each kind of job and reports throughput and per-call latency', async () => {
  expect(loopBinary(), 'strata_baseline is built with the addon (npm run build:native)').toBeDefined();
  const jobs = loopJobsFor({ name: 'fsync-per-write', supports: { durableAppend: true } }, { supports: { zeroCopy: true } }, 4096, 1 << 20, 1 << 20, 5);
  expect(jobs.write.mode).toBe('dsync');
  expect(jobs.net.mode).toBe('sendfile');
  expect(loopJobsFor({ name: 'mmap', supports: { durableAppend: false } }, { supports: { zeroCopy: false } }, 65536, 1, 1 << 20, 5).write.mode).toBe('mmap');
  const read = { mode: 'psync' as const, blockBytes: 1 << 20, sizeBytes: 1 << 20, runtimeSecondsMax: 5 };
  for (const job of [jobs.write, { ...read, kind: 'read-hot' as const }, { ...read, kind: 'read-cold' as const }, { ...jobs.net, netBytes: 64 << 20 }, { ...jobs.net, mode: 'copy' as const, netBytes: 64 << 20 }]) {
    const r = await runLoop(job, dir);
    expect(r.mbPerSec, job.kind).toBeGreaterThan(0);
    expect(r.latencyUsP99).toBeGreaterThanOrEqual(r.latencyUsP50);
    expect(r.command).toMatch(/^strata_baseline --op (write|read|net) --file DIR\/baseline\.dat /);
  }
  // bad input is refused by the binary itself, naming the flag
  const bad = spawnSync(loopBinary()!, ['--op', 'write', '--file', join(dir, 'x'), '--bs', '0', '--size', '1'], { encoding: 'utf8' });
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/--bs takes an integer between 1 and/);
});

test('without fio and iperf3 on PATH every Produce and Consume row still has a baseline ratio of the same work', () => {
  const out = join(dir, 'bench');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), 'bench', '--workload', join(root, 'harness/workloads/quick.yaml'),
    '--engine', 'pwrite,fsync-per-write', '--transfer', 'buffered,sendfile', '--codec', 'none', '--records', '2000', '--repetitions', '1',
    '--baseline-seconds', '1', '--data-dir', dir, '--out', out, '--no-charts', '--progress', 'plain'],
  { cwd: root, encoding: 'utf8', timeout: 180_000, env: { ...process.env, CI: 'true', PATH: join(dir, 'no-tools-here') } });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/fio is not installed/);
  const results = loadResults(join(out, 'results.json'));
  const ok = results.cells.filter((c) => c.status === 'ok');
  expect(ok).toHaveLength(4);
  expect(results.baselines.fio).toEqual({});
  expect(results.baselines.iperf3).toEqual([]);
  for (const c of ok) {
    expect(c.ratios.produceToLoopWrite, c.id).toBeGreaterThan(0);
    expect(c.ratios.warmReadToLoopNet, c.id).toBeGreaterThan(0);
    // a transfer over TCP is set against the C loop of the same transfer, never divided by a file read
    expect(c.ratios.warmReadToLoopReadHot, c.id).toBeUndefined();
    expect(c.ratios.coldReadToLoopReadCold, c.id).toBeUndefined();
    expect(c.baselineRefs.loopNet, c.id).toContain(c.transfer === 'sendfile' ? '/sendfile/' : '/copy/');
    // the durable engine's append wait is set against one O_DSYNC write of the same size
    if (c.engine === 'fsync-per-write') expect(c.ratios.appendP50ToLoopDsyncP50, c.id).toBeGreaterThan(0);
    else expect(c.ratios.appendP50ToLoopDsyncP50, c.id).toBeUndefined();
  }
  // the loop matched each cell: O_DSYNC writes for the durable engine, sendfile for the zero-copy transfer
  const modes = Object.values(results.baselines.loop!).map((l) => `${l.job.kind}/${l.job.mode}`).sort();
  expect(modes).toEqual(expect.arrayContaining(['write/psync', 'write/dsync', 'net/sendfile', 'net/copy']));
  // and the report shows a figure, not "–", in each row's loop column
  const report = readFileSync(join(out, 'report.md'), 'utf8');
  const produce = report.split('## Produce')[1]!.split('\n## ')[0]!;
  const rows = produce.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| cell'));
  expect(rows).toHaveLength(4);
  for (const row of rows) expect(row.split(' | ')[5], row).toMatch(/^\d+(\.\d+)?×$/);
  expect(report).toMatch(/\| C loop job \(same system calls, nothing else\) \|/);
});
