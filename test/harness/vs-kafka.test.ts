/**
 * The Kafka comparison (harness/bench/vs-kafka.ts) end to end in its tiniest configuration: one
 * repetition, Apache Kafka (the peer's real KRaft node) and one strata target (a real `strata
 * serve` child), kcat producing a few thousand records into each. The results file must hold both
 * targets with their figures, the ratio strata/Kafka computed from the two runs, the targets of the
 * issue evaluated from it, the report and charts; and every server it started must be gone.
 * No timing is asserted: the figures of such a run mean nothing, only that they are measured.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs, runVsKafka } from '../../harness/bench/vs-kafka.js';
import { parseStraceSummary } from '../../harness/bench/vs-kafka/profile.js';
import type { VsKafkaResults } from '../../harness/bench/vs-kafka/report.js';
import { exitedChildrenCpuSeconds, parseTargets } from '../../harness/bench/vs-kafka/servers.js';
import { ratiosToKafka, summarizeRuns, type RunRecord } from '../../harness/bench/vs-kafka/summary.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('bench:vs-kafka', () => {
  it('the tiniest run: Kafka and strata-pwrite-sendfile, kcat produce, results with both targets and their ratio', { timeout: 300_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'strata-vs-kafka-test-'));
    const data = mkdtempSync(join(tmpdir(), 'strata-vs-kafka-test-data-'));
    dirs.push(out, data);
    const o = parseArgs(['--quick', '--targets', 'strata-pwrite-sendfile', '--workloads', 'a', '--clients', 'kcat', '--no-syscalls',
      '--produce-records', '3000', '--data-dir', data, '--out', out], () => {});
    o.sizes.warmupRecords = 1000;
    const { outDir } = await runVsKafka(o);
    expect(outDir).toBe(out);

    const r = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as VsKafkaResults;
    expect(r.targets.map((t) => t.id)).toEqual(['kafka', 'strata-pwrite-sendfile']);
    expect(r.runs.map((x) => [x.target, x.error])).toEqual([['kafka', undefined], ['strata-pwrite-sendfile', undefined]]);
    const perRun = (target: string) => r.runs.find((x) => x.target === target)!.rows.find((row) => row.id === 'a.kcat')!.metrics;
    const kafka = perRun('kafka');
    const strata = perRun('strata-pwrite-sendfile');
    for (const m of [kafka, strata]) {
      expect(m.recordsPerSecond).toBeGreaterThan(0);
      expect(m.mbPerSecond).toBeCloseTo((m.recordsPerSecond! * 100) / 1e6, 6);
      expect(m.serverCpuSeconds).toBeGreaterThanOrEqual(0);
      expect(m.clientCpuSecondsPerGb).toBeGreaterThanOrEqual(0);
    }
    expect(r.summary['a.kcat']!['kafka']!['recordsPerSecond']!.median).toBe(kafka.recordsPerSecond);
    const ratio = r.ratios['a.kcat']!['strata-pwrite-sendfile']!['recordsPerSecond']!;
    expect(ratio.median).toBeCloseTo(strata.recordsPerSecond! / kafka.recordsPerSecond!, 12);
    const goal = r.goals.find((g) => g.row === 'a.kcat' && g.target === 'strata-pwrite-sendfile')!;
    expect(goal.met).toBe(ratio.median >= 1.5);
    // what was not run is said to be not measured, not passed
    expect(r.goals.find((g) => g.row === 'c.kcat-fixed-rate')!.met).toBeNull();

    // peak RSS of each server process, and its ratio
    const rss = r.summary['server']!;
    expect(rss['kafka']!['rssPeakMb']!.median).toBeGreaterThan(50);
    expect(rss['strata-pwrite-sendfile']!['rssPeakMb']!.median).toBeGreaterThan(10);
    expect(r.ratios['server']!['strata-pwrite-sendfile']!['rssPeakMb']!.median)
      .toBeCloseTo(rss['strata-pwrite-sendfile']!['rssPeakMb']!.median / rss['kafka']!['rssPeakMb']!.median, 12);

    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('npm run bench:vs-kafka -- --quick --targets strata-pwrite-sendfile');
    expect(report).toMatch(/\| kafka \| [\d,]+ \| [\d.]+ \|/);
    expect(report).toMatch(/\| strata-pwrite-sendfile \| [\d,]+ \| .* \| [\d.]+ \|$/m);
    expect(readFileSync(join(out, 'produce.svg'), 'utf8')).toMatch(/^<svg/);

    // every server it started is stopped, and their directories removed
    for (const run of r.runs) {
      expect(run.serverPid).toBeGreaterThan(0);
      expect(existsSync(`/proc/${run.serverPid}`)).toBe(false);
    }
    expect(existsSync(join(data, 'rep0-kafka'))).toBe(false);
    expect(existsSync(join(data, 'rep0-strata-pwrite-sendfile'))).toBe(false);
  });

  it("a client's CPU is counted once it has exited (the clients' CPU per GB beside the server's)", () => {
    const before = exitedChildrenCpuSeconds();
    // a child that burns CPU in user space and exits: its time joins this process's cutime
    execFileSync('sh', ['-c', 'i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done']);
    expect(exitedChildrenCpuSeconds() - before).toBeGreaterThanOrEqual(0.05);
  });

  it('ratios pair the Kafka and strata runs of the same repetition', () => {
    const targets = parseTargets('kafka,strata-mmap-buffered');
    const run = (rep: number, target: string, rps: number): RunRecord => ({ rep, target, rows: [{ id: 'a.kcat', metrics: { recordsPerSecond: rps } }], loadAverage1m: [] });
    // Kafka fast in rep 0, slow in rep 1: per-repetition ratios 1 and 4, not medians divided (2.5/2.5)
    const runs = [run(0, 'kafka', 400), run(0, 'strata-mmap-buffered', 400), run(1, 'kafka', 100), run(1, 'strata-mmap-buffered', 400)];
    const ratios = ratiosToKafka(runs, summarizeRuns(runs), targets);
    expect(ratios['a.kcat']!['strata-mmap-buffered']!['recordsPerSecond']!.runs).toEqual([1, 4]);
    expect(() => parseTargets('strata-nope-sendfile')).toThrow(/unknown target "strata-nope-sendfile"/);
  });

  it("reads strace -c's summary table (errors column empty when zero)", () => {
    const table = [
      '% time     seconds  usecs/call     calls    errors syscall',
      '------ ----------- ----------- --------- --------- ----------------',
      ' 96.35    0.037613         147       255         1 futex',
      '  0.94    0.000366           4        86           epoll_pwait',
      '  0.47    0.000185          18        10           sendfile',
      '------ ----------- ----------- --------- --------- ----------------',
      '100.00    0.039039          66       590         1 total',
    ].join('\n');
    const s = parseStraceSummary(table);
    expect(s.totalCalls).toBe(590);
    expect(s.top[0]).toEqual({ syscall: 'futex', calls: 255, errors: 1, seconds: 0.037613 });
    expect(s.top.find((c) => c.syscall === 'sendfile')).toEqual({ syscall: 'sendfile', calls: 10, errors: 0, seconds: 0.000185 });
    expect(() => parseStraceSummary('strace: attach: ptrace(PTRACE_SEIZE, 1): Operation not permitted')).toThrow(/no total line/);
  });
});
