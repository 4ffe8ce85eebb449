/**
 * The results file (results.json; schema in harness/schema/results.schema.json, documented in
 * docs/harness.md). Per-repetition metrics are flat `phase.metric[.percentile]` keys so the CSV,
 * the report and `strata compare` treat every figure alike.
 */
import type { Ceilings } from './ceilings.js';
import type { Fingerprint } from './fingerprint.js';
import type { FioResult } from './baselines/fio.js';
import type { IperfResult } from './baselines/iperf.js';
import type { LoopResult } from './baselines/loop.js';
import type { LatencySummary } from './histogram.js';
import type { Cell } from './matrix.js';
import type { RepetitionResult } from './run-cell.js';
import { round, spread, type Spread } from './stats.js';
import type { TargetInfo } from './target.js';
import type { Workload } from './workload.js';

/** 2: batches made before the clock, ceiling rows, consume ratios only against the same transfer. */
export const RESULTS_SCHEMA_VERSION = 2;

export type Metrics = Record<string, number>;

export interface CellRatios {
  /** Median produce disk MB/s over fio's matching sequential write. */
  produceToFioWrite?: number;
  /** Schema 1 only (a transfer over TCP divided by a file read: no longer written). */
  warmReadToFioReadHot?: number;
  /** Schema 1 only, likewise. */
  coldReadToFioReadCold?: number;
  /** Median warm-read MB/s over iperf3 on the same path (-Z for zero-copy transfers). */
  warmReadToIperf?: number;
  /** Median log-shipping MB/s to the receiver over iperf3 to the receiver host. */
  shipToIperf?: number;
  /** The same four against the C loop of the same system calls (harness/baselines/loop.ts). */
  produceToLoopWrite?: number;
  /** Schema 1 only, likewise. */
  warmReadToLoopReadHot?: number;
  coldReadToLoopReadCold?: number;
  /** Median warm-read MB/s over the loop's sendfile (zero-copy transfers) or pread + write to a loopback sink. */
  warmReadToLoopNet?: number;
  /** Durable engines: median append p50 over the C loop's O_DSYNC write p50 of the same size (1× = the disk's own wait). */
  appendP50ToLoopDsyncP50?: number;
}

export interface CellResult extends Cell {
  status: 'ok' | 'skipped' | 'failed';
  /** Why a cell was skipped or failed. */
  reason?: string;
  notes: string[];
  logImpl?: string;
  /** The Transfer's own name (e.g. `buffered(harness-fallback)` when the real one is missing). */
  transferImpl?: string;
  repetitions: Metrics[];
  summary: Record<string, Spread>;
  /** Keys into results.baselines.fio and .loop, and which iperf3 run the read is set against. */
  baselineRefs: { fioWrite?: string; fioReadHot?: string; fioReadCold?: string; iperf?: 'plain' | 'zerocopy'; loopWrite?: string; loopReadHot?: string; loopReadCold?: string; loopNet?: string };
  ratios: CellRatios;
  /** HDR histograms (compressed base64) of the first repetition, for later re-analysis. */
  histograms?: Record<string, string>;
  /** --target runs: the producers' acks for this cell (0, 1, all). */
  acks?: string;
}

export interface BenchResults {
  schemaVersion: number;
  tool: 'strata bench';
  /** The effective workload after defaults and command-line overrides: what --replay re-runs. */
  workload: Workload;
  workloadFile: string | null;
  quick: boolean;
  /** HOST:PORT of the remote `strata receive` the cells shipped to, or null (loopback only). */
  receiver: string | null;
  /** --target: the Kafka-protocol cluster the cells ran against and its brokers; null or absent = the core Log here. */
  target?: TargetInfo | null;
  fingerprint: Fingerprint;
  baselines: {
    fio: Record<string, FioResult>;
    iperf3: IperfResult[];
    /** The C loop baselines by job key (absent in results written before it existed). */
    loop?: Record<string, LoopResult>;
    notes: string[];
  };
  cells: CellResult[];
  /** Runs that show whether the harness was the limit (absent before schema 2 and with --target). */
  ceilings?: Ceilings;
  durationSeconds: number;
  /** The run was stopped by a signal: `cells` holds the cells that finished before it; absent or null otherwise. */
  interrupted?: { signal: string; cellsPlanned: number; stoppedCell: string | null } | null;
  /** A workload kind other than matrix (harness/kinds/): its own record of the run, from which its report.md is drawn. */
  details?: Record<string, unknown>;
}

function addLatency(out: Metrics, prefix: string, s: LatencySummary | undefined): void {
  if (!s || s.count === 0) return;
  out[`${prefix}.usP50`] = s.usP50;
  out[`${prefix}.usP90`] = s.usP90;
  out[`${prefix}.usP99`] = s.usP99;
  out[`${prefix}.usP999`] = s.usP999;
  out[`${prefix}.usMax`] = s.usMax;
}

const PHASE_USAGE_KEYS = ['cpuUserS', 'cpuSystemS', 'cpuSecondsPerGb', 'cpuUserSecondsPerGb', 'cpuSystemSecondsPerGb', 'pageFaultsMinor', 'pageFaultsMajor', 'ctxSwitchesVoluntary', 'ctxSwitchesInvoluntary', 'peakRssBytes'] as const;

export function flattenRepetition(r: RepetitionResult): Metrics {
  const out: Metrics = {};
  const p = r.produce;
  for (const k of ['records', 'seconds', 'recordsPerSec', 'mbPerSec', 'diskMbPerSec', 'diskBytes', 'payloadBytes', 'compressionRatio', 'batches', 'batchBytesMean', 'residentBytesAfterProduce', 'segmentBytes', ...PHASE_USAGE_KEYS] as const) {
    out[`produce.${k}`] = round(p[k]);
  }
  addLatency(out, 'produce.appendLatency', p.appendLatency);
  addLatency(out, 'produce.produceLatency', p.produceLatency);
  addLatency(out, 'produce.flushLatency', p.flushLatency);
  addLatency(out, 'endToEnd.latency', r.endToEndLatency);
  for (const [name, phase] of [['warmRead', r.warmRead], ['coldRead', r.coldRead], ['ship', r.ship]] as const) {
    if (!phase) continue;
    for (const k of ['consumers', 'bytes', 'seconds', 'mbPerSec', 'recordsPerSec', 'residentBytesBefore', 'cacheHits', 'cacheMisses', 'clientCpuS', ...PHASE_USAGE_KEYS] as const) {
      out[`${name}.${k}`] = round(phase[k]);
    }
  }
  return out;
}

export function summarizeRepetitions(reps: readonly Metrics[]): Record<string, Spread> {
  const keys = new Set<string>();
  for (const r of reps) for (const k of Object.keys(r)) keys.add(k);
  const out: Record<string, Spread> = {};
  for (const k of [...keys].sort()) out[k] = spread(reps.map((r) => r[k]).filter((v): v is number => v !== undefined));
  return out;
}

/** Metrics where larger is better (throughput); everything else (latency, CPU, bytes) is neutral or smaller-better. */
export function higherIsBetter(metric: string): boolean {
  return /(PerSec|compressionRatio)$/.test(metric);
}

export function lowerIsBetter(metric: string): boolean {
  return /(\.us(P\d+|Max)|cpuSecondsPerGb|cpuUserS|cpuSystemS|peakRssBytes|seconds)$/.test(metric);
}
