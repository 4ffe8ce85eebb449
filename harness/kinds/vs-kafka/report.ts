/**
 * report.md and the SVG charts (harness/charts.ts's Vega-Lite renderer) of a Kafka comparison run.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { rangeBarSpec, renderSvg, type RangeBar } from '../../charts.js';
import type { Summary } from '../../stats.js';
import type { SyscallsPerRequest, ProfileFunction } from './profile.js';
import type { TargetSpec } from './servers.js';
import type { Goal, RunRecord, SummaryTable } from './summary.js';
import type { Sizes } from './measurements.js';

export interface VsKafkaResults {
  benchmark: 'vs-kafka';
  schemaVersion: 1;
  started: string;
  finished: string;
  /** The command that reproduces this run. */
  command: string;
  quick: boolean;
  reps: number;
  machine: Record<string, string | number | number[]>;
  sizes: Sizes;
  coldMethod: string;
  targets: TargetSpec[];
  workloads: string[];
  clients: string[];
  runs: RunRecord[];
  summary: SummaryTable;
  ratios: SummaryTable;
  goals: Goal[];
  syscalls?: SyscallsPerRequest[];
  profiles?: { target: string; totalMs: number; idleMs: number; functions: ProfileFunction[] }[];
  notes: string[];
}

/** What each measurement row is, in the report's words. */
export const ROW_TITLES: Record<string, string> = {
  'a.kcat': '(a) kcat -P, 100 B records, lz4, acks=1, max rate',
  'a.producer-perf': '(a) ProducerPerformance, 100 B, lz4, acks=1, --throughput -1',
  'b.kcat-1': '(b) kcat -P, 1 KiB records, acks=all, 1 producer',
  'b.kcat-16': '(b) 16 kcat -P at once, 1 KiB records, acks=all, one partition',
  'b.producer-perf': '(b) ProducerPerformance, 1 KiB, acks=all, 1 producer',
  'c.kcat-fixed-rate': '(c) end-to-end, kcat producer at a fixed rate -> kcat consumer',
  'c.end-to-end-latency-tool': "(c) Kafka's EndToEndLatency, one 100 B record in flight, acks=1",
  'd.produce': '(d) loading the Fetch topic: kcat -P, 10,000 B records, acks=1',
  'd.kcat-cold': '(d) Fetch by kcat -C -e, cold page cache',
  'd.kcat-warm': '(d) Fetch by kcat -C -e, warm page cache',
  'd.consumer-perf-cold': '(d) Fetch by ConsumerPerformance, cold page cache',
  'd.consumer-perf-warm': '(d) Fetch by ConsumerPerformance, warm page cache',
  server: 'server process over the whole run',
};

/** Metric columns per row kind, with their headers and digits. */
const METRICS: [string, string, number][] = [
  ['recordsPerSecond', 'records/s', 0],
  ['mbPerSecond', 'MB/s', 1],
  ['achievedRecordsPerSecond', 'records/s achieved', 0],
  ['latencyMsP50', 'p50 ms', 2],
  ['latencyMsP99', 'p99 ms', 2],
  ['latencyMsP999', 'p99.9 ms', 2],
  ['latencyMsMax', 'max ms', 1],
  ['latencyMsAvg', 'avg ms', 2],
  ['serverCpuSecondsPerGb', 'server CPU s/GB', 3],
  ['clientCpuSecondsPerGb', 'client CPU s/GB', 3],
  ['residentFractionBefore', 'resident before', 2],
  ['rssPeakMb', 'peak RSS MB', 0],
];

/** The metric whose strata/Kafka ratio a row's table shows. */
function primaryMetric(row: string): string {
  if (row === 'server') return 'rssPeakMb';
  if (row.startsWith('c.')) return 'latencyMsP99';
  if (row.startsWith('d.') && row !== 'd.produce') return 'serverCpuSecondsPerGb';
  return 'recordsPerSecond';
}

const num = (n: number, digits: number) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const fmtSummary = (s: Summary | undefined, digits: number): string =>
  s === undefined ? '-' : s.runs.length > 1 ? `${num(s.median, digits)} [${num(s.min, digits)}-${num(s.max, digits)}]` : num(s.median, digits);

function rowTable(row: string, r: VsKafkaResults): string[] {
  const byTarget = r.summary[row] ?? {};
  const present = METRICS.filter(([m]) => Object.values(byTarget).some((t) => t[m]));
  const primary = primaryMetric(row);
  const head = ['target', ...present.map(([, h]) => h), `ratio strata/Kafka (${METRICS.find(([m]) => m === primary)?.[1] ?? primary})`];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const t of r.targets) {
    const s = byTarget[t.id];
    if (!s) continue;
    const ratio = t.kind === 'kafka' ? '1 (reference)' : fmtSummary(r.ratios[row]?.[t.id]?.[primary], 2);
    lines.push(`| ${t.id} | ${present.map(([m, , d]) => fmtSummary(s[m], d)).join(' | ')} | ${ratio} |`);
  }
  return lines;
}

function goalsTable(goals: readonly Goal[]): string[] {
  const lines = ['| target of the issue | strata target | ratio strata/Kafka, median [min-max] | needed | met |', '|---|---|---|---|---|'];
  for (const g of goals) {
    const met = g.met === null ? 'not measured' : g.met ? '**met**' : '**not met**';
    lines.push(`| ${g.goal} | ${g.target} | ${fmtSummary(g.ratio, 2)} | ${g.comparison} ${g.threshold} | ${met} |`);
  }
  return lines;
}

/** The rows of the headline table (README): [row, metric, digits, what the issue asks]. */
const HEADLINE: [string, string, number, string][] = [
  ['a.kcat', 'recordsPerSecond', 0, '>= 1.5x Kafka'],
  ['a.producer-perf', 'recordsPerSecond', 0, '>= 1.5x Kafka'],
  ['b.kcat-1', 'recordsPerSecond', 0, ''],
  ['b.kcat-16', 'recordsPerSecond', 0, ''],
  ['c.kcat-fixed-rate', 'latencyMsP99', 2, '<= Kafka (2014: 3 ms)'],
  ['c.end-to-end-latency-tool', 'latencyMsP99', 0, ''],
  ['d.kcat-warm', 'serverCpuSecondsPerGb', 3, '<= 1.0x Kafka (sendfile)'],
  ['d.consumer-perf-warm', 'serverCpuSecondsPerGb', 3, '<= 1.0x Kafka (sendfile)'],
  ['d.kcat-cold', 'mbPerSecond', 1, ''],
  ['server', 'rssPeakMb', 0, '<= 0.5x Kafka'],
];

/** The strata target the headline table shows: the defaults (pwrite, sendfile) when run. */
export function headlineTarget(r: VsKafkaResults): string | undefined {
  const strata = r.targets.filter((t) => t.kind === 'strata');
  return (strata.find((t) => t.id === 'strata-pwrite-sendfile') ?? strata[0])?.id;
}

/** A compact table for the README: one strata target beside Kafka, the ratio, the target. */
export function headlineTable(r: VsKafkaResults): string[] {
  const s = headlineTarget(r);
  if (!s) return [];
  const unit = (m: string) => METRICS.find(([k]) => k === m)?.[1] ?? m;
  const lines = [`| measurement | ${s} | Apache Kafka ${/Kafka ([\d.]+)/.exec(String(r.machine['kafka']))?.[1] ?? ''} | ratio | target |`, '|---|---|---|---|---|'];
  for (const [row, metric, digits, goal] of HEADLINE) {
    const k = r.summary[row]?.['kafka']?.[metric];
    const v = r.summary[row]?.[s]?.[metric];
    if (!k && !v) continue;
    const title = (ROW_TITLES[row] ?? row).replace(/^\((\w)\) /, '($1) ');
    lines.push(`| ${title} (${unit(metric)}) | ${fmtSummary(v, digits)} | ${fmtSummary(k, digits)} | ${fmtSummary(r.ratios[row]?.[s]?.[metric], 2)} | ${goal} |`);
  }
  return lines;
}

export function renderMarkdown(r: VsKafkaResults): string {
  const out: string[] = [];
  out.push(`# strata serve vs Apache Kafka, same machine (${r.started})`, '');
  if (r.quick) out.push('> **Development run (--quick, tiny sizes, machine shared and busy): the figures show the report format only, not performance.**', '');
  out.push('Reproduce (one command):', '', '```sh', r.command, '```', '');
  out.push('## Machine', '', ...Object.entries(r.machine).map(([k, v]) => `- ${k}: ${Array.isArray(v) ? v.map((x) => x.toFixed(2)).join(' / ') : v}`), '');
  out.push(`Medians of ${r.reps} repetition(s), [min-max] beside them; each repetition runs every target in turn (${r.targets.map((t) => t.id).join(', ')}), ` +
    'each target on a fresh server and data directory; ratios are strata/Kafka within a repetition, then summarised. MB = 10^6 bytes (of record values when producing, of segment files when fetching).', '');
  const headline = headlineTable(r);
  if (headline.length) out.push(`## Headline (${headlineTarget(r)} against Kafka)`, '', ...headline, '');
  out.push('## Targets of the issue', '', ...goalsTable(r.goals), '');
  out.push('## Measurements', '');
  for (const row of Object.keys(ROW_TITLES)) {
    if (!r.summary[row]) continue;
    out.push(`### ${ROW_TITLES[row]}`, '', ...rowTable(row, r), '');
  }
  if (r.syscalls?.length) {
    out.push('## System calls per request (strace -c -f -p SERVER, one traced run apart from the timed ones)', '',
      '| target | produce: syscalls / requests | per request | top calls | fetch: syscalls / Fetch requests | per request | top calls |', '|---|---|---|---|---|---|---|');
    const top = (s: SyscallsPerRequest['produce']) => s.syscalls.top.slice(0, 4).map((c) => `${c.syscall} ${c.calls}`).join(', ');
    for (const s of r.syscalls) {
      out.push(`| ${s.target} | ${s.produce.syscalls.totalCalls} / ${s.produce.requests} | ${num(s.produce.syscallsPerRequest, 1)} | ${top(s.produce)} | ${s.fetch.syscalls.totalCalls} / ${s.fetch.requests} | ${num(s.fetch.syscallsPerRequest, 1)} | ${top(s.fetch)} |`);
    }
    out.push('');
  }
  if (r.profiles?.length) {
    out.push('## Where strata serve spends its CPU (node --cpu-prof, one profiled run apart from the timed ones)', '',
      'Self time per function over the whole process life: start-up (ES module compilation, the CLI loading the harness, ajv compiling the results schema) is in it too, a fixed ~0.5 s that only a --quick run makes look large. The .cpuprofile files are in profiles/ (not committed; open them in Chrome DevTools).', '');
    for (const p of r.profiles) {
      out.push(`### ${p.target}: ${num(p.totalMs, 0)} ms on CPU in the profile (${num(p.idleMs, 0)} ms idle)`, '', '| self ms | share | function | where |', '|---|---|---|---|');
      for (const f of p.functions) out.push(`| ${num(f.selfMs, 1)} | ${(f.selfShare * 100).toFixed(1)}% | ${f.function} | ${f.where} |`);
      out.push('');
    }
  }
  const notes = new Map<string, Set<string>>();
  for (const run of r.runs) for (const row of run.rows) for (const n of row.notes ?? []) (notes.get(`${row.id}, ${run.target}`) ?? notes.set(`${row.id}, ${run.target}`, new Set()).get(`${row.id}, ${run.target}`)!).add(n);
  if (notes.size) out.push('## Notes on single measurements', '', ...[...notes].map(([k, v]) => `- ${k}: ${[...v].join('; ')}`), '');
  const failed = r.runs.filter((x) => x.error);
  if (failed.length) out.push('## Failed runs', '', ...failed.map((x) => `- rep ${x.rep + 1}, ${x.target}: ${x.error}`), '');
  out.push('## How it was measured', '', ...r.notes.map((n) => `- ${n}`), '');
  out.push('## Acknowledgement of a produce, per target', '', ...r.targets.map((t) => `- ${t.id}: ${t.acknowledgedWhen}`), '');
  return out.join('\n');
}

function bars(r: VsKafkaResults, rows: readonly string[], metric: string, label: (row: string) => string): RangeBar[] {
  const out: RangeBar[] = [];
  for (const row of rows) {
    for (const t of r.targets) {
      const s = r.summary[row]?.[t.id]?.[metric];
      if (s) out.push({ y: t.id, series: label(row), median: s.median, min: s.min, max: s.max });
    }
  }
  return out;
}

/** Writes the charts into `dir`; returns their file names. */
export async function writeVsKafkaCharts(r: VsKafkaResults, dir: string): Promise<string[]> {
  const short = (row: string) => ROW_TITLES[row]?.replace(/^\(\w\) /, '') ?? row;
  const charts: [string, RangeBar[], string, string, boolean][] = [
    ['produce.svg', bars(r, ['a.kcat', 'a.producer-perf', 'b.kcat-1', 'b.kcat-16', 'b.producer-perf'], 'recordsPerSecond', short), 'Produce: records/s (median, min-max)', 'records/s', false],
    ['end-to-end-p99.svg', bars(r, ['c.kcat-fixed-rate', 'c.end-to-end-latency-tool'], 'latencyMsP99', short), 'End-to-end latency p99, ms (median, min-max; 2014 benchmark: 3 ms)', 'ms (log scale)', true],
    ['fetch-cpu.svg', bars(r, ['d.kcat-cold', 'd.kcat-warm', 'd.consumer-perf-cold', 'd.consumer-perf-warm'], 'serverCpuSecondsPerGb', short), 'Fetch: server CPU seconds per GB sent (median, min-max)', 'CPU s/GB', false],
    ['fetch-throughput.svg', bars(r, ['d.kcat-cold', 'd.kcat-warm', 'd.consumer-perf-cold', 'd.consumer-perf-warm'], 'mbPerSecond', short), 'Fetch: MB/s (median, min-max)', 'MB/s', false],
    ['peak-rss.svg', bars(r, ['server'], 'rssPeakMb', () => 'VmHWM over the run'), 'Server peak RSS, MB (median, min-max)', 'MB', false],
  ];
  const written: string[] = [];
  for (const [name, rows, title, axis, log] of charts) {
    if (rows.length === 0) continue;
    fs.writeFileSync(join(dir, name), await renderSvg(rangeBarSpec(title, axis, rows, { log, labelLimit: 300, legendColumns: 2 })));
    written.push(name);
  }
  return written;
}
