/**
 * The "Apache Kafka, same machine" column of results/REPRODUCTION.md: the research scenarios that
 * apply to a broker (the 2014 benchmark with 1 and 3 consumers and its end-to-end latency, the
 * batching curve, page cache vs fsync) run by `strata bench --target kafka://…` — the same workload
 * files, the same kcat clients — against Apache Kafka (one KRaft node, Kafka's shipped defaults and
 * its scripts' JVM flags) and against `strata serve` (pwrite, sendfile), one server at a time,
 * Kafka first then strata for each scenario, on the same data directory.
 *
 * The fsync rows use the topic config both servers know, flush.messages=1 (Kafka flushes the log
 * after every append; so does strata's pwrite engine with it); strata's fsync engines have no
 * Kafka counterpart and stay in the embedded columns.
 *
 *   npm run build && node --import tsx harness/scenarios/same-machine.ts [--data-dir /tmp] [--only NAME,...]
 *
 * Writes results/<scenario>/same-machine/<kafka|strata-serve>[-<variant>]/ (an ordinary bench
 * results folder each) and prints one line per folder.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTargets, startTarget, STRATA_BIN } from '../kinds/vs-kafka/servers.js';

const REPO_DIR = resolve(fileURLToPath(new URL('../..', import.meta.url)));

interface Run {
  /** results/<scenario>/same-machine/<server>-<variant> */
  scenario: string;
  variant: string;
  workload: string;
  /** Extra `strata bench` flags: the scenario's own shape, scaled where an fsync per append would take minutes. */
  args: string[];
}

const W = (name: string) => join('harness', 'workloads', 'scenarios', `${name}.yaml`);
const FLUSH_EVERY = ['--config', 'flush.messages=1'];

/**
 * Records per repetition: the embedded scenarios produce for 2 s; a target produces a count
 * (durationSeconds does not apply to it), chosen so a repetition takes seconds, not minutes, at
 * the rates the embedded run measured.
 */
const RUNS: Run[] = [
  { scenario: 'kafka-2014', variant: '1-consumer', workload: W('kafka-2014'), args: ['--transfer', 'sendfile'] },
  { scenario: 'kafka-2014', variant: '3-consumers', workload: W('kafka-2014'), args: ['--transfer', 'sendfile', '--consumers', '3'] },
  ...[1, 10, 100, 1000].map((b) => ({ scenario: 'batching-curve', variant: `page-cache-batch-${b}`, workload: W('batching-curve'), args: ['--engine', 'pwrite', '--batch-records', String(b), '--records', String(b === 1 ? 200_000 : 1_000_000)] })),
  ...[1, 10, 100, 1000].map((b) => ({ scenario: 'batching-curve', variant: `flush-every-batch-${b}`, workload: W('batching-curve'), args: ['--engine', 'pwrite', '--batch-records', String(b), '--records', String(b * 5_000), ...FLUSH_EVERY] })),
  ...[1, 100].map((b) => ({ scenario: 'page-cache-vs-fsync', variant: `page-cache-batch-${b}`, workload: W('page-cache-vs-fsync'), args: ['--engine', 'pwrite', '--batch-records', String(b), '--records', String(b === 1 ? 100_000 : 500_000)] })),
  ...[1, 100].map((b) => ({ scenario: 'page-cache-vs-fsync', variant: `flush-every-batch-${b}`, workload: W('page-cache-vs-fsync'), args: ['--engine', 'pwrite', '--batch-records', String(b), '--records', String(b * 5_000), ...FLUSH_EVERY] })),
];

function parseArgs(argv: string[]): { dataDir: string; only: string[] | null } {
  let dataDir = '/tmp';
  let only: string[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--data-dir') dataDir = argv[++i]!;
    else if (argv[i] === '--only') only = argv[++i]!.split(',');
    else throw new Error(`same-machine: unknown argument ${argv[i]} (--data-dir DIR, --only SCENARIO,...)`);
  }
  return { dataDir, only };
}

function bench(run: Run, server: string, bootstrap: string, dataDir: string): void {
  const out = join(REPO_DIR, 'results', run.scenario, 'same-machine', `${server}-${run.variant}`);
  const args = [STRATA_BIN, 'bench', '--workload', run.workload, ...run.args, '--target', `kafka://${bootstrap}`,
    '--data-dir', dataDir, '--out', out, '--no-baselines', '--progress', 'plain'];
  const started = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: REPO_DIR, stdio: ['ignore', 'inherit', 'inherit'], timeout: 1_800_000 });
  if (r.status !== 0) throw new Error(`strata bench ${args.slice(1).join(' ')} exited ${r.status ?? r.signal}`);
  process.stdout.write(`same-machine: ${run.scenario} ${server}-${run.variant} -> ${out} (${Math.round((Date.now() - started) / 1000)} s, load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})\n`);
}

async function main(): Promise<void> {
  const { dataDir, only } = parseArgs(process.argv.slice(2));
  const scenarios = [...new Set(RUNS.map((r) => r.scenario))].filter((s) => !only || only.includes(s));
  const [kafka, strata] = parseTargets('kafka,strata-pwrite-sendfile');
  for (const scenario of scenarios) {
    const runs = RUNS.filter((r) => r.scenario === scenario);
    for (const [server, spec] of [['kafka', kafka!], ['strata-serve', strata!]] as const) {
      const s = await startTarget(spec, { dir: fs.mkdtempSync(join(dataDir, `same-machine-${server}-`)), kafkaHeap: '1G' });
      try {
        for (const run of runs) bench(run, server, s.bootstrap, dataDir);
      } finally {
        await s.stop();
      }
    }
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`same-machine: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
