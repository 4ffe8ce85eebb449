/**
 * The workload kind scale (harness/kinds/scale/) end to end at its CI size, through the CLI a user
 * runs (bin/strata.js over dist/: `npx tsup` first): real `strata serve` and Apache Kafka nodes,
 * CreateTopics over the wire, kcat producing over every partition, SIGTERM and SIGKILL. Its
 * results.json must be in the one results schema, with every metric for every size on both
 * servers, and the descriptors must be the server's (a node of 100 partitions holds at least one
 * per partition; the harness's own process does not). No timing is asserted.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { compareResults, loadResults } from '../../harness/compare.js';
import { runWorkloadKind } from '../../harness/kinds/run-kind.js';
import { scaleCells, type ScaleDetails } from '../../harness/kinds/scale/workload.js';
import { validateWorkload } from '../../harness/workload.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Every figure a size must have on each server. */
const METRICS = [
  'create.seconds', 'create.listed.seconds', 'create.onDisk.seconds', 'create.msPerPartition',
  'idle.rssBytes', 'idle.descriptors', 'idle.rssBytesPerPartition', 'idle.descriptorsPerPartition',
  'produce.seconds', 'produce.recordsPerSec', 'produce.mbPerSec', 'produce.descriptors',
  'server.cpuSecondsPerGb', 'client.cpuSecondsPerGb', 'server.busyCores', 'client.busyCores', 'machine.busyCores',
  'shutdown.seconds', 'startup.clean.seconds', 'startup.afterKill.seconds',
];

describe('workload kind scale', () => {
  it('scale-ci through the CLI: every metric for every size on strata and Kafka, descriptors of the server', { timeout: 1_500_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'strata-scale-kind-'));
    const data = mkdtempSync(join(tmpdir(), 'strata-scale-kind-data-'));
    dirs.push(out, data);
    await promisify(execFile)(process.execPath, [join(ROOT, 'bin', 'strata.js'), 'bench', '--workload', 'harness/workloads/scale-ci.yaml', '--data-dir', data, '--out', out, '--progress', 'none'], { cwd: ROOT, timeout: 1_450_000 });
    const r = loadResults(join(out, 'results.json'));
    expect(r.workload.kind).toBe('scale');
    expect(r.cells.map((c) => [c.id, c.status, c.reason])).toEqual(
      [1, 10, 100].flatMap((n) => [[`p${n}/strata`, 'ok', undefined], [`p${n}/kafka`, 'ok', undefined]]),
    );
    const rep = (id: string) => r.cells.find((c) => c.id === id)!.repetitions[0]!;
    for (const c of r.cells) {
      const m = c.repetitions[0]!;
      for (const k of METRICS) expect(Number.isFinite(m[k]), `${c.id} ${k} = ${m[k]}`).toBe(true);
      expect(m['produce.recordsPerSec']).toBeGreaterThan(0);
      expect(c.notes.some((n) => n.startsWith('produce limit: '))).toBe(true);
      expect(m['startup.afterKill.seconds']).toBeGreaterThan(0);
      expect(m['toFirstSize.produce.recordsPerSec']).toBeGreaterThan(0);
    }
    for (const n of [1, 10, 100]) {
      const s = rep(`p${n}/strata`);
      expect(s['toKafka.produce.recordsPerSec']).toBeCloseTo(s['produce.recordsPerSec']! / rep(`p${n}/kafka`)['produce.recordsPerSec']!, 1);
    }
    // the server's descriptors: each of 100 partitions appended to holds its segment open (strata
    // right after the produce, Kafka all the time); the CLI's own process holds a few dozen
    expect(rep('p100/strata')['produce.descriptors']).toBeGreaterThanOrEqual(100);
    expect(rep('p100/kafka')['idle.descriptors']! - rep('p1/kafka')['idle.descriptors']!).toBeGreaterThanOrEqual(99);
    expect(compareResults(r, r).deltas.some((d) => d.metric === 'produce.recordsPerSec')).toBe(true);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/## strata \/ Kafka, same size and repetition/);
    expect(report).toMatch(/\n\| 100 \| [\d.,]+ \[/);
    // every server's directory is gone; what stays is the bench's own lock on its --data-dir
    expect(readdirSync(data).filter((n) => n !== '.lock')).toEqual([]);
  });

  it('a target that fails a size stops there: its larger sizes are skipped cells, strata is set against the largest Kafka reached', () => {
    const m = (recordsPerSec: number) => ({ 'produce.recordsPerSec': recordsPerSec, 'server.cpuSecondsPerGb': 3 });
    const d = {
      benchmark: 'scale', partitions: [1, 10, 100], targets: ['strata', 'kafka'], engine: 'pwrite', kafkaHeap: '1G',
      sizes: { produceRecords: 10, warmupRecords: 1, recordBytes: 100, codec: 'lz4', idleSeconds: 1, budgetSeconds: 1 },
      client: 'kcat', openFilesLimit: '1/1', command: 'x',
      runs: [
        { rep: 0, target: 'strata', partitions: 1, metrics: m(1000), notes: [], loadAverage1m: [] },
        { rep: 0, target: 'kafka', partitions: 1, metrics: m(500), notes: [], loadAverage1m: [] },
        { rep: 0, target: 'strata', partitions: 10, metrics: m(900), notes: [], loadAverage1m: [] },
        { rep: 0, target: 'kafka', partitions: 10, notes: [], error: 'create: the size took longer than its budget of 1 s', loadAverage1m: [] },
        { rep: 0, target: 'strata', partitions: 100, metrics: m(800), notes: [], loadAverage1m: [] },
      ],
      stoppedAt: { kafka: { partitions: 10, phase: 'create', reason: 'the size took longer than its budget of 1 s' } },
    } as ScaleDetails;
    const cells = scaleCells(d);
    expect(cells.map((c) => [c.id, c.status])).toEqual([
      ['p1/strata', 'ok'], ['p1/kafka', 'ok'], ['p10/strata', 'ok'], ['p10/kafka', 'failed'], ['p100/strata', 'ok'], ['p100/kafka', 'skipped'],
    ]);
    const cell = (id: string) => cells.find((c) => c.id === id)!;
    expect(cell('p10/kafka').reason).toMatch(/budget of 1 s/);
    expect(cell('p100/kafka').reason).toBe('not tried: kafka stopped at 10 partitions (create)');
    expect(cell('p100/strata').repetitions[0]!['toFirstSize.produce.recordsPerSec']).toBe(0.8);
    expect(cell('p100/strata').repetitions[0]!['toKafkaLargest.produce.recordsPerSec']).toBe(1.6);
    expect(cell('p1/strata').repetitions[0]!['toKafka.produce.recordsPerSec']).toBe(2);
    expect(cell('p10/strata').repetitions[0]!['toKafka.produce.recordsPerSec']).toBeUndefined();
  });

  it('a bad option is an error naming the file and the field, before any server starts', async () => {
    const run = (options: Record<string, unknown>) => runWorkloadKind({ workload: validateWorkload({ name: 'w', kind: 'scale', options }, 'w.yaml'), workloadFile: 'w.yaml', dataDir: tmpdir(), outDir: join(tmpdir(), 'strata-never-written'), quick: false, log: () => {} });
    await expect(run({ partitions: [10, 1] })).rejects.toThrow('workload w.yaml: field "options.partitions" must be ascending without repeats, got [10,1]');
    await expect(run({ partitions: ['many'] })).rejects.toThrow('field "options.partitions" must be a non-empty list of positive integers');
    await expect(run({ targets: ['redpanda'] })).rejects.toThrow('field "options.targets" unknown target "redpanda" (known: strata, kafka)');
    await expect(run({ partition: [1] })).rejects.toThrow('field "options.partition" is not an option of kind scale');
  });
});
