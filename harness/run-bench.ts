/**
 * A whole run: expand the matrix, run every cell's repetitions, run the matching fio jobs and the
 * iperf3 pair in the same run, and write results.json, results.csv, report.md and the charts.
 */
import { rmSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { logConfigFrom } from '../core/config/log-config.js';
import { StrataError } from '../core/errors.js';
import { fioJobKey, fioJobsFor, fioVersion, FIO_INSTALL_HINT, runFio, type FioJob, type FioResult } from './baselines/fio.js';
import { loopBinary, loopJobKey, loopJobsFor, loopUnavailableNote, runLoop, type LoopJob, type LoopResult } from './baselines/loop.js';
import { iperfVersion, IPERF_INSTALL_HINT, runIperfLoopback, runIperfRemote, type IperfResult } from './baselines/iperf.js';
import type { HarnessDelays } from './cell/batch-maker.js';
import { runConsumeCeilings, runProduceCeilings, type Ceilings } from './ceilings.js';
import { writeCharts } from './charts.js';
import { namedByEngine, resolveComponents } from './components.js';
import { fingerprint } from './fingerprint.js';
import { Interrupted, signalName, untilAborted } from './interrupt.js';
import { encodeHistogram } from './histogram.js';
import { expandMatrix, type Cell } from './matrix.js';
import { repetitionLine, type Progress } from './progress.js';
import { renderCsv, renderReport } from './report.js';
import { flattenRepetition, RESULTS_SCHEMA_VERSION, summarizeRepetitions, type BenchResults, type CellResult, type Metrics } from './results.js';
import { FETCH_BYTES_MAX, runRepetition } from './run-cell.js';
import { validateResults } from './schema.js';
import { round } from './stats.js';
import { describeTarget, runTargetCells, targetCells, type TargetOptions } from './target.js';
import { workloadHash, type Workload } from './workload.js';

export interface BenchOptions {
  workload: Workload;
  workloadFile: string | null;
  /** Directory on the disk under test; cells write below it and remove what they wrote. */
  dataDir: string;
  outDir: string;
  quick: boolean;
  progress: Progress;
  /** Run fio / iperf3 baselines (when installed). */
  baselines: boolean;
  /** Seconds each fio job may run at most, and each iperf3 run lasts. */
  baselineSeconds: number;
  /** iperf3 server on the receiver host (two-host runs); loopback otherwise. */
  iperfServer?: { host: string; port: number };
  /** `strata receive --topic strata-bench` on another host: each cell ships its log there. */
  receiver?: { host: string; port: number };
  /** A Kafka-protocol cluster to run the workload against instead of the core Log (harness/target.ts). */
  target?: TargetOptions;
  charts: boolean;
  /**
   * Aborted with the signal's name (SIGINT, SIGTERM): the cell in progress is abandoned, the cells
   * that finished are written with `interrupted` set, and the run directory is removed.
   */
  signal?: AbortSignal;
  /** Tests only: delays put into the load generator (harness/cell/batch-maker.ts). */
  delays?: HarnessDelays;
}

/** Checks every cell's Kafka config up front so a bad value fails before anything runs. */
function checkConfigs(cells: readonly Cell[]): void {
  for (const cell of cells) {
    try {
      logConfigFrom(cell.config);
    } catch (err) {
      throw new StrataError('INVALID_ARGUMENT', `workload matrix.config: ${(err as Error).message}`);
    }
  }
}

export async function runBench(opts: BenchOptions): Promise<BenchResults> {
  if (opts.target) return runTargetBench(opts, opts.target);
  const started = process.hrtime.bigint();
  const w = opts.workload;
  const cells = expandMatrix(w.matrix);
  checkConfigs(cells);
  const dataDir = resolve(opts.dataDir);
  const runDir = join(dataDir, `strata-harness-run-${process.pid}-${Date.now()}`);
  await mkdir(runDir, { recursive: true });
  await mkdir(opts.outDir, { recursive: true });

  const baselineNotes: string[] = [];
  const fioV = opts.baselines ? await fioVersion() : undefined;
  const iperfV = opts.baselines ? await iperfVersion() : undefined;
  if (opts.baselines && !fioV) {
    baselineNotes.push(FIO_INSTALL_HINT);
    opts.progress.log(`strata bench: ${FIO_INSTALL_HINT}`);
  }
  if (opts.baselines && !iperfV) {
    baselineNotes.push(IPERF_INSTALL_HINT);
    opts.progress.log(`strata bench: ${IPERF_INSTALL_HINT}`);
  }
  // the C loop of the same system calls: there on every machine the addon builds on
  const loopBin = opts.baselines ? loopBinary() : undefined;
  if (opts.baselines && !loopBin) {
    baselineNotes.push(loopUnavailableNote());
    opts.progress.log(`strata bench: ${loopUnavailableNote()}`);
  }
  if (!opts.baselines) baselineNotes.push('baselines disabled (--no-baselines)');
  const fp = await fingerprint(dataDir, workloadHash(w), w.seed, { fio: fioV, iperf3: iperfV });

  const fioResults: Record<string, FioResult> = {};
  const loopResults: Record<string, LoopResult> = {};
  let iperf: IperfResult[] = [];
  const cellResults: CellResult[] = [];
  let interrupted: BenchResults['interrupted'] = null;
  let ceilings: Ceilings | undefined;
  /** The transfers the consume cells used, as the C loop names them: the consume ceilings to run. */
  const consumeModes = new Set<'sendfile' | 'copy'>();
  let current: string | null = null;
  const until = <T>(work: Promise<T>) => untilAborted(work, opts.signal);
  try {
    if (opts.receiver && w.partitions !== 1) {
      throw new StrataError('INVALID_ARGUMENT', `--receiver ships partition 0 to one \`strata receive\`: the workload must have partitions: 1 (it has ${w.partitions})`);
    }
    if (iperfV && opts.receiver && !opts.iperfServer) {
      baselineNotes.push('iperf3 skipped: with --receiver the network baseline needs an iperf3 server on the receiver host (`iperf3 -s` there, then --iperf-server HOST:5201)');
    } else if (iperfV && (w.consumers > 0 || opts.receiver)) {
      try {
        iperf = await until(opts.iperfServer
          ? runIperfRemote(opts.iperfServer.host, opts.iperfServer.port, opts.baselineSeconds)
          : runIperfLoopback(opts.baselineSeconds));
      } catch (err) {
        if (err instanceof Interrupted) throw err;
        baselineNotes.push(`iperf3 failed: ${(err as Error).message}`);
      }
    }
    const fioFor = async (job: FioJob): Promise<string | undefined> => {
      if (!fioV) return undefined;
      const key = fioJobKey(job);
      if (!fioResults[key]) {
        try {
          fioResults[key] = await until(runFio(job, runDir));
        } catch (err) {
          if (err instanceof Interrupted) throw err;
          baselineNotes.push(`fio ${key} failed: ${(err as Error).message.split('\n')[0]}`);
          return undefined;
        }
      }
      return key;
    };

    const loopFor = async (job: LoopJob): Promise<string | undefined> => {
      if (!loopBin) return undefined;
      const key = loopJobKey(job);
      if (!loopResults[key]) {
        try {
          loopResults[key] = await until(runLoop(job, runDir, loopBin));
        } catch (err) {
          if (err instanceof Interrupted) throw err;
          baselineNotes.push(`C loop ${key} failed: ${(err as Error).message.split('\n')[0]}`);
          return undefined;
        }
      }
      return key;
    };

    opts.progress.start(cells.length * w.repetitions);
    for (let ci = 0; ci < cells.length; ci++) {
      const cell = cells[ci]!;
      if (opts.signal?.aborted) throw new Interrupted(signalName(opts.signal));
      current = cell.id;
      let base: CellResult = { ...cell, status: 'ok', notes: [], repetitions: [], summary: {}, baselineRefs: {}, ratios: {} };
      const resolved = await resolveComponents(cell);
      if (!resolved.ok) {
        cellResults.push({ ...base, status: 'skipped', reason: resolved.reason });
        opts.progress.log(`skipped ${cell.id}: ${resolved.reason}`);
        opts.progress.advance(w.repetitions, `${cell.id} skipped`);
        continue;
      }
      base.notes.push(...resolved.notes);
      base = namedByEngine(base, resolved.components.engine);
      current = base.id;
      base.transferImpl = resolved.components.transfer.name;
      const reps: Metrics[] = [];
      try {
        for (let r = 0; r < w.repetitions; r++) {
          const result = await until(runRepetition({ workload: w, cell, components: resolved.components, dir: join(runDir, `c${ci}-r${r}`), repetition: r, receiver: opts.receiver, delays: opts.delays }));
          base.logImpl = result.logImpl;
          const m = flattenRepetition(result);
          reps.push(m);
          if (r === 0) {
            base.histograms = {};
            for (const [name, h] of Object.entries(result.histograms)) if (h.totalCount > 0) base.histograms[name] = encodeHistogram(h);
          }
          opts.progress.advance(1, repetitionLine(base.id, r + 1, w.repetitions, m));
        }
      } catch (err) {
        if (err instanceof Interrupted) throw err;
        cellResults.push({ ...base, status: 'failed', reason: (err as Error).message, repetitions: reps, summary: summarizeRepetitions(reps) });
        opts.progress.log(`failed ${base.id}: ${(err as Error).message}`);
        continue;
      }
      base.repetitions = reps;
      base.summary = summarizeRepetitions(reps);
      if (base.summary['warmRead.mbPerSec']) consumeModes.add(resolved.components.transfer.supports.zeroCopy ? 'sendfile' : 'copy');
      // baselines sized from what the cell actually wrote
      if (opts.baselines) {
        const s = base.summary;
        const jobs = fioJobsFor(resolved.components.engine, s['produce.batchBytesMean']!.median, s['produce.diskBytes']!.median, opts.baselineSeconds);
        base.baselineRefs.fioWrite = await fioFor(jobs.write);
        if (iperf.length === 2 && (s['warmRead.mbPerSec'] || s['ship.mbPerSec'])) base.baselineRefs.iperf = resolved.components.transfer.supports.zeroCopy ? 'zerocopy' : 'plain';
        const loops = loopJobsFor(resolved.components.engine, resolved.components.transfer, s['produce.batchBytesMean']!.median, s['produce.diskBytes']!.median, FETCH_BYTES_MAX, opts.baselineSeconds);
        base.baselineRefs.loopWrite = await loopFor(loops.write);
        if (s['warmRead.mbPerSec']) base.baselineRefs.loopNet = await loopFor(loops.net);
        for (const k of Object.keys(base.baselineRefs) as (keyof CellResult['baselineRefs'])[]) if (base.baselineRefs[k] === undefined) delete base.baselineRefs[k];
        base.ratios = ratiosOf(base, fioResults, iperf, loopResults);
      }
      cellResults.push(base);
      current = null;
    }
    if (cellResults.some((c) => c.status === 'ok')) {
      current = 'produce ceiling (null engine)';
      opts.progress.log('produce ceiling: the same harness over the null engine');
      ceilings = { produce: await until(runProduceCeilings(w, cellResults, runDir, opts.delays)) };
      // the consume ceiling needs the C loop whether or not the baselines run
      const ceilingBin = loopBin ?? loopBinary();
      if (ceilingBin && consumeModes.size > 0) {
        current = 'consume ceiling (C loop sender -> harness consumer)';
        opts.progress.log('consume ceiling: the C loop\'s sender into its own sink and into the harness\'s consumer');
        const seconds = Math.max(1, w.durationSeconds || opts.baselineSeconds);
        ceilings.consume = await until(runConsumeCeilings([...consumeModes].sort(), runDir, seconds, w.repetitions, ceilingBin, opts.delays));
      }
      current = null;
    }
  } catch (err) {
    if (!(err instanceof Interrupted)) throw err;
    interrupted = { signal: err.signal, cellsPlanned: cells.length, stoppedCell: current };
  } finally {
    opts.progress.stop();
    // an abandoned cell may still be writing there: removed only once the results are written
    if (!interrupted) await rm(runDir, { recursive: true, force: true });
  }

  try {
    return await writeResults(opts, started, {
      receiver: opts.receiver ? `${opts.receiver.host}:${opts.receiver.port}` : null,
      target: null,
      fingerprint: fp,
      baselines: { fio: fioResults, iperf3: iperf, loop: loopResults, notes: baselineNotes },
      cells: cellResults,
      ceilings,
      interrupted,
    });
  } finally {
    // synchronously, so nothing of the abandoned cell runs between this and the caller's exit
    if (interrupted) rmSync(runDir, { recursive: true, force: true });
  }
}

/** What differs between a run on the core Log and one against a target; the rest is the options'. */
type RunParts = Pick<BenchResults, 'receiver' | 'target' | 'fingerprint' | 'baselines' | 'cells' | 'interrupted'> & Partial<Pick<BenchResults, 'ceilings'>>;

/** results.json, results.csv, the charts and report.md of a finished run, checked against the schema first. */
async function writeResults(opts: BenchOptions, started: bigint, parts: RunParts): Promise<BenchResults> {
  const results: BenchResults = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: 'strata bench',
    workload: opts.workload,
    workloadFile: opts.workloadFile,
    quick: opts.quick,
    ...parts,
    durationSeconds: round(Number(process.hrtime.bigint() - started) / 1e9),
  };
  validateResults(results);
  await writeFile(join(opts.outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  await writeFile(join(opts.outDir, 'results.csv'), renderCsv(results));
  const charts = opts.charts ? await writeCharts(results, opts.outDir) : [];
  await writeFile(join(opts.outDir, 'report.md'), renderReport(results, charts));
  return results;
}

/**
 * The workload against a Kafka-protocol cluster. No fio: the disk under test is the brokers'. iperf3
 * only with --iperf-server (an iperf3 -s on a broker host): loopback iperf3 says nothing about the
 * path to a remote cluster.
 */
async function runTargetBench(opts: BenchOptions, targetOpts: TargetOptions): Promise<BenchResults> {
  const started = process.hrtime.bigint();
  const w = opts.workload;
  if (opts.receiver) throw new StrataError('INVALID_ARGUMENT', '--receiver ships the core Log; it does not combine with --target');
  await mkdir(opts.outDir, { recursive: true });
  const target = await describeTarget(targetOpts, w);
  const notes = ['fio not run: with --target the disk under test is the brokers\' (run fio on a broker host to place the figures)'];
  const iperfV = opts.baselines ? await iperfVersion() : undefined;
  let iperf: IperfResult[] = [];
  if (opts.baselines && opts.iperfServer && iperfV) {
    try {
      iperf = await runIperfRemote(opts.iperfServer.host, opts.iperfServer.port, opts.baselineSeconds);
    } catch (err) {
      notes.push(`iperf3 failed: ${(err as Error).message}`);
    }
  } else {
    notes.push('iperf3 not run: with --target it needs --iperf-server BROKER_HOST:5201 (iperf3 -s on a broker host)');
  }
  const fp = await fingerprint(resolve(opts.dataDir), workloadHash(w), w.seed, { iperf3: iperfV });
  const runTag = `${Date.now().toString(36)}-${process.pid}`;
  let cells;
  try {
    cells = await runTargetCells(w, target, runTag, opts.progress, opts.signal);
  } finally {
    opts.progress.stop();
  }
  const { servers: _servers, ...targetInfo } = target;
  const interrupted = opts.signal?.aborted ? { signal: signalName(opts.signal), cellsPlanned: targetCells(w, targetOpts.acks).length, stoppedCell: null } : null;
  return writeResults(opts, started, { receiver: null, target: targetInfo, fingerprint: fp, baselines: { fio: {}, iperf3: iperf, loop: {}, notes }, cells, interrupted });
}

function ratiosOf(cell: CellResult, fio: Record<string, FioResult>, iperf: IperfResult[], loop: Record<string, LoopResult>): CellResult['ratios'] {
  const s = cell.summary;
  const out: CellResult['ratios'] = {};
  const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? round(a / b) : undefined);
  const refs = cell.baselineRefs;
  if (refs.fioWrite) out.produceToFioWrite = ratio(s['produce.diskMbPerSec']?.median, fio[refs.fioWrite]?.mbPerSec);
  const iperfMb = iperf.find((i) => i.zeroCopy === (refs.iperf === 'zerocopy'))?.mbPerSec;
  if (refs.iperf && s['warmRead.mbPerSec']) out.warmReadToIperf = ratio(s['warmRead.mbPerSec'].median, iperfMb);
  if (refs.iperf && s['ship.mbPerSec']) out.shipToIperf = ratio(s['ship.mbPerSec'].median, iperfMb);
  if (refs.loopWrite) out.produceToLoopWrite = ratio(s['produce.diskMbPerSec']?.median, loop[refs.loopWrite]?.mbPerSec);
  const loopW = refs.loopWrite ? loop[refs.loopWrite] : undefined;
  // durable engines: an append's wait against one O_DSYNC write of the same size (lower is better)
  if (loopW?.job.mode === 'dsync') out.appendP50ToLoopDsyncP50 = ratio(s['produce.appendLatency.usP50']?.median, loopW.latencyUsP50);
  if (refs.loopNet) out.warmReadToLoopNet = ratio(s['warmRead.mbPerSec']?.median, loop[refs.loopNet]?.mbPerSec);
  for (const k of Object.keys(out) as (keyof typeof out)[]) if (out[k] === undefined) delete out[k];
  return out;
}
