/**
 * The workload kind broker (harness/kinds/broker/) at its smallest, through the built CLI: every
 * scenario once against its own strata serve child, tiny (a few MiB fetched, a handful of
 * clients, a one-second idle timeout). results.json must hold every figure of every scenario, in
 * the one results schema that `strata compare` reads. The figures themselves are the broker's
 * tests' business (test/broker/); here only that they are measured, and that what must hold of
 * any run holds: the bystanders finished, a guess was answered, the bystander logged in.
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

const STALLED = ['bystander.aloneMs', 'bystander.aloneCompleted', 'bystander.besideMs', 'bystander.besideCompleted', 'server.fdsBefore', 'server.fdsWith', 'server.fdsAfterIdle', 'server.fdsAfterTwiceIdle'];
const METRICS: Record<string, string[]> = {
  'stalled-tls': STALLED,
  'stalled-buffered': STALLED,
  'stalled-sendfile': STALLED,
  handshake: ['bystander.aloneMs', 'bystander.aloneCompleted', 'bystander.besideMs', 'bystander.besideCompleted', 'server.fdsBefore', 'server.fdsWith', 'server.fdsAfterDeadline'],
  halfframe: ['server.rssMibBefore', 'server.rssMibWith', 'clients.handedMib', 'bystander.metadataMs', 'bystander.metadataCompleted'],
  'auth-flood': ['guesses.perSec', 'server.cpuSecondsPerSec', 'bystander.logins', 'bystander.loginMsP50', 'bystander.loginMsMax'],
};

const TINY = 'name: broker-tiny\nkind: broker\nrepetitions: 1\noptions:\n  fetchMib: 2\n  idleMs: 1000\n  idleGraceMs: 1000\n  stalledClients: 3\n  handshakes: 10\n  halfFrames: 2\n  halfFrameMb: 4\n  authConnections: 4\n  authSeconds: 1\n  authDelayMs: 50\n  bystanderTimeoutMs: 10000\n';

describe('workload kind broker', () => {
  it('`strata bench --workload` runs every scenario against strata serve; results.json holds every figure; `strata compare` reads it', { timeout: 240_000 }, async () => {
    const run = await benchWorkloadCli('broker-tiny', TINY, 220_000);
    const { dir, out } = run;
    dirs.push(dir);
    expect(run.stdout).toMatch(/^6 cells: 6 ok, 0 failed/);
    const r = loadResults(join(out, 'results.json'));
    expect(r.workload.kind).toBe('broker');
    expect(r.cells.map((c) => c.id)).toEqual(Object.keys(METRICS));
    for (const c of r.cells) {
      const rep = c.repetitions[0]!;
      expect(Object.keys(rep).sort(), c.id).toEqual([...METRICS[c.id]!].sort());
      for (const k of Object.keys(rep).filter((k) => k.endsWith('Completed'))) expect(rep[k], `${c.id} ${k}`).toBe(1);
    }
    const rep = (id: string) => r.cells.find((c) => c.id === id)!.repetitions[0]!;
    // the hostile connections are the server's while they last (how many it has accepted in the settle time varies)
    expect(rep('stalled-sendfile')['server.fdsWith']).toBeGreaterThan(rep('stalled-sendfile')['server.fdsBefore']!);
    expect(rep('handshake')['server.fdsWith']).toBeGreaterThan(rep('handshake')['server.fdsBefore']!);
    expect(rep('auth-flood')['guesses.perSec']).toBeGreaterThan(0);
    expect(rep('auth-flood')['bystander.logins']).toBeGreaterThanOrEqual(1);
    expect(await run.compareWithItself()).toMatch(/figures compared: 0 better, 0 worse, 0 changed, \d+ within noise/);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/## auth-flood: 4 connections guessing SASL\/PLAIN passwords\n\n\| figure \| median \[min-max\] \|/);
    expect(readdirSync(dir).filter((n) => n.startsWith('strata-broker-'))).toEqual([]);
  });

  it('a scenario it does not know is an error naming the file and the field', async () => {
    const w = validateWorkload({ name: 't', kind: 'broker', repetitions: 1, options: { scenarios: ['stalled', 'handshake'] } }, 't.yaml');
    await expect(runWorkloadKind({ workload: w, workloadFile: 't.yaml', dataDir: tmpdir(), outDir: join(tmpdir(), 'strata-never-written'), quick: true, log: () => {} }))
      .rejects.toThrow(/workload t.yaml: field "options.scenarios" unknown scenario "stalled" \(known: stalled-tls/);
  });
});
