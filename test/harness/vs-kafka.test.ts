/**
 * The Kafka comparison (workload kind vs-kafka, harness/kinds/vs-kafka/) end to end in its
 * tiniest configuration: one repetition, Apache Kafka (the peer's real KRaft node) and one strata
 * target (a real `strata serve` child, the built CLI), kcat producing a few thousand records into
 * each. Its results.json must be in the one results schema (strata compare reads it), hold both
 * targets' cells with their figures and the per-repetition ratio strata/Kafka, keep the
 * comparison's own record (goals) under details, draw the report and charts; and every server it
 * started must be gone. No timing is asserted: the figures of such a run mean nothing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareResults, loadResults } from '../../harness/compare.js';
import { runWorkloadKind } from '../../harness/kinds/run-kind.js';
import { parseStraceSummary } from '../../harness/kinds/vs-kafka/profile.js';
import type { VsKafkaResults } from '../../harness/kinds/vs-kafka/report.js';
import { exitedChildrenCpuSeconds, parseTargets } from '../../harness/kinds/vs-kafka/servers.js';
import { ratiosToKafka, summarizeRuns, type RunRecord } from '../../harness/kinds/vs-kafka/summary.js';
import { kafkaTable } from '../../harness/kinds/vs-kafka/table.js';
import { validateWorkload } from '../../harness/workload.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const tiny = {
  name: 'vs-kafka-tiny', kind: 'vs-kafka', repetitions: 1,
  options: { targets: ['strata-pwrite-sendfile'], workloads: ['a'], clients: ['kcat'], syscalls: false, produceRecords: 3000, warmupRecords: 1000 },
};

describe('workload kind vs-kafka', () => {
  it('the tiniest run: Kafka and strata-pwrite-sendfile, kcat produce, results.json that compare reads, with both targets and their ratio', { timeout: 300_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'strata-vs-kafka-test-'));
    const data = mkdtempSync(join(tmpdir(), 'strata-vs-kafka-test-data-'));
    dirs.push(out, data);
    const workload = validateWorkload(tiny, 'vs-kafka-tiny.yaml');
    await runWorkloadKind({ workload, workloadFile: 'vs-kafka-tiny.yaml', dataDir: data, outDir: out, quick: true, log: () => {} });

    const file = join(out, 'results.json');
    const r = loadResults(file);
    expect(r.workload.kind).toBe('vs-kafka');
    expect(r.cells.map((c) => [c.id, c.status])).toEqual([
      ['a.kcat/kafka', 'ok'], ['a.kcat/strata-pwrite-sendfile', 'ok'], ['server/kafka', 'ok'], ['server/strata-pwrite-sendfile', 'ok'],
    ]);
    const cell = (id: string) => r.cells.find((c) => c.id === id)!;
    const kafka = cell('a.kcat/kafka').repetitions[0]!;
    const strata = cell('a.kcat/strata-pwrite-sendfile').repetitions[0]!;
    for (const m of [kafka, strata]) {
      expect(m.recordsPerSec).toBeGreaterThan(0);
      expect(m.mbPerSec).toBeCloseTo((m.recordsPerSec! * 100) / 1e6, 0);
      expect(m['server.cpuSeconds']).toBeGreaterThanOrEqual(0);
      expect(m['client.cpuSecondsPerGb']).toBeGreaterThanOrEqual(0);
    }
    expect(cell('a.kcat/kafka').logImpl).toMatch(/^Apache Kafka \d/);
    expect(strata['toKafka.recordsPerSec']).toBeCloseTo(strata.recordsPerSec! / kafka.recordsPerSec!, 2);
    expect(cell('server/kafka').repetitions[0]!['server.rssPeakMb']).toBeGreaterThan(50);
    expect(cell('server/strata-pwrite-sendfile').repetitions[0]!['server.rssPeakMb']).toBeGreaterThan(10);
    // compare reads it: the same run against itself is all noise
    const c = compareResults(r, r);
    expect(c.deltas.length).toBeGreaterThan(0);
    expect(c.deltas.every((d) => d.verdict === 'noise')).toBe(true);

    // the README's Kafka table is drawn from this file alone
    const table = kafkaTable(r);
    expect(table).toHaveLength(4);
    expect(table[2]).toMatch(/^\| \(a\) kcat -P, .* \(records\/s\) \| strata-pwrite-sendfile \| [\d,]+ \[[\d,]+-[\d,]+\] \| [\d,]+ \[.*\] \| [\d.]+ \[/);
    expect(table[3]).toMatch(/\(peak RSS MB\) \| strata-pwrite-sendfile \|/);

    const details = r.details as unknown as VsKafkaResults;
    const goal = details.goals.find((g) => g.row === 'a.kcat' && g.target === 'strata-pwrite-sendfile')!;
    expect(goal.met).toBe(goal.ratio!.median >= 1.5);
    // what was not run is said to be not measured, not passed
    expect(details.goals.find((g) => g.row === 'c.kcat-fixed-rate')!.met).toBeNull();
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('strata bench --workload vs-kafka-tiny.yaml --quick');
    expect(report).toMatch(/\| kafka \| [\d,]+ \| [\d.]+ \|/);
    expect(readFileSync(join(out, 'produce.svg'), 'utf8')).toMatch(/^<svg/);

    // every server it started is stopped, and their directories removed
    for (const run of details.runs) {
      expect(run.serverPid).toBeGreaterThan(0);
      expect(existsSync(`/proc/${run.serverPid}`)).toBe(false);
    }
    expect(readdirSync(data)).toEqual([]);
  });

  it('an option it does not know, or a bad value, is an error naming the file and the field', async () => {
    const run = (options: Record<string, unknown>) => runWorkloadKind({ workload: validateWorkload({ ...tiny, options }, 'w.yaml'), workloadFile: 'w.yaml', dataDir: tmpdir(), outDir: join(tmpdir(), 'strata-never-written'), quick: true, log: () => {} });
    await expect(run({ target: ['kafka'] })).rejects.toThrow(/workload w.yaml: field "options.target" is not an option of kind vs-kafka/);
    await expect(run({ targets: ['strata-nope-sendfile'] })).rejects.toThrow(/field "options.targets" unknown target "strata-nope-sendfile"/);
    await expect(run({ produceRecords: -1 })).rejects.toThrow(/field "options.produceRecords" must be a positive number/);
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
