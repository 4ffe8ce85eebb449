/**
 * `strata compare A.json B.json`: per cell (matched by id) and per metric, the change of B's median
 * against A's, marked `noise` when the two min-max ranges overlap (the repetitions cannot tell the
 * two apart), else `better` / `worse` for metrics with a direction, `changed` otherwise.
 */
import { readFileSync } from 'node:fs';
import { StrataError } from '../core/errors.js';
import { higherIsBetter, lowerIsBetter, RESULTS_SCHEMA_VERSION, type BenchResults } from './results.js';
import { validateResults } from './schema.js';
import { overlaps, round, type Spread } from './stats.js';

export type Verdict = 'noise' | 'better' | 'worse' | 'changed';

export interface MetricDelta {
  cell: string;
  metric: string;
  a: Spread;
  b: Spread;
  /** (b - a) / a in percent, from the medians. */
  deltaPercent: number;
  verdict: Verdict;
}

export interface Comparison {
  deltas: MetricDelta[];
  onlyInA: string[];
  onlyInB: string[];
  /** Environment fields that differ (kernel, CPU, data dir, file system...): a reason besides the code. */
  environmentChanges: string[];
  /** Repetitions per cell in A and B. */
  repetitions: { a: number; b: number };
  /** Why the verdicts may not be conclusive (fewer than MIN_REPETITIONS repetitions). */
  warnings: string[];
}

/**
 * With fewer repetitions than this the min-max range of a figure says nothing about its spread:
 * two runs of 2 repetitions each disagree by chance about as often as they agree.
 */
export const MIN_REPETITIONS = 3;

export function loadResults(path: string): BenchResults {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new StrataError('INVALID_ARGUMENT', `cannot read results ${path}: ${(err as Error).message}`);
  }
  refuseOtherFormats(raw, path);
  validateResults(raw, path);
  return raw as BenchResults;
}

/**
 * Files that are not `strata bench` results of this schema version are refused by name and with
 * what they are, rather than as a list of schema violations.
 */
function refuseOtherFormats(raw: unknown, path: string): void {
  const r = (raw ?? {}) as Record<string, unknown>;
  if (r.benchmark === 'vs-kafka') {
    throw new StrataError('INVALID_ARGUMENT', `${path}: a results file of the old \`npm run bench:vs-kafka\` script (format vs-kafka/${String(r.schemaVersion)}, before the Kafka comparison became a workload of strata bench): strata compare does not read it; its report.md beside it still does; for a comparable run: npx --no-install strata bench --workload harness/workloads/vs-kafka.yaml`);
  }
  if (r.tool !== 'strata bench') {
    throw new StrataError('INVALID_ARGUMENT', `${path}: not a results file of strata bench (no "tool": "strata bench"${typeof r.scenario === 'string' ? `; it is the output of scenario ${r.scenario}` : ''}): strata compare reads only those`);
  }
  if (r.schemaVersion !== RESULTS_SCHEMA_VERSION) {
    throw new StrataError('INVALID_ARGUMENT', `${path}: results schema version ${String(r.schemaVersion)}; this strata reads version ${RESULTS_SCHEMA_VERSION} only`);
  }
}

/** The metrics compare looks at by default: throughput, latency percentiles, CPU per GB. */
export const DEFAULT_COMPARE_METRICS = /(PerSec|\.usP50|\.usP99|\.usP999|cpuSecondsPerGb|compressionRatio)$/;

export function compareResults(a: BenchResults, b: BenchResults, metricFilter: RegExp = DEFAULT_COMPARE_METRICS): Comparison {
  const byIdA = new Map(a.cells.filter((c) => c.status === 'ok').map((c) => [c.id, c]));
  const byIdB = new Map(b.cells.filter((c) => c.status === 'ok').map((c) => [c.id, c]));
  const deltas: MetricDelta[] = [];
  for (const [id, ca] of byIdA) {
    const cb = byIdB.get(id);
    if (!cb) continue;
    for (const metric of Object.keys(ca.summary).sort()) {
      if (!metricFilter.test(metric)) continue;
      const sa = ca.summary[metric]!;
      const sb = cb.summary[metric];
      if (!sb) continue;
      const deltaPercent = sa.median === 0 ? (sb.median === 0 ? 0 : 100) : round(((sb.median - sa.median) / Math.abs(sa.median)) * 100);
      let verdict: Verdict;
      if (overlaps(sa, sb)) verdict = 'noise';
      else if (higherIsBetter(metric)) verdict = sb.median > sa.median ? 'better' : 'worse';
      else if (lowerIsBetter(metric)) verdict = sb.median < sa.median ? 'better' : 'worse';
      else verdict = 'changed';
      deltas.push({ cell: id, metric, a: sa, b: sb, deltaPercent, verdict });
    }
  }
  const environmentChanges: string[] = [];
  const fa = a.fingerprint;
  const fb = b.fingerprint;
  const envPairs: [string, unknown, unknown][] = [
    ['kernel', fa.kernel, fb.kernel], ['cpuModel', fa.cpuModel, fb.cpuModel], ['cpuCount', fa.cpuCount, fb.cpuCount], ['dataDir', fa.dataDir, fb.dataDir],
    ['fileSystem', JSON.stringify(fa.fileSystem), JSON.stringify(fb.fileSystem)], ['node', fa.node, fb.node],
    ['git', fa.git?.commit, fb.git?.commit], ['workloadHash', fa.workloadHash, fb.workloadHash],
  ];
  for (const [name, x, y] of envPairs) if (x !== y) environmentChanges.push(`${name}: ${String(x)} -> ${String(y)}`);
  const repetitions = { a: a.workload.repetitions, b: b.workload.repetitions };
  const warnings: string[] = [];
  if (Math.min(repetitions.a, repetitions.b) < MIN_REPETITIONS) {
    warnings.push(`A has ${repetitions.a} repetition(s) per cell and B ${repetitions.b}: with fewer than ${MIN_REPETITIONS} the min-max ranges cannot tell noise from change, so "better" and "worse" below may be chance (re-run both with --repetitions ${MIN_REPETITIONS} or more)`);
  }
  return {
    repetitions,
    warnings,
    deltas,
    onlyInA: [...byIdA.keys()].filter((id) => !byIdB.has(id)),
    onlyInB: [...byIdB.keys()].filter((id) => !byIdA.has(id)),
    environmentChanges,
  };
}

export function renderComparison(c: Comparison, showNoise: boolean): string {
  const lines: string[] = [];
  for (const w of c.warnings) lines.push(`warning: ${w}`);
  if (c.environmentChanges.length) lines.push(`environment differs: ${c.environmentChanges.join('; ')}`);
  let cell = '';
  for (const d of c.deltas) {
    if (!showNoise && d.verdict === 'noise') continue;
    if (d.cell !== cell) {
      cell = d.cell;
      lines.push(cell);
    }
    const sign = d.deltaPercent > 0 ? '+' : '';
    lines.push(`  ${d.metric.padEnd(40)} ${String(d.a.median).padStart(12)} -> ${String(d.b.median).padEnd(12)} ${`${sign}${d.deltaPercent}%`.padStart(9)}  ${d.verdict}${d.verdict === 'noise' ? ' (min-max ranges overlap)' : ''}`);
  }
  const counts = { better: 0, worse: 0, changed: 0, noise: 0 };
  for (const d of c.deltas) counts[d.verdict]++;
  lines.push(`${c.deltas.length} figures compared: ${counts.better} better, ${counts.worse} worse, ${counts.changed} changed, ${counts.noise} within noise${c.warnings.length ? ` (not conclusive: fewer than ${MIN_REPETITIONS} repetitions)` : ''}`);
  if (c.onlyInA.length) lines.push(`only in A: ${c.onlyInA.join(', ')}`);
  if (c.onlyInB.length) lines.push(`only in B: ${c.onlyInB.join(', ')}`);
  return lines.join('\n') + '\n';
}
