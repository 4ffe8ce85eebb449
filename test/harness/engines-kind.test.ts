/**
 * The workload kind engines (harness/kinds/engines/) at its smallest: every row once, the real
 * engines on a real directory, fio beside them when installed. Its results.json must be in the one
 * results schema (strata compare reads it) and each row carry its ratio to its baseline of the
 * same repetition. No timing is asserted: the figures of such a run mean nothing.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fioVersion } from '../../harness/baselines/fio.js';
import { compareResults, loadResults } from '../../harness/compare.js';
import { runWorkloadKind } from '../../harness/kinds/run-kind.js';
import { validateWorkload } from '../../harness/workload.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const tiny = { name: 'engines-tiny', kind: 'engines', repetitions: 1, options: { smallBatches: 20, bigMib: 2, fsyncAppends: 20, fioSyncMib: 1, concurrentSeconds: 0.2 } };

describe('workload kind engines', () => {
  it('runs every row beside its baseline; results.json that compare reads', { timeout: 180_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'strata-engines-kind-'));
    const data = mkdtempSync(join(tmpdir(), 'strata-engines-kind-data-'));
    dirs.push(out, data);
    await runWorkloadKind({ workload: validateWorkload(tiny, 'engines-tiny.yaml'), workloadFile: 'engines-tiny.yaml', dataDir: data, outDir: out, quick: false, log: () => {} });
    const r = loadResults(join(out, 'results.json'));
    expect(r.workload.kind).toBe('engines');
    expect(r.cells.length).toBe(13);
    expect(r.cells.every((c) => c.status === 'ok')).toBe(true);
    const rep = (id: string) => r.cells.find((c) => c.id === id)!.repetitions[0]!;
    expect(rep('pwrite/100B-records/prebuilt')['strata.recordsPerSec']).toBeGreaterThan(0);
    expect(rep('pwrite/100B-records/prebuilt')['baseline.recordsPerSec']).toBe(821_557);
    const g = rep('fsync-group/16-appenders');
    expect(g.toBaseline).toBeCloseTo(g['strata.recordsPerSec']! / g['baseline.recordsPerSec']!, 1);
    const fio = await fioVersion();
    const w = rep('pwrite/64KiB');
    expect(w['strata.mbPerSec']).toBeGreaterThan(0);
    if (fio) {
      expect(w['baseline.mbPerSec']).toBeGreaterThan(0);
      expect(rep('fsync-per-write/4KiB/preallocated')['baseline.append.usP50']).toBeGreaterThan(0);
    } else {
      expect(r.baselines.notes.join(' ')).toMatch(/fio is not installed/);
    }
    expect(compareResults(r, r).deltas.some((d) => d.metric === 'strata.mbPerSec')).toBe(true);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/\| pwrite 64 KiB batches into the page cache \(mbPerSec\) \| [\d,.]+ \[/);
    expect(readdirSync(data)).toEqual([]);
  });
});
