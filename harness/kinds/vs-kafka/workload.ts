/**
 * Workload kind `vs-kafka`: strata serve beside Apache Kafka on the same machine, the same clients
 * and data (measurements (a)-(d) of ./measurements.ts), as a `strata bench`
 * workload. Each measurement row of each target is one cell (`ROW/TARGET`), a repetition per run;
 * a strata cell also carries its per-repetition ratios to Kafka's run of the same repetition
 * (`toKafka.METRIC`). The comparison's own record (machine, sizes, goals, syscalls, notes) is
 * `details`, from which report.md and the charts are drawn.
 */
import { KAFKA_VERSION } from '../../peers/kafka/kafka-peer.js';
import { fingerprint } from '../../fingerprint.js';
import type { BenchResults, CellResult, Metrics } from '../../results.js';
import { round } from '../../stats.js';
import { workloadHash } from '../../workload.js';
import { runVsKafka, type VsKafkaOptions } from './run.js';
import { ROW_TITLES, type VsKafkaResults } from './report.js';
import { allTargetIds, parseTargets, type TargetSpec } from './servers.js';
import type { RunRecord } from './summary.js';
import { CLIENTS, FULL_SIZES, parseClients, parseWorkloads, QUICK_SIZES, WORKLOADS, type Sizes } from './measurements.js';
import { focusedCell, focusedResults, kindOptions, type KindRun } from '../kind.js';

/** The workload's options as the comparison's; `repetitions` is the workload's own field. */
export function vsKafkaOptions(run: KindRun): VsKafkaOptions {
  const w = run.workload;
  const o = kindOptions(run, 'vs-kafka');
  const base = run.quick ? QUICK_SIZES : FULL_SIZES;
  const sizes: Sizes = { ...base };
  for (const key of Object.keys(base) as (keyof Sizes)[]) sizes[key] = o.positive(key, base[key]);
  const targets = o.list('targets', parseTargets(allTargetIds().join(',')), parseTargets);
  const out: VsKafkaOptions = {
    reps: w.repetitions,
    quick: run.quick,
    // --quick: Kafka and the first strata target, a smoke run rather than the comparison
    targets: run.quick ? targets.filter((t, i) => t.kind === 'kafka' || i === targets.findIndex((x) => x.kind === 'strata')) : targets,
    workloads: o.list('workloads', [...WORKLOADS], parseWorkloads),
    clients: o.list('clients', [...CLIENTS], parseClients),
    kafkaHeap: o.string('kafkaHeap', '1G'),
    coldMethod: o.oneOf('coldMethod', ['drop_caches', 'posix_fadvise'] as const, 'drop_caches'),
    syscalls: o.bool('syscalls', true),
    cpuProf: o.bool('cpuProf', false),
    sizes,
    dataDir: run.dataDir,
    out: run.outDir,
    command: `npx --no-install strata bench --workload ${run.workloadFile ?? '(replayed workload)'}${run.quick ? ' --quick' : ''}`,
    log: run.log,
  };
  o.done();
  return out;
}

/** The record size and codec of a row, from its workload letter (see workloads.ts). */
function rowShape(row: string, sizes: Sizes): { codec: string; recordBytes: number } {
  switch (row[0]) {
    case 'a':
      return { codec: 'lz4', recordBytes: 100 };
    case 'b':
      return { codec: 'none', recordBytes: 1024 };
    case 'c':
      return { codec: 'none', recordBytes: 100 };
    case 'd':
      return { codec: 'none', recordBytes: sizes.fetchRecordBytes };
    default:
      return { codec: 'none', recordBytes: 1 };
  }
}

/**
 * The comparison's metric names as the results schema's: `...PerSec` throughput, latency in
 * microseconds as `latency.usP50`, CPU per GB under the process it was read from.
 */
export function benchMetric(name: string, value: number): [string, number] {
  const lat = /^latencyMs(P\d+|Max|Avg)$/.exec(name);
  if (lat) return [`latency.us${lat[1] === 'Avg' ? 'Mean' : lat[1]}`, round(value * 1000)];
  const cpu = /^(server|client)Cpu(Seconds|SecondsPerGb)$/.exec(name);
  if (cpu) return [`${cpu[1]}.cpu${cpu[2]}`, round(value)];
  return [name.replace(/PerSecond$/, 'PerSec'), round(value)];
}

function metricsOf(raw: Record<string, number>): Metrics {
  const out: Metrics = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!Number.isFinite(v)) continue;
    const [name, value] = benchMetric(k, v);
    out[name] = value;
  }
  return out;
}

function rowMetrics(run: RunRecord, row: string): Metrics | undefined {
  if (row === 'server') return run.rssPeakMb === undefined ? undefined : { 'server.rssPeakMb': run.rssPeakMb };
  const found = run.rows.find((r) => r.id === row);
  return found ? metricsOf(found.metrics) : undefined;
}

/** Each strata repetition's figures over Kafka's of the same repetition (runs minutes apart). */
function withRatios(mine: Metrics, kafka: Metrics | undefined): Metrics {
  if (!kafka) return mine;
  const out = { ...mine };
  for (const [k, v] of Object.entries(mine)) if (kafka[k]) out[`toKafka.${k}`] = round(v / kafka[k]!);
  return out;
}

/** The comparison's runs as cells `ROW/TARGET`, one repetition per run of the target. */
export function vsKafkaCells(r: Pick<VsKafkaResults, 'runs' | 'targets' | 'sizes'>): CellResult[] {
  const rows = [...new Set(r.runs.flatMap((run) => [...run.rows.map((x) => x.id), ...(run.rssPeakMb === undefined ? [] : ['server'])]))];
  const cells: CellResult[] = [];
  for (const row of rows) {
    for (const target of r.targets) {
      const runs = r.runs.filter((run) => run.target === target.id).sort((a, b) => a.rep - b.rep);
      const repetitions: Metrics[] = [];
      for (const run of runs) {
        const mine = rowMetrics(run, row);
        if (!mine) continue;
        const kafkaRun = r.runs.find((k) => k.target === 'kafka' && k.rep === run.rep);
        repetitions.push(target.kind === 'strata' && kafkaRun ? withRatios(mine, rowMetrics(kafkaRun, row)) : mine);
      }
      cells.push(focusedCell({
        id: `${row}/${target.id}`,
        engine: target.engine ?? 'kafka',
        transfer: target.transfer ?? 'kafka',
        ...rowShape(row, r.sizes),
        logImpl: logImpl(target),
        notes: [ROW_TITLES[row] ?? row, `acknowledged ${target.acknowledgedWhen}`],
        repetitions,
        error: runs.map((x) => x.error).find(Boolean),
      }));
    }
  }
  return cells;
}

function logImpl(t: TargetSpec): string {
  return t.kind === 'kafka' ? `Apache Kafka ${KAFKA_VERSION}` : `strata serve --engine ${t.engine} --transfer ${t.transfer}`;
}

export async function runVsKafkaKind(run: KindRun): Promise<BenchResults> {
  const started = Date.now();
  const options = vsKafkaOptions(run);
  const fp = await fingerprint(run.dataDir, workloadHash(run.workload), run.workload.seed, {});
  const { results } = await runVsKafka(options);
  const notes = ['no fio or iperf3 baseline: each strata cell is set against Apache Kafka run in the same repetition (toKafka.*)'];
  return focusedResults(run, fp, vsKafkaCells(results), results as unknown as Record<string, unknown>, notes, started);
}
