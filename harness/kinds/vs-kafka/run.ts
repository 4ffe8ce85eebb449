/**
 * strata serve against Apache Kafka on the same machine: the same disk directory, client
 * binaries, data and run, repetitions alternating between the targets (Kafka, strata-ENGINE-
 * TRANSFER, ..., then Kafka again), each target on a fresh server and directory. Run as the
 * workload kind vs-kafka (./workload.ts):
 *
 *   npx --no-install strata bench --workload harness/workloads/vs-kafka.yaml --out results/vs-kafka
 *   npx tsx harness/kinds/vs-kafka/run.ts --render results/vs-kafka   # report.md and charts again
 *
 * Measurements (./measurements.ts) a: max-rate produce, b: acks=all 1 KiB with 1 and 16
 * producers, c: end-to-end latency at 50,000 records/s, d: Fetch of 1 GB cold and warm. Writes
 * report.md and SVG charts into the run's directory; the workload writes results.json.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KAFKA_VERSION, kafkaScriptJvmFlags } from '../../peers/kafka/kafka-peer.js';
import { repoRoot } from '../../fingerprint.js';
import { KCAT } from '../../clients/kcat.js';
import { RecordFiles } from './clients.js';
import { measureSyscalls, summarizeCpuProfile, type SyscallsPerRequest } from './profile.js';
import { headlineTable, headlineTarget, renderMarkdown, writeVsKafkaCharts, type VsKafkaResults } from './report.js';
import { allTargetIds, parseTargets, rssPeakMb, startTarget, STRATA_BIN, type ServerUnderTest, type TargetSpec } from './servers.js';
import { evaluateGoals, ratiosToKafka, summarizeRuns, type RunRecord } from './summary.js';
import { CLIENTS, FULL_SIZES, parseClients, parseWorkloads, QUICK_SIZES, runWorkload, warmUp, WORKLOADS, type ClientKind, type Sizes, type WorkloadContext, type WorkloadId } from './measurements.js';

const REPO_DIR = repoRoot();

export interface VsKafkaOptions {
  reps: number;
  quick: boolean;
  targets: TargetSpec[];
  workloads: WorkloadId[];
  clients: ClientKind[];
  /** Parent of every server's directory (a directory of its own is made below it and removed at the end). */
  dataDir: string;
  out: string;
  kafkaHeap: string;
  coldMethod: 'drop_caches' | 'posix_fadvise';
  syscalls: boolean;
  cpuProf: boolean;
  sizes: Sizes;
  /** The command that reproduces the run (`strata bench --workload FILE`). */
  command: string;
  log: (line: string) => void;
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
    `Both on directories under ${dataDir}, fresh per target and repetition; single partition topics (num.partitions=1 on both).`,
    `Clients, the same binaries for both: ${KCAT} (librdkafka, defaults apart from what the workload names) and Kafka ${KAFKA_VERSION}'s ProducerPerformance / ConsumerPerformance / EndToEndLatency with the perf-test scripts' JVM flags (${kafkaScriptJvmFlags({ xmx: '512M' }).join(' ')}).`,
    'Data: the same deterministic printable values (harness/clients/kafka-target.ts recordValue) for every target; kcat reads them from a prepared file (-l), ProducerPerformance draws from the first 10,000 of them (--payload-file).',
    'Each target run starts with a warm-up (kcat, 100 B lz4, not measured): JIT compilation on both sides.',
    'Server CPU: utime+stime from /proc/PID/stat of the server process only (the java process for Kafka, the node process for strata; every thread), around each measurement; per GB = per 10^9 bytes of record values produced, or of segment files fetched.',
    'Peak RSS: VmHWM of the server process at the end of its run (after every selected workload).',
    `(c): kcat producer fed on a 1 ms timer at ${o.sizes.e2eRatePerSecond} records/s for ${o.sizes.e2eSeconds} s, each value carrying its send time; a kcat consumer (fetch.wait.max.ms=100) stamps arrival; includes both kcat processes and their pipes. EndToEndLatency: one record produced and polled back at a time (acks=1), whole milliseconds. 2014 benchmark (3 brokers, 2014 hardware): 2 ms p50, 3 ms p99, 14 ms p99.9.`,
    `(d) cold: \`sync\` then ${o.coldMethod === 'drop_caches' ? '`echo 3 > /proc/sys/vm/drop_caches` (falls back to posix_fadvise DONTNEED on the segment files if it cannot be written; drop_caches also evicts the servers\' own code and jars)' : 'posix_fadvise(DONTNEED) on the topic\'s segment files'}; residency checked with mincore ("resident before"). Warm: the same read again right after.`,
    'Syscalls per request: strace -c -f -p SERVER during one ProducerPerformance (100 B, lz4, acks=1) and one warm ConsumerPerformance run, apart from the timed runs; divided by the client\'s request count from --print-metrics: the producer\'s request-total (every request it sent, metadata included) and the consumer\'s fetch-total (Fetch requests; the group\'s few requests are left out). The strace -c tables are in strace/.',
  ];
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
  fs.mkdirSync(o.dataDir, { recursive: true });
  const dataDir = fs.mkdtempSync(join(o.dataDir, 'strata-vs-kafka-'));
  const outDir = resolve(o.out);
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
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const summary = summarizeRuns(runs);
  const ratios = ratiosToKafka(runs, summary, o.targets);
  const results: VsKafkaResults = {
    benchmark: 'vs-kafka', schemaVersion: 1, started: started.toISOString(), finished: new Date().toISOString(),
    command: o.command, quick: o.quick, reps: o.reps, machine: { ...mach, loadAverageAtEnd: os.loadavg() },
    sizes: o.sizes, coldMethod: o.coldMethod, targets: o.targets, workloads: o.workloads, clients: o.clients, runs, summary, ratios,
    goals: evaluateGoals(ratios, o.targets), ...(syscalls ? { syscalls } : {}), ...(profiles ? { profiles } : {}),
    notes: methodNotes(o, dataDir),
  };
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

/** Re-renders report.md and the charts from a run's results.json (its `details`). */
export async function renderAgain(dir: string): Promise<void> {
  const file = join(dir, 'results.json');
  const bench = JSON.parse(fs.readFileSync(file, 'utf8')) as { details?: VsKafkaResults };
  if (bench.details?.benchmark !== 'vs-kafka') throw new Error(`${file}: not a results file of a vs-kafka workload (no details.benchmark "vs-kafka")`);
  fs.writeFileSync(join(dir, 'report.md'), renderMarkdown(bench.details));
  await writeVsKafkaCharts(bench.details, dir);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] !== '--render' || !argv[1]) throw new Error('usage: tsx harness/kinds/vs-kafka/run.ts --render DIR (a run: `strata bench --workload harness/workloads/vs-kafka.yaml`)');
  await renderAgain(argv[1]);
  console.log(`rendered ${argv[1]}/report.md`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
