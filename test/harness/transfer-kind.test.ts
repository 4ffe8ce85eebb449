/**
 * The workload kind transfer (harness/kinds/transfer/) at its smallest: an 8 MiB log shipped once
 * by each sender (strata's transfers, the C loops, iperf3) into the real discard sink over
 * loopback. Its results.json must be in the one results schema (strata compare reads it), each
 * strata cell set against the C loop of its own transfer in the same repetition. No timing is
 * asserted: the figures of such a run mean nothing, only that they are measured.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareResults, loadResults } from '../../harness/compare.js';
import { runWorkloadKind } from '../../harness/kinds/run-kind.js';
import { validateWorkload } from '../../harness/workload.js';
import { benchWorkloadCli } from './kind-cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const tiny = { name: 'transfer-tiny', kind: 'transfer', repetitions: 1, options: { logMib: 8 } };

describe('workload kind transfer', () => {
  it('ships the log through every sender; each strata cell carries its ratio to its own C loop; compare reads the file', { timeout: 180_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'strata-transfer-kind-'));
    const data = mkdtempSync(join(tmpdir(), 'strata-transfer-kind-data-'));
    dirs.push(out, data);
    await runWorkloadKind({ workload: validateWorkload(tiny, 'transfer-tiny.yaml'), workloadFile: 'transfer-tiny.yaml', dataDir: data, outDir: out, quick: true, log: () => {} });
    const r = loadResults(join(out, 'results.json'));
    expect(r.workload.kind).toBe('transfer');
    const ids = r.cells.map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['c-sendfile-loop', 'strata-sendfile', 'c-pread-write-loop', 'strata-buffered', 'strata-buffered-pool-reads', 'strata-sendfile-hot-region']));
    expect(r.cells.every((c) => c.status === 'ok')).toBe(true);
    const rep = (id: string) => r.cells.find((c) => c.id === id)!.repetitions[0]!;
    for (const id of ids) {
      expect(rep(id)['ship.mbPerSec']).toBeGreaterThan(0);
      expect(rep(id)['ship.cpuSecondsPerGb']).toBeGreaterThan(0);
    }
    // sendfile against the sendfile loop, buffered against the pread+write loop: the same work
    expect(rep('strata-sendfile')['toLoop.mbPerSec']).toBeCloseTo(rep('strata-sendfile')['ship.mbPerSec']! / rep('c-sendfile-loop')['ship.mbPerSec']!, 1);
    expect(rep('strata-buffered')['toLoop.cpuSecondsPerGb']).toBeCloseTo(rep('strata-buffered')['ship.cpuSecondsPerGb']! / rep('c-pread-write-loop')['ship.cpuSecondsPerGb']!, 1);
    expect(rep('c-sendfile-loop')['toLoop.mbPerSec']).toBeUndefined();
    expect(r.baselines.notes[0]).toMatch(/^log: \d+ bytes; receiver .*: (C|Python)/);
    const c = compareResults(r, r);
    expect(c.deltas.some((d) => d.metric === 'ship.mbPerSec')).toBe(true);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/\| strata sendfile \| \d+ \[\d+-\d+\] \|/);
    expect(report).toMatch(/strata-sendfile \/ its C loop, throughput: [\d.]+x \(target >= 0.9: (met|\*\*not met\*\*)\)/);
    // the log and the C sender it built are gone
    expect(readdirSync(data)).toEqual([]);
  });

  it('an option it does not know is an error naming the file and the field', async () => {
    const w = validateWorkload({ ...tiny, options: { logMB: 8 } }, 't.yaml');
    await expect(runWorkloadKind({ workload: w, workloadFile: 't.yaml', dataDir: tmpdir(), outDir: join(tmpdir(), 'strata-never-written'), quick: true, log: () => {} }))
      .rejects.toThrow(/workload t.yaml: field "options.logMB" is not an option of kind transfer/);
  });

  it('`strata bench --workload FILE` of the built CLI runs it, and `strata compare` reads what it wrote', { timeout: 180_000 }, async () => {
    const run = await benchWorkloadCli('transfer-tiny', 'name: transfer-tiny\nkind: transfer\nrepetitions: 1\noptions:\n  logMib: 8\n', 170_000);
    dirs.push(run.dir);
    expect(run.stdout).toMatch(/^\d+ cells: \d+ ok, 0 failed/);
    expect(await run.compareWithItself()).toMatch(/figures compared: 0 better, 0 worse, 0 changed, \d+ within noise/);
  });
});
