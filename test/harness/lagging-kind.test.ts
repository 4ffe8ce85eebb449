/**
 * The workload kind lagging-consumer (harness/kinds/lagging/) at CI size, through the built CLI:
 * a real strata serve and a real Kafka, Kafka's ProducerPerformance as the steady producer and kcat
 * as the lagging reader. Its results.json is in the one results schema (strata compare reads it),
 * every phase's figures are there for both servers, and the lagging reader really read the disk
 * (its pages dropped before each pass) while the producer alone made the server read next to
 * nothing. No timing is asserted: the figures of such a run mean nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../harness/fingerprint.js';
import type { BenchResults } from '../../harness/results.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const PHASE_METRICS = ['produceP50Ms', 'produceP99Ms', 'produceP999Ms', 'produceMaxMs', 'recordsPerSecond', 'serverCpuSeconds', 'serverDiskReadMb'];

describe('workload kind lagging-consumer', () => {
  it('measures both phases on strata and Kafka; the reader reads the disk; compare reads the file', { timeout: 540_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'strata-lagging-kind-'));
    const data = mkdtempSync(join(tmpdir(), 'strata-lagging-kind-data-'));
    dirs.push(out, data);
    const strata = (args: string[]) => promisify(execFile)(process.execPath, [join(repoRoot(), 'bin/strata.js'), ...args], { cwd: repoRoot(), timeout: 530_000, maxBuffer: 16 << 20 });
    await strata(['bench', '--workload', 'harness/workloads/lagging-consumer-ci.yaml', '--data-dir', data, '--out', out, '--progress', 'none']);
    const r = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as BenchResults;
    expect(r.cells.map((c) => [c.id, c.status, c.reason])).toEqual([
      ['lagging/kafka', 'ok', undefined],
      ['lagging/strata-pwrite-sendfile', 'ok', undefined],
    ]);
    for (const cell of r.cells) {
      const rep = cell.repetitions[0]!;
      for (const phase of ['alone', 'lagging']) for (const m of PHASE_METRICS) expect(rep[`${phase}.${m}`], `${cell.id} ${phase}.${m}`).toBeTypeOf('number');
      expect(rep['lagging.readerPasses']).toBeGreaterThanOrEqual(1);
      // every pass starts cold: the server read the whole backlog from the disk once per pass
      expect(rep['lagging.readerSpanDiskReadMb']).toBeGreaterThanOrEqual(rep['backlogMb']! * 0.9 * rep['lagging.readerPasses']!);
      expect(rep['alone.serverDiskReadMb']).toBeLessThan(rep['backlogMb']! * 0.5);
    }
    expect(r.cells[1]!.repetitions[0]!['toKafka.lagging.produceP99Ms']).toBeTypeOf('number');
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/\| strata serve --engine pwrite --transfer sendfile \| \d/);
    const compared = await strata(['compare', join(out, 'results.json'), join(out, 'results.json')]);
    expect(compared.stdout).toMatch(/figures compared: 0 better, 0 worse, 0 changed, \d+ within noise/);
  });
});
