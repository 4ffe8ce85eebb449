/**
 * `strata bench`: run a workload's matrix against a disk (a directory) and a NIC (loopback, or a
 * receiver host), with fio and iperf3 baselines in the same run. See docs/harness.md.
 */
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { logConfigFrom } from '../../core/config/log-config.js';
import { ensureDir } from '../../core/dirs.js';
import { StrataError } from '../../core/errors.js';
import { FileLock, LOCK_ENV } from '../../core/file-lock.js';
import { loadResults } from '../../harness/compare.js';
import { repoRoot } from '../../harness/fingerprint.js';
import { applyOverrides, type AxisOverrides } from '../../harness/matrix.js';
import { barProgress, defaultProgress, plainProgress, silentProgress, type Progress } from '../../harness/progress.js';
import { signalExitCode } from '../../harness/interrupt.js';
import { runWorkloadKind } from '../../harness/kinds/run-kind.js';
import { runBench } from '../../harness/run-bench.js';
import { parseAcks, type TargetOptions } from '../../harness/target.js';
import { loadWorkloadFile, validateWorkload, type Workload } from '../../harness/workload.js';

export interface BenchCliOptions {
  workload?: string;
  replay?: string;
  quick?: boolean;
  engine?: string;
  transfer?: string;
  cache?: string;
  codec?: string;
  recordBytes?: string;
  batchRecords?: string;
  config: string[];
  records?: string;
  repetitions?: string;
  producers?: string;
  consumers?: string;
  partitions?: string;
  producerRate?: string;
  dataDir?: string;
  out?: string;
  baselines: boolean;
  baselineSeconds?: string;
  charts: boolean;
  progress?: string;
  iperfServer?: string;
  receiver?: string;
  target?: string;
  acks?: string;
  replicationFactor?: string;
}

const list = (v: string | undefined): string[] | undefined => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean));

function intList(flag: string, v: string | undefined): number[] | undefined {
  const l = list(v);
  return l?.map((s) => {
    if (!/^\d+$/.test(s) || Number(s) < 1) throw new StrataError('INVALID_ARGUMENT', `${flag} takes positive integers, got "${s}"`);
    return Number(s);
  });
}

function positiveInt(flag: string, v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new StrataError('INVALID_ARGUMENT', `${flag} takes a positive integer, got "${v}"`);
  return Number(v);
}

function hostPort(flag: string, v: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new StrataError('INVALID_ARGUMENT', `${flag} takes HOST:PORT, got "${v}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export function workloadsDir(): string {
  return join(repoRoot(), 'harness', 'workloads');
}

/** --quick on a given workload: the same matrix, fewer records and repetitions. */
export function shrinkForQuick(w: Workload): Workload {
  return {
    ...w,
    records: Math.min(w.records, 20_000),
    durationSeconds: Math.min(w.durationSeconds, 1),
    warmupRecords: Math.min(w.warmupRecords, 2_000),
    warmupSeconds: Math.min(w.warmupSeconds, 0.05),
    repetitions: Math.min(w.repetitions, 2),
  };
}

/**
 * --config key=v1,v2 (repeatable) as matrix axes, each key and value checked here so that a typo
 * is blamed on --config, not on the workload file the axis is merged into.
 */
export function parseConfigAxis(pairs: readonly string[]): Record<string, string[]> {
  const config: Record<string, string[]> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new StrataError('INVALID_ARGUMENT', `--config takes key=value[,value...], got "${pair}"`);
    const key = pair.slice(0, eq).trim();
    const values = pair.slice(eq + 1).split(',');
    for (const value of values) {
      try {
        logConfigFrom({ [key]: value });
      } catch (err) {
        throw new StrataError('INVALID_ARGUMENT', `--config ${pair}: ${(err as Error).message}`);
      }
    }
    config[key] = values;
  }
  return config;
}

/**
 * Where a run writes: --data-dir, else for --replay the replayed run's own directory when it is
 * still there (the disk under test is part of what is replayed), else the temp dir. `note` says
 * which, since a replay on another disk measures another disk.
 */
export function resolveDataDir(opts: Pick<BenchCliOptions, 'dataDir' | 'replay'>, replayedDataDir: string | undefined): { dataDir: string; note?: string } {
  if (opts.dataDir) {
    const note = replayedDataDir && resolve(opts.dataDir) !== replayedDataDir ? `replay: data dir ${resolve(opts.dataDir)} (the replayed run used ${replayedDataDir})` : replayedDataDir ? `replay: data dir ${replayedDataDir}, as in the replayed run` : undefined;
    return { dataDir: opts.dataDir, note };
  }
  if (!replayedDataDir) return { dataDir: tmpdir() };
  if (existsSync(replayedDataDir) && statSync(replayedDataDir).isDirectory()) return { dataDir: replayedDataDir, note: `replay: data dir ${replayedDataDir}, as in the replayed run` };
  return { dataDir: tmpdir(), note: `replay: the replayed run's data dir ${replayedDataDir} does not exist here: running on ${tmpdir()} (another disk: give --data-dir to choose)` };
}

export function resolveWorkload(opts: BenchCliOptions): { workload: Workload; file: string | null; replayedDataDir?: string } {
  let workload: Workload;
  let file: string | null;
  let replayedDataDir: string | undefined;
  if (opts.replay) {
    const previous = loadResults(opts.replay);
    replayedDataDir = previous.fingerprint.dataDir;
    // the stored workload is the effective one (overrides and --quick already applied)
    workload = validateWorkload(previous.workload, `${opts.replay} (workload)`);
    file = previous.workloadFile;
  } else {
    file = opts.workload ?? join(workloadsDir(), opts.quick ? 'quick.yaml' : 'default.yaml');
    if (!existsSync(file)) throw new StrataError('INVALID_ARGUMENT', `workload file ${file} does not exist`);
    workload = loadWorkloadFile(file);
    if (opts.quick && opts.workload) workload = shrinkForQuick(workload);
  }
  const config = parseConfigAxis(opts.config);
  const overrides: AxisOverrides = {
    engine: list(opts.engine),
    transfer: list(opts.transfer),
    cache: list(opts.cache),
    codec: list(opts.codec),
    recordBytes: intList('--record-bytes', opts.recordBytes),
    batchRecords: intList('--batch-records', opts.batchRecords),
    config: Object.keys(config).length ? config : undefined,
  };
  workload = applyOverrides(workload, overrides);
  if (opts.records) workload = { ...workload, records: positiveInt('--records', opts.records), durationSeconds: 0 };
  if (opts.repetitions) workload = { ...workload, repetitions: positiveInt('--repetitions', opts.repetitions) };
  if (opts.producers) workload = { ...workload, producers: positiveInt('--producers', opts.producers) };
  if (opts.consumers) workload = { ...workload, consumers: opts.consumers === '0' ? 0 : positiveInt('--consumers', opts.consumers) };
  if (opts.partitions) workload = { ...workload, partitions: positiveInt('--partitions', opts.partitions) };
  if (opts.producerRate) workload = { ...workload, producerRate: opts.producerRate === '0' ? 0 : positiveInt('--producer-rate', opts.producerRate) };
  // re-validate the result so overrides get the same checks (and messages) as the file
  workload = validateWorkload(workload, file ?? 'command line');
  return { workload, file, replayedDataDir };
}

/** --target (or the target of the results file --replay names), with --acks and --replication-factor. */
function targetFrom(opts: BenchCliOptions): TargetOptions | undefined {
  const previous = opts.replay && !opts.target ? loadResults(opts.replay).target ?? undefined : undefined;
  if (!opts.target && !previous) {
    if (opts.acks || opts.replicationFactor) throw new StrataError('INVALID_ARGUMENT', '--acks and --replication-factor need --target kafka://HOST:PORT[,HOST:PORT...]');
    return undefined;
  }
  const rf = opts.replicationFactor;
  return {
    url: opts.target ?? previous!.url,
    acks: opts.acks ? parseAcks(opts.acks) : previous?.acks ?? ['1'],
    replicationFactor: rf !== undefined ? positiveInt('--replication-factor', rf) : previous?.replicationFactor ?? undefined,
  };
}

function progressFor(kind: string | undefined): Progress {
  switch (kind) {
    case undefined:
      return defaultProgress();
    case 'bar':
      return barProgress();
    case 'plain':
      return plainProgress();
    case 'none':
      return silentProgress;
    default:
      throw new StrataError('INVALID_ARGUMENT', `--progress must be bar, plain or none, got "${kind}"`);
  }
}


/** The `strata bench` action (loaded only when bench runs: it brings the whole harness in). */
export async function runBenchCommand(opts: BenchCliOptions): Promise<void> {
  const { workload, file, replayedDataDir } = resolveWorkload(opts);
  const target = targetFrom(opts);
  const { dataDir, note } = resolveDataDir(opts, replayedDataDir);
  if (note) process.stderr.write(`strata bench: ${note}
`);
  // a given data dir is locked as a writer's (a serve's dir or another bench's would share the
  // disk and, for serve, take the run directories for partitions); the default temp dir is not
  let lock: FileLock | undefined;
  if (opts.dataDir && !target) {
    ensureDir(opts.dataDir);
    lock = FileLock.lockDataDir(opts.dataDir);
    if (!lock.locked) process.stderr.write(`strata bench: data dir ${opts.dataDir} is not locked (${LOCK_ENV}=none, no native addon)\n`);
  }
  try {
    await runAndReport(opts, workload, file, dataDir, target);
  } finally {
    lock?.release();
  }
}

async function runAndReport(opts: BenchCliOptions, workload: Workload, file: string | null, dataDir: string, target: ReturnType<typeof targetFrom>): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = opts.out ?? join('bench-results', `${workload.name}-${stamp}`);
  // Ctrl-C (SIGINT) or SIGTERM: the cell in progress is abandoned, the finished ones are written
  // (marked interrupted) and the temp data removed; a second signal ends the process at once
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\nstrata bench: ${signal}: stopping the cell in progress; writing the results of the cells that finished (${signal} again to quit at once)\n`);
    stop.abort(signal);
  };
  if (workload.kind !== undefined) return runKindAndReport(opts, workload, file, dataDir, outDir, target);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const results = await runBench({
    workload,
    workloadFile: file,
    dataDir,
    outDir,
    quick: !!opts.quick,
    progress: progressFor(opts.progress),
    baselines: opts.baselines,
    baselineSeconds: opts.baselineSeconds ? positiveInt('--baseline-seconds', opts.baselineSeconds) : opts.quick ? 1 : 3,
    iperfServer: opts.iperfServer ? hostPort('--iperf-server', opts.iperfServer) : undefined,
    receiver: opts.receiver ? hostPort('--receiver', opts.receiver) : undefined,
    target,
    charts: opts.charts,
    signal: stop.signal,
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const ok = results.cells.filter((c) => c.status === 'ok').length;
  const skipped = results.cells.filter((c) => c.status === 'skipped').length;
  const failed = results.cells.filter((c) => c.status === 'failed').length;
  const where = `results: ${join(outDir, 'results.json')}\nreport:  ${join(outDir, 'report.md')}\n`;
  if (results.interrupted) {
    const { signal, cellsPlanned, stoppedCell } = results.interrupted;
    process.stdout.write(`interrupted by ${signal}: ${results.cells.length} of ${cellsPlanned} cells finished (${ok} ok, ${skipped} skipped, ${failed} failed)${stoppedCell ? `, ${stoppedCell} abandoned` : ''}; temp data removed\n${where}`);
    // exits at once: the abandoned cell's promises must not run on
    process.exit(signalExitCode(signal));
  }
  process.stdout.write(`${results.cells.length} cells: ${ok} ok, ${skipped} skipped, ${failed} failed in ${results.durationSeconds} s\n${where}`);
  if (failed > 0) process.exitCode = 1;
  // a run that measured nothing is not a success, whatever the reason each cell gives
  if (ok === 0) {
    process.stderr.write(`strata bench: no cell ran (${skipped} skipped, ${failed} failed): see the reasons in ${join(outDir, 'report.md')}\n`);
    process.exitCode = 1;
  }
}

/** A workload of another kind than matrix (harness/kinds/): the focused comparison it names. */
async function runKindAndReport(opts: BenchCliOptions, workload: Workload, file: string | null, dataDir: string, outDir: string, target: ReturnType<typeof targetFrom>): Promise<void> {
  if (target || opts.receiver || opts.iperfServer) throw new StrataError('INVALID_ARGUMENT', `workload ${file ?? workload.name}: kind ${workload.kind} starts its own servers and clients on this machine: --target, --receiver and --iperf-server are for matrix workloads`);
  const progress = progressFor(opts.progress);
  const results = await runWorkloadKind({ workload, workloadFile: file, dataDir, outDir, quick: !!opts.quick, log: (line) => progress.log(line) });
  const ok = results.cells.filter((c) => c.status === 'ok').length;
  const failed = results.cells.length - ok;
  process.stdout.write(`${results.cells.length} cells: ${ok} ok, ${failed} failed in ${results.durationSeconds} s\nresults: ${join(outDir, 'results.json')}\nreport:  ${join(outDir, 'report.md')}\n`);
  if (failed > 0 || ok === 0) process.exitCode = 1;
}
