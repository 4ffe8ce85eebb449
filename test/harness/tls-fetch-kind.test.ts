/**
 * The workload kind tls-fetch (harness/kinds/tls-fetch/) at its smallest, through the built CLI:
 * a 2 MiB topic produced by kcat into strata serve and into the Kafka peer (with an SSL listener),
 * read once per path by kcat over plaintext and TLS. results.json must hold every path's figures
 * and the ratios within the repetition, in the one results schema that `strata compare` reads. No
 * timing is asserted: the figures of such a run mean nothing, only that they are measured.
 */
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadResults } from '../../harness/compare.js';
import { runWorkloadKind } from '../../harness/kinds/run-kind.js';
import { validateWorkload } from '../../harness/workload.js';
import { benchWorkloadCli } from './kind-cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const METRICS: Record<string, string[]> = {
  'strata-sendfile': ['toKafka'],
  'strata-tls': ['toKafka', 'toPlaintext', 'toSendfile'],
  'strata-buffered': ['toKafka'],
  'kafka-plaintext': [],
  'kafka-ssl': ['toPlaintext'],
};

describe('workload kind tls-fetch', () => {
  it('`strata bench --workload` reads every path over TLS and plaintext from strata and Kafka; `strata compare` reads what it wrote', { timeout: 300_000 }, async () => {
    const run = await benchWorkloadCli('tls-fetch-tiny', 'name: tls-fetch-tiny\nkind: tls-fetch\nrepetitions: 1\noptions:\n  logMib: 2\n  recordBytes: 10000\n', 280_000);
    const { dir, out } = run;
    dirs.push(dir);
    expect(run.stdout).toMatch(/^5 cells: 5 ok, 0 failed/);
    const r = loadResults(join(out, 'results.json'));
    expect(r.workload.kind).toBe('tls-fetch');
    expect(r.cells.map((c) => c.id)).toEqual(Object.keys(METRICS));
    for (const c of r.cells) {
      const rep = c.repetitions[0]!;
      expect(rep['fetch.mbPerSec'], c.id).toBeGreaterThan(0);
      expect(rep['server.cpuSecondsPerGb'], c.id).toBeGreaterThanOrEqual(0);
      for (const prefix of METRICS[c.id]!) {
        expect(rep[`${prefix}.mbPerSec`], `${c.id} ${prefix}`).toBeGreaterThan(0);
        expect(Object.keys(rep), c.id).toContain(`${prefix}.cpuSecondsPerGb`);
      }
      expect(Object.keys(rep).length, c.id).toBe(2 + 2 * METRICS[c.id]!.length);
    }
    const byId = (id: string) => r.cells.find((c) => c.id === id)!.repetitions[0]!;
    // the ratio is of the same repetition's cells: TLS against strata's own plaintext buffered path
    expect(byId('strata-tls')['toPlaintext.mbPerSec']).toBeCloseTo(byId('strata-tls')['fetch.mbPerSec']! / byId('strata-buffered')['fetch.mbPerSec']!, 1);
    // both servers hold the same records (the partition logs' batch bytes are close: the same batching client)
    expect(r.baselines.notes[0]).toMatch(/^210 records of 10000 bytes, uncompressed; partition log \d+ bytes \(strata\), \d+ \(Kafka\)/);
    expect(await run.compareWithItself()).toMatch(/figures compared: 0 better, 0 worse, 0 changed, \d+ within noise/);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/- strata-tls \/ the same server plaintext, buffered \(the cost of encryption alone\): throughput [\d.]+x, server CPU [\d.]+x/);
    // the servers' data, the records file and the TLS identity are gone
    expect(readdirSync(dir).filter((n) => n.startsWith('strata-tls-fetch-'))).toEqual([]);
  });

  it('an option it does not know is an error naming the file and the field', async () => {
    const w = validateWorkload({ name: 't', kind: 'tls-fetch', repetitions: 1, options: { logMB: 2 } }, 't.yaml');
    await expect(runWorkloadKind({ workload: w, workloadFile: 't.yaml', dataDir: tmpdir(), outDir: join(tmpdir(), 'strata-never-written'), quick: true, log: () => {} }))
      .rejects.toThrow(/workload t.yaml: field "options.logMB" is not an option of kind tls-fetch/);
  });
});
