/**
 * Workload kind `scale`: one node holding 1 to 100,000 partitions, strata serve beside Apache
 * Kafka on the same machine. For each size (./phases.ts): CreateTopics over the wire, idle memory
 * and descriptors per partition, kcat producing over every partition with the server's CPU per GB,
 * shutdown on SIGTERM, startup after the clean stop and after SIGKILL. Repetitions alternate the
 * targets within each size. A target that fails a size or takes longer than the size's budget
 * stops growing there (the cell says why; its larger sizes are skipped cells).
 *
 * Cells `pN/TARGET`, a repetition per run, with `toFirstSize.METRIC` (the same target and
 * repetition at the list's first size) and on strata's `toKafka.METRIC` (Kafka at the same size
 * and repetition) and `toKafkaLargest.produce.recordsPerSec` (Kafka at the largest size it reached).
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fingerprint } from '../../fingerprint.js';
import type { BenchResults, CellResult, Metrics } from '../../results.js';
import { round } from '../../stats.js';
import { workloadHash } from '../../workload.js';
import { KCAT } from '../../clients/kcat.js';
import { RecordFiles } from '../vs-kafka/clients.js';
import { focusedCell, focusedResults, KindOptions, type KindRun } from '../kind.js';
import { measureSize, SizeFailed, type ScaleSizes } from './phases.js';
import { renderScaleReport } from './report.js';
import { SCALE_TARGETS, type ScaleTarget } from './servers.js';

export const FULL_PARTITIONS = [1, 100, 1000, 10_000, 100_000];
/** --quick: the sizes a busy machine runs in a minute or two; the figures mean little. */
const QUICK_PARTITIONS_MAX = 100;

export interface ScaleOptions {
  partitions: number[];
  targets: ScaleTarget[];
  sizes: ScaleSizes;
  kafkaHeap: string;
  engine: string;
}

export function scaleOptions(run: KindRun): ScaleOptions {
  const o = new KindOptions(run.workload.options ?? {}, run.workloadFile ?? 'command line', 'scale');
  const quick = <T>(full: T, small: T): T => (run.quick ? small : full);
  const partitions = o.positiveIntegers('partitions', FULL_PARTITIONS);
  const out: ScaleOptions = {
    partitions: run.quick ? partitions.filter((n) => n <= QUICK_PARTITIONS_MAX) : partitions,
    targets: o.list('targets', [...SCALE_TARGETS], parseScaleTargets),
    sizes: {
      produceRecords: Math.min(Math.round(o.positive('produceRecords', 1_000_000)), quick(Infinity, 20_000)),
      warmupRecords: Math.min(Math.round(o.positive('warmupRecords', 200_000)), quick(Infinity, 2_000)),
      recordBytes: Math.round(o.positive('recordBytes', 100)),
      codec: o.oneOf('codec', ['none', 'lz4'] as const, 'lz4'),
      idleSeconds: Math.min(o.positive('idleSeconds', 5), quick(Infinity, 1)),
      budgetSeconds: o.positive('budgetSeconds', 1800),
    },
    kafkaHeap: o.string('kafkaHeap', '1G'),
    engine: o.string('engine', 'pwrite'),
  };
  o.done();
  if (out.partitions.length === 0) throw new Error(`workload ${run.workloadFile ?? 'command line'}: --quick leaves no size of options.partitions (it keeps those <= ${QUICK_PARTITIONS_MAX})`);
  return out;
}

export function parseScaleTargets(csv: string): ScaleTarget[] {
  const ids = csv.split(',').map((s) => s.trim()).filter(Boolean);
  for (const id of ids) if (!(SCALE_TARGETS as readonly string[]).includes(id)) throw new Error(`unknown target "${id}" (known: ${SCALE_TARGETS.join(', ')})`);
  return SCALE_TARGETS.filter((t) => ids.includes(t));
}

/** One size on one target in one repetition. */
export interface ScaleRun {
  rep: number;
  target: ScaleTarget;
  partitions: number;
  metrics?: Metrics;
  notes: string[];
  error?: string;
  loadAverage1m: number[];
}

/** Where a target stopped growing, and why. */
export interface ScaleStop {
  partitions: number;
  phase: string;
  reason: string;
}

export interface ScaleDetails {
  benchmark: 'scale';
  partitions: number[];
  targets: ScaleTarget[];
  sizes: ScaleSizes;
  engine: string;
  kafkaHeap: string;
  client: string;
  openFilesLimit: string;
  runs: ScaleRun[];
  stoppedAt: Partial<Record<ScaleTarget, ScaleStop>>;
  command: string;
}

export async function runScaleKind(run: KindRun): Promise<BenchResults> {
  const started = Date.now();
  const o = scaleOptions(run);
  const fp = await fingerprint(run.dataDir, workloadHash(run.workload), run.workload.seed, {});
  const root = fs.mkdtempSync(join(run.dataDir, 'strata-scale-'));
  const files = new RecordFiles(join(root, 'inputs'));
  const runs: ScaleRun[] = [];
  const stoppedAt: ScaleDetails['stoppedAt'] = {};
  try {
    for (let rep = 0; rep < run.workload.repetitions; rep++) {
      for (const partitions of o.partitions) {
        for (const target of o.targets) {
          if (stoppedAt[target]) continue;
          run.log(`rep ${rep + 1}/${run.workload.repetitions}: ${target}, ${partitions} partition(s)`);
          const r: ScaleRun = { rep, target, partitions, notes: [], loadAverage1m: [os.loadavg()[0]!] };
          runs.push(r);
          try {
            const res = await measureSize({ target, partitions, dir: join(root, `rep${rep}-${target}-${partitions}`), sizes: o.sizes, files, kafkaHeap: o.kafkaHeap, engine: o.engine, log: run.log });
            r.metrics = res.metrics;
            r.notes.push(...res.notes);
          } catch (e) {
            const phase = e instanceof SizeFailed ? e.phase : 'run';
            r.error = (e as Error).message;
            // a size it cannot do is where this target stops growing, in every repetition after
            stoppedAt[target] = { partitions, phase, reason: r.error };
            run.log(`  ${target} stopped at ${partitions} partitions: ${r.error}`);
          }
          r.loadAverage1m.push(os.loadavg()[0]!);
        }
      }
    }
  } finally {
    files.remove();
    fs.rmSync(root, { recursive: true, force: true });
  }
  const details: ScaleDetails = {
    benchmark: 'scale', partitions: o.partitions, targets: o.targets, sizes: o.sizes, engine: o.engine, kafkaHeap: o.kafkaHeap,
    client: `${kcatVersion()}, no key, sticky.partitioning.linger.ms=0 (a partition per record at random), acks=1, ${o.sizes.codec}`,
    openFilesLimit: openFilesLimit(), runs, stoppedAt,
    command: `npx --no-install strata bench --workload ${run.workloadFile ?? '(replayed workload)'}${run.quick ? ' --quick' : ''}`,
  };
  const notes = ['no fio or iperf3 baseline: each cell is set against the same target at the first size (toFirstSize.*) and strata against Kafka at the same size (toKafka.*)'];
  const results = focusedResults(run, fp, scaleCells(details), details as unknown as Record<string, unknown>, notes, started);
  fs.writeFileSync(join(run.outDir, 'report.md'), renderScaleReport(results));
  return results;
}

function ratios(prefix: string, mine: Metrics, base: Metrics | undefined): Metrics {
  const out: Metrics = {};
  if (!base) return out;
  for (const [k, v] of Object.entries(mine)) if (base[k]) out[`${prefix}.${k}`] = round(v / base[k]!);
  return out;
}

/** The figures of each run with their ratios, as cells `pN/TARGET`. */
export function scaleCells(d: ScaleDetails): CellResult[] {
  const find = (rep: number, target: ScaleTarget, partitions: number) => d.runs.find((x) => x.rep === rep && x.target === target && x.partitions === partitions)?.metrics;
  const kafkaLargest = (rep: number) => d.runs.filter((x) => x.rep === rep && x.target === 'kafka' && x.metrics).sort((a, b) => b.partitions - a.partitions)[0]?.metrics;
  const cells: CellResult[] = [];
  for (const partitions of d.partitions) {
    for (const target of d.targets) {
      const mine = d.runs.filter((x) => x.target === target && x.partitions === partitions);
      const repetitions = mine.filter((x) => x.metrics).map((x) => {
        const m = x.metrics!;
        const out = { partitions, ...m, ...ratios('toFirstSize', pick(m, FIRST_SIZE_RATIOS), find(x.rep, target, d.partitions[0]!)) };
        if (target !== 'strata') return out;
        const largest = kafkaLargest(x.rep)?.['produce.recordsPerSec'];
        return { ...out, ...ratios('toKafka', m, find(x.rep, 'kafka', partitions)), ...(largest ? { 'toKafkaLargest.produce.recordsPerSec': round(m['produce.recordsPerSec']! / largest) } : {}) };
      });
      const stop = d.stoppedAt[target];
      const cell = focusedCell({
        id: `p${partitions}/${target}`,
        engine: target === 'kafka' ? 'kafka' : d.engine,
        transfer: 'none',
        codec: d.sizes.codec,
        recordBytes: d.sizes.recordBytes,
        logImpl: target === 'kafka' ? `Apache Kafka (one KRaft node, -Xmx${d.kafkaHeap})` : `strata serve --engine ${d.engine}`,
        notes: [`${partitions} partition(s) on one node`, ...new Set(mine.flatMap((x) => x.notes))],
        repetitions,
        error: mine.map((x) => x.error).find(Boolean),
      });
      if (mine.length === 0 && stop) cells.push({ ...cell, status: 'skipped', reason: `not tried: ${target} stopped at ${stop.partitions} partitions (${stop.phase})` });
      else cells.push(cell);
    }
  }
  return cells;
}

/** What is set against the first size: the costs that should stay flat as partitions grow. */
const FIRST_SIZE_RATIOS = ['produce.recordsPerSec', 'server.cpuSecondsPerGb', 'startup.clean.seconds', 'startup.afterKill.seconds', 'shutdown.seconds'];

function pick(m: Metrics, keys: readonly string[]): Metrics {
  return Object.fromEntries(keys.filter((k) => m[k] !== undefined).map((k) => [k, m[k]!]));
}

function kcatVersion(): string {
  try {
    const v = execFileSync(KCAT, ['-V'], { encoding: 'utf8' });
    return `kcat ${/^Version ([\w.-]+)/m.exec(v)?.[1] ?? '?'} (${/librdkafka [\d.]+/.exec(v)?.[0] ?? 'librdkafka ?'})`;
  } catch (e) {
    return `kcat (${(e as Error).message})`;
  }
}

/** The servers inherit this process's limit on open files (`ulimit -n`), soft/hard. */
function openFilesLimit(): string {
  const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const m = line ? /Max open files\s+(\S+)\s+(\S+)/.exec(line) : null;
  return m ? `${m[1]}/${m[2]}` : 'unknown';
}
