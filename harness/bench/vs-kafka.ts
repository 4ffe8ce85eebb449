/**
 * strata serve against Apache Kafka on the same machine: the same disk directory, client
 * binaries, data and run, repetitions alternating between the targets (Kafka, strata-ENGINE-
 * TRANSFER, ..., then Kafka again), each target on a fresh server and directory.
 *
 *   npm run bench:vs-kafka -- [--reps 3] [--quick] [--targets kafka,strata-pwrite-sendfile,...]
 *        [--workloads a,b,c,d] [--clients kcat,java] [--data-dir DIR] [--out DIR] [--kafka-heap 1G]
 *        [--cold drop_caches|posix_fadvise] [--no-syscalls] [--cpu-prof]
 *        [--produce-records N] [--acks-all-records N] [--e2e-seconds S] [--fetch-mb MB]
 *   npm run bench:vs-kafka -- --render results/vs-kafka/RUN     # report.md and charts again from results.json
 *
 * Workloads (harness/bench/vs-kafka/workloads.ts) a: max-rate produce, b: acks=all 1 KiB with 1
 * and 16 producers, c: end-to-end latency at 50,000 records/s, d: Fetch of 1 GB cold and warm.
 * Writes results.json, report.md and SVG charts into --out (default
 * results/vs-kafka/<timestamp>/, and then results/vs-kafka/README.md points at it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KAFKA_VERSION, kafkaScriptJvmFlags } from '../peers/kafka/kafka-peer.js';
import { KCAT, RecordFiles } from './vs-kafka/clients.js';
import { measureSyscalls, summarizeCpuProfile, type SyscallsPerRequest } from './vs-kafka/profile.js';
import { headlineTable, headlineTarget, renderMarkdown, writeVsKafkaCharts, type VsKafkaResults } from './vs-kafka/report.js';
import { allTargetIds, parseTargets, rssPeakMb, startTarget, STRATA_BIN, type ServerUnderTest, type TargetSpec } from './vs-kafka/servers.js';
import { evaluateGoals, ratiosToKafka, summarizeRuns, type RunRecord } from './vs-kafka/summary.js';
import { CLIENTS, FULL_SIZES, parseClients, parseWorkloads, QUICK_SIZES, runWorkload, warmUp, WORKLOADS, type ClientKind, type Sizes, type WorkloadContext, type WorkloadId } from './vs-kafka/workloads.js';

const REPO_DIR = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const RESULTS_DIR = join(REPO_DIR, 'results', 'vs-kafka');

export interface VsKafkaOptions {
  reps: number;
  quick: boolean;
  targets: TargetSpec[];
  workloads: WorkloadId[];
  clients: ClientKind[];
  /** Parent of every server's directory (default: a new temp dir, removed at the end). */
  dataDir?: string;
  out?: string;
  kafkaHeap: string;
  coldMethod: 'drop_caches' | 'posix_fadvise';
  syscalls: boolean;
  cpuProf: boolean;
  sizes: Sizes;
  /** The options as given, to print the reproducing command. */
  argv: string[];
  log: (line: string) => void;
}

export function parseArgs(argv: string[], log: (line: string) => void = console.log): VsKafkaOptions {
  const quick = argv.includes('--quick');
  const o: VsKafkaOptions = {
    reps: quick ? 1 : 3, quick, targets: parseTargets(quick ? 'kafka,strata-pwrite-sendfile' : allTargetIds().join(',')),
    workloads: [...WORKLOADS], clients: [...CLIENTS], kafkaHeap: '1G', coldMethod: 'drop_caches', syscalls: true, cpuProf: false,
    sizes: { ...(quick ? QUICK_SIZES : FULL_SIZES) }, argv, log,
  };
  const positive = (k: string, v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${k} needs a positive number, got "${v}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    if (k === '--quick') continue;
    if (k === '--no-syscalls') { o.syscalls = false; continue; }
    if (k === '--cpu-prof') { o.cpuProf = true; continue; }
    const v = argv[++i];
    if (v === undefined) throw new Error(`${k} needs a value`);
    if (k === '--reps') o.reps = Math.round(positive(k, v));
    else if (k === '--targets') o.targets = parseTargets(v);
    else if (k === '--workloads') o.workloads = parseWorkloads(v);
    else if (k === '--clients') o.clients = parseClients(v);
    else if (k === '--data-dir') o.dataDir = v;
    else if (k === '--out') o.out = v;
    else if (k === '--kafka-heap') o.kafkaHeap = v;
    else if (k === '--cold') {
      if (v !== 'drop_caches' && v !== 'posix_fadvise') throw new Error(`--cold: drop_caches or posix_fadvise, not "${v}"`);
      o.coldMethod = v;
    } else if (k === '--produce-records') o.sizes.produceRecords = Math.round(positive(k, v));
    else if (k === '--acks-all-records') o.sizes.acksAllRecords = Math.round(positive(k, v));
    else if (k === '--e2e-seconds') o.sizes.e2eSeconds = positive(k, v);
    else if (k === '--fetch-mb') o.sizes.fetchBytes = positive(k, v) * 1e6;
    else throw new Error(`unknown option ${k} (see the header of harness/bench/vs-kafka.ts)`);
  }
  return o;
}

/** The first non-empty line a command prints (on stdout or stderr: `java -version` uses stderr). */
function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n').find((l) => l.trim())?.trim() ?? `${cmd}: ${r.error?.message ?? 'no output'}`;
}

function machine(dataDir: string): VsKafkaResults['machine'] {
  return {
    cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
    memoryGb: Math.round(os.totalmem() / 1e9),
    kernel: `${os.type()} ${os.release()}`,
    dataDirFilesystem: firstLine('stat', ['-f', '-c', '%T', dataDir]),
    node: process.version,
    java: firstLine('java', ['-version']),
    kafka: `Apache Kafka ${KAFKA_VERSION} (Maven Central jars, harness/peers/kafka)`,
    kcat: firstLine(KCAT, ['-V']).trim() + ' / ' + (/librdkafka [\d.]+/.exec(execFileSync(KCAT, ['-V'], { encoding: 'utf8' }))?.[0] ?? '?'),
    loadAverageAtStart: os.loadavg(),
  };
}

function methodNotes(o: VsKafkaOptions, dataDir: string): string[] {
  return [
    `Kafka: one KRaft node (broker+controller), Kafka's defaults except offsets.topic.num.partitions=1 and group.initial.rebalance.delay.ms=0 (group set-up only, strata gets the same); JVM flags of kafka-server-start.sh / kafka-run-class.sh: ${kafkaScriptJvmFlags({ xmx: o.kafkaHeap, xms: o.kafkaHeap }).join(' ')}.`,
    `strata: \`node ${relative(REPO_DIR, STRATA_BIN)} serve --engine E --transfer T --auto-create-topics\` (the built CLI, dist/), Node ${process.version}.`,
    `Both on directories under ${o.dataDir ? dataDir : 'a new temp dir'} (${o.dataDir ?? os.tmpdir()}), fresh per target and repetition; single partition topics (num.partitions=1 on both).`,
    `Clients, the same binaries for both: ${KCAT} (librdkafka, defaults apart from what the workload names) and Kafka ${KAFKA_VERSION}'s ProducerPerformance / ConsumerPerformance / EndToEndLatency with the perf-test scripts' JVM flags (${kafkaScriptJvmFlags({ xmx: '512M' }).join(' ')}).`,
    'Data: the same deterministic printable values (broker/kafka-target.ts recordValue) for every target; kcat reads them from a prepared file (-l), ProducerPerformance draws from the first 10,000 of them (--payload-file).',
    'Each target run starts with a warm-up (kcat, 100 B lz4, not measured): JIT compilation on both sides.',
    'Server CPU: utime+stime from /proc/PID/stat of the server process only (the java process for Kafka, the node process for strata; every thread), around each measurement; per GB = per 10^9 bytes of record values produced, or of segment files fetched.',
    'Peak RSS: VmHWM of the server process at the end of its run (after every selected workload).',
    `(c): kcat producer fed on a 1 ms timer at ${o.sizes.e2eRatePerSecond} records/s for ${o.sizes.e2eSeconds} s, each value carrying its send time; a kcat consumer (fetch.wait.max.ms=100) stamps arrival; includes both kcat processes and their pipes. EndToEndLatency: one record produced and polled back at a time (acks=1), whole milliseconds. 2014 benchmark (3 brokers, 2014 hardware): 2 ms p50, 3 ms p99, 14 ms p99.9.`,
    `(d) cold: \`sync\` then ${o.coldMethod === 'drop_caches' ? '`echo 3 > /proc/sys/vm/drop_caches` (falls back to posix_fadvise DONTNEED on the segment files if it cannot be written; drop_caches also evicts the servers\' own code and jars)' : 'posix_fadvise(DONTNEED) on the topic\'s segment files'}; residency checked with mincore ("resident before"). Warm: the same read again right after.`,
    'Syscalls per request: strace -c -f -p SERVER during one ProducerPerformance (100 B, lz4, acks=1) and one warm ConsumerPerformance run, apart from the timed runs; divided by the client\'s request count from --print-metrics: the producer\'s request-total (every request it sent, metadata included) and the consumer\'s fetch-total (Fetch requests; the group\'s few requests are left out). The strace -c tables are in strace/.',
  ];
}

function commandLine(o: VsKafkaOptions): string {
  return ['npm run bench:vs-kafka --', ...o.argv].join(' ').replace(/ --$/, '');
}

function contextFor(server: ServerUnderTest, o: VsKafkaOptions, files: RecordFiles): WorkloadContext {
  return { server, clients: o.clients, files, sizes: o.sizes, coldMethod: o.coldMethod, log: o.log };
}

async function withServer<T>(target: TargetSpec, dir: string, o: VsKafkaOptions, fn: (s: ServerUnderTest) => Promise<T>, cpuProfDir?: string): Promise<T> {
  const server = await startTarget(target, { dir, kafkaHeap: o.kafkaHeap, cpuProfDir });
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

function logRow(o: VsKafkaOptions, rep: number, target: string, id: string, m: Record<string, number>): void {
  const pick = ['recordsPerSecond', 'mbPerSecond', 'latencyMsP50', 'latencyMsP99', 'serverCpuSecondsPerGb'].filter((k) => m[k] !== undefined);
  o.log(`  rep ${rep + 1} ${target} ${id}: ${pick.map((k) => `${k} ${m[k]!.toFixed(k === 'recordsPerSecond' ? 0 : 3)}`).join(', ')} (load ${os.loadavg()[0]!.toFixed(1)})`);
}

export async function runVsKafka(o: VsKafkaOptions): Promise<{ results: VsKafkaResults; outDir: string }> {
  const started = new Date();
  const ownsData = o.dataDir === undefined;
  const dataDir = o.dataDir ?? fs.mkdtempSync(join(os.tmpdir(), 'strata-vs-kafka-'));
  fs.mkdirSync(dataDir, { recursive: true });
  const outDir = resolve(o.out ?? join(RESULTS_DIR, started.toISOString().replace(/[:.]/g, '-')));
  fs.mkdirSync(outDir, { recursive: true });
  const files = new RecordFiles(join(dataDir, 'inputs'));
  const runs: RunRecord[] = [];
  const mach = machine(dataDir);
  let syscalls: SyscallsPerRequest[] | undefined;
  let profiles: VsKafkaResults['profiles'];
  try {
    for (let rep = 0; rep < o.reps; rep++) {
      for (const target of o.targets) {
        const run: RunRecord = { rep, target: target.id, rows: [], loadAverage1m: [os.loadavg()[0]!] };
        runs.push(run);
        o.log(`rep ${rep + 1}/${o.reps}: ${target.id}`);
        try {
          await withServer(target, join(dataDir, `rep${rep}-${target.id}`), o, async (server) => {
            run.serverPid = server.pid;
            const ctx = contextFor(server, o, files);
            await warmUp(ctx);
            for (const w of o.workloads) {
              for (const row of await runWorkload(w, ctx)) {
                run.rows.push(row);
                logRow(o, rep, target.id, row.id, row.metrics);
              }
            }
            run.rssPeakMb = rssPeakMb(server.pid);
          });
        } catch (e) {
          // one failed run is reported, and does not lose the other targets' runs
          run.error = (e as Error).message.slice(0, 2000);
          o.log(`  rep ${rep + 1} ${target.id} FAILED: ${run.error}`);
        }
        run.loadAverage1m.push(os.loadavg()[0]!);
      }
    }
    if (o.syscalls && !o.clients.includes('java')) o.log('strace: skipped, it counts requests with the Java tools (--clients without java)');
    if (o.syscalls && o.clients.includes('java')) {
      syscalls = [];
      for (const target of o.targets) {
        o.log(`strace: ${target.id}`);
        syscalls.push(await withServer(target, join(dataDir, `strace-${target.id}`), o, async (server) => {
          await warmUp(contextFor(server, o, files));
          return measureSyscalls(server, files, join(outDir, 'strace'), {
            produceRecords: Math.max(10_000, Math.round(o.sizes.produceRecords / 4)),
            fetchRecords: Math.max(200, Math.round(o.sizes.fetchBytes / 10 / 10_000)),
          });
        }));
      }
    }
    if (o.cpuProf) profiles = await profileStrata(o, dataDir, outDir, files);
  } finally {
    files.remove();
    if (ownsData) fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const summary = summarizeRuns(runs);
  const ratios = ratiosToKafka(runs, summary, o.targets);
  const results: VsKafkaResults = {
    benchmark: 'vs-kafka', schemaVersion: 1, started: started.toISOString(), finished: new Date().toISOString(),
    command: commandLine(o), quick: o.quick, reps: o.reps, machine: { ...mach, loadAverageAtEnd: os.loadavg() },
    sizes: o.sizes, coldMethod: o.coldMethod, targets: o.targets, workloads: o.workloads, clients: o.clients, runs, summary, ratios,
    goals: evaluateGoals(ratios, o.targets), ...(syscalls ? { syscalls } : {}), ...(profiles ? { profiles } : {}),
    notes: methodNotes(o, dataDir),
  };
  fs.writeFileSync(join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  fs.writeFileSync(join(outDir, 'report.md'), renderMarkdown(results));
  await writeVsKafkaCharts(results, outDir);
  return { results, outDir };
}

/** One profiled run per strata target (node --cpu-prof), apart from the timed ones. */
async function profileStrata(o: VsKafkaOptions, dataDir: string, outDir: string, files: RecordFiles): Promise<NonNullable<VsKafkaResults['profiles']>> {
  const out: NonNullable<VsKafkaResults['profiles']> = [];
  for (const target of o.targets.filter((t) => t.kind === 'strata')) {
    const profDir = join(outDir, 'profiles', target.id);
    fs.rmSync(profDir, { recursive: true, force: true });
    o.log(`cpu profile: ${target.id}`);
    await withServer(target, join(dataDir, `prof-${target.id}`), o, async (server) => {
      const ctx = contextFor(server, o, files);
      await warmUp(ctx);
      for (const w of o.workloads) await runWorkload(w, ctx);
    }, profDir);
    const file = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`node --cpu-prof wrote no profile into ${profDir}`);
    out.push({ target: target.id, ...summarizeCpuProfile(join(profDir, file)) });
  }
  return out;
}

/** results/vs-kafka/README.md: what the directory holds and which run is the latest. */
export function writeResultsReadme(outDir: string, r: VsKafkaResults): void {
  const rel = relative(RESULTS_DIR, outDir);
  const text = [
    '# strata serve vs Apache Kafka on the same machine',
    '',
    'Each subdirectory is one run of `harness/bench/vs-kafka.ts` (results.json, report.md, SVG charts).',
    '',
    `Latest: [${rel}/report.md](${rel}/report.md) (${r.started}, ${r.reps} repetition(s)${r.quick ? ', **--quick development run on a busy machine: format only, not performance**' : ''}).`,
    '',
    'Reproduce:',
    '',
    '```sh',
    r.command,
    '```',
    '',
    'The full comparison (every engine and transfer, 3 repetitions, 30-60 min on 2 cores; run it on a quiet machine, load < 1):',
    '',
    '```sh',
    'npm run bench:vs-kafka',
    '```',
    '',
    `Headline of the latest run (${headlineTarget(r) ?? '-'} against Kafka; medians [min-max], ratios strata/Kafka within each repetition):`,
    '',
    ...headlineTable(r),
    '',
    'Options: `--reps N`, `--quick` (tiny sizes), `--targets kafka,strata-ENGINE-TRANSFER,...` (engines pwrite, fsync-group, fsync-per-write, mmap; transfers sendfile, buffered), `--workloads a,b,c,d`, `--clients kcat,java`, `--data-dir DIR` (the disk to compare on), `--cold drop_caches|posix_fadvise`, `--no-syscalls`, `--cpu-prof`; sizes `--produce-records`, `--acks-all-records`, `--e2e-seconds`, `--fetch-mb`. See the header of harness/bench/vs-kafka.ts and each report\'s "How it was measured".',
    '',
  ].join('\n');
  fs.writeFileSync(join(RESULTS_DIR, 'README.md'), text);
}

/** Re-renders report.md, the charts (and README.md, for a run under results/vs-kafka) from a results.json. */
export async function renderAgain(dir: string): Promise<void> {
  const results = JSON.parse(fs.readFileSync(join(dir, 'results.json'), 'utf8')) as VsKafkaResults;
  fs.writeFileSync(join(dir, 'report.md'), renderMarkdown(results));
  await writeVsKafkaCharts(results, dir);
  if (resolve(dir, '..') === RESULTS_DIR) writeResultsReadme(resolve(dir), results);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--render') {
    if (!argv[1]) throw new Error('--render needs the directory of a run (with its results.json)');
    await renderAgain(argv[1]);
    console.log(`rendered ${argv[1]}/report.md`);
    return;
  }
  const o = parseArgs(argv);
  const { results, outDir } = await runVsKafka(o);
  if (!o.out) writeResultsReadme(outDir, results);
  console.log(fs.readFileSync(join(outDir, 'report.md'), 'utf8').split('## Measurements')[0]);
  console.log(`wrote ${outDir}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
