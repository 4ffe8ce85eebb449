/**
 * From the runs of the Kafka comparison to its figures: medians of repetitions with min-max per
 * measurement and target, RATIOS strata/Kafka computed within each repetition (the Kafka run and
 * the strata run of the same repetition, minutes apart) and then summarised, and the targets of
 * the issue as met / not met on the median ratio.
 */
import { summarize, type Summary } from '../../stats.js';
import type { TargetSpec } from './servers.js';
import type { Row } from './measurements.js';

export interface RunRecord {
  rep: number;
  target: string;
  /** The server process of the run (stopped at its end). */
  serverPid?: number;
  rows: Row[];
  /** VmHWM of the server process at the end of the run (every workload of the run behind it). */
  rssPeakMb?: number;
  /** A run that failed: its rows so far are kept, the message says what failed. */
  error?: string;
  loadAverage1m: number[];
}

/** rowId -> targetId -> metric -> summary over repetitions. */
export type SummaryTable = Record<string, Record<string, Record<string, Summary>>>;

export function summarizeRuns(runs: readonly RunRecord[]): SummaryTable {
  const values: Record<string, Record<string, Record<string, number[]>>> = {};
  for (const run of runs) {
    for (const row of run.rows) {
      for (const [metric, v] of Object.entries(row.metrics)) {
        if (!Number.isFinite(v)) continue;
        ((values[row.id] ??= {})[run.target] ??= {})[metric] ??= [];
        values[row.id]![run.target]![metric]!.push(v);
      }
    }
    if (run.rssPeakMb !== undefined) (((values['server'] ??= {})[run.target] ??= {})['rssPeakMb'] ??= []).push(run.rssPeakMb);
  }
  const out: SummaryTable = {};
  for (const [row, byTarget] of Object.entries(values)) {
    out[row] = {};
    for (const [target, byMetric] of Object.entries(byTarget)) {
      out[row]![target] = Object.fromEntries(Object.entries(byMetric).map(([m, xs]) => [m, summarize(xs)]));
    }
  }
  return out;
}

/** The value of (row, metric) in each repetition of a target, by repetition number. */
function byRep(runs: readonly RunRecord[], target: string, row: string, metric: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const run of runs) {
    if (run.target !== target) continue;
    const v = row === 'server' ? (metric === 'rssPeakMb' ? run.rssPeakMb : undefined) : run.rows.find((r) => r.id === row)?.metrics[metric];
    if (v !== undefined && Number.isFinite(v)) out.set(run.rep, v);
  }
  return out;
}

/** rowId -> strata targetId -> metric -> summary of the per-repetition ratios strata / Kafka. */
export function ratiosToKafka(runs: readonly RunRecord[], table: SummaryTable, targets: readonly TargetSpec[]): SummaryTable {
  const out: SummaryTable = {};
  for (const [row, byTarget] of Object.entries(table)) {
    const kafka = byTarget['kafka'];
    if (!kafka) continue;
    for (const t of targets) {
      if (t.kind !== 'strata' || !byTarget[t.id]) continue;
      for (const metric of Object.keys(kafka)) {
        const k = byRep(runs, 'kafka', row, metric);
        const s = byRep(runs, t.id, row, metric);
        const ratios = [...s].filter(([rep]) => k.has(rep) && k.get(rep)! !== 0).map(([rep, v]) => v / k.get(rep)!);
        if (ratios.length > 0) ((out[row] ??= {})[t.id] ??= {})[metric] = summarize(ratios);
      }
    }
  }
  return out;
}

export interface Goal {
  goal: string;
  target: string;
  row: string;
  metric: string;
  comparison: '>=' | '<=';
  threshold: number;
  ratio?: Summary;
  /** null: not measured in this run (workload or target not selected, or the run failed). */
  met: boolean | null;
}

/** The four targets, for every strata target they apply to. */
export const GOAL_RULES: readonly Omit<Goal, 'target' | 'ratio' | 'met'>[] = [
  { goal: 'produce records/s >= 1.5x Kafka (a, kcat)', row: 'a.kcat', metric: 'recordsPerSecond', comparison: '>=', threshold: 1.5 },
  { goal: 'produce records/s >= 1.5x Kafka (a, ProducerPerformance)', row: 'a.producer-perf', metric: 'recordsPerSecond', comparison: '>=', threshold: 1.5 },
  { goal: 'end-to-end p99 <= Kafka (c, 50,000 records/s)', row: 'c.kcat-fixed-rate', metric: 'latencyMsP99', comparison: '<=', threshold: 1 },
  { goal: 'Fetch server CPU/GB <= 1.0x Kafka (d, kcat, warm; sendfile targets)', row: 'd.kcat-warm', metric: 'serverCpuSecondsPerGb', comparison: '<=', threshold: 1 },
  { goal: 'Fetch server CPU/GB <= 1.0x Kafka (d, ConsumerPerformance, warm; sendfile targets)', row: 'd.consumer-perf-warm', metric: 'serverCpuSecondsPerGb', comparison: '<=', threshold: 1 },
  { goal: 'peak RSS <= 0.5x Kafka', row: 'server', metric: 'rssPeakMb', comparison: '<=', threshold: 0.5 },
];

export function evaluateGoals(ratios: SummaryTable, targets: readonly TargetSpec[]): Goal[] {
  const goals: Goal[] = [];
  for (const rule of GOAL_RULES) {
    for (const t of targets) {
      if (t.kind !== 'strata') continue;
      if (rule.row.startsWith('d.') && t.transfer !== 'sendfile') continue;
      const ratio = ratios[rule.row]?.[t.id]?.[rule.metric];
      const met = ratio === undefined ? null : rule.comparison === '>=' ? ratio.median >= rule.threshold : ratio.median <= rule.threshold;
      goals.push({ ...rule, target: t.id, ...(ratio ? { ratio } : {}), met });
    }
  }
  return goals;
}
