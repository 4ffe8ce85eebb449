/**
 * The README's Kafka table, drawn from a vs-kafka workload's results.json alone: for each
 * measurement and strata target, strata's median [min-max], Kafka's, and the median of the
 * per-repetition ratios (`toKafka.*`).
 *
 *   npx tsx harness/kinds/vs-kafka/table.ts results/vs-kafka/results.json
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadResults } from '../../compare.js';
import type { BenchResults } from '../../results.js';
import { fmt, type Spread } from '../../stats.js';
import { ROW_TITLES } from './report.js';

/** The headline metric of each measurement row, and its digits. */
const HEADLINE: [RegExp, string, string, number][] = [
  [/^[ab]\./, 'recordsPerSec', 'records/s', 0],
  [/^c\./, 'latency.usP99', 'p99 us', 0],
  [/^d\.(kcat|consumer-perf)-/, 'server.cpuSecondsPerGb', 'server CPU s/GB', 2],
  [/^d\.produce$/, 'recordsPerSec', 'records/s', 0],
  [/^server$/, 'server.rssPeakMb', 'peak RSS MB', 0],
];

const range = (s: Spread | undefined, digits: number) => (s ? `${fmt(s.median, digits)} [${fmt(s.min, digits)}-${fmt(s.max, digits)}]` : 'n/a');

export function kafkaTable(r: BenchResults): string[] {
  if (r.workload.kind !== 'vs-kafka') throw new Error(`${r.workload.name}: not a vs-kafka workload's results (kind ${r.workload.kind ?? 'matrix'})`);
  const lines = ['| measurement | strata target | strata | Apache Kafka | strata / Kafka (per repetition) |', '|---|---|---|---|---|'];
  for (const cell of r.cells) {
    const [row, target] = cell.id.split('/') as [string, string];
    if (target === 'kafka' || cell.status !== 'ok') continue;
    const headline = HEADLINE.find(([re]) => re.test(row));
    if (!headline) continue;
    const [, metric, unit, digits] = headline;
    const kafka = r.cells.find((c) => c.id === `${row}/kafka`)?.summary[metric];
    lines.push(`| ${ROW_TITLES[row] ?? row} (${unit}) | ${target} | ${range(cell.summary[metric], digits)} | ${range(kafka, digits)} | ${range(cell.summary[`toKafka.${metric}`], 2)} |`);
  }
  return lines;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: tsx harness/kinds/vs-kafka/table.ts RESULTS.json (of `strata bench --workload harness/workloads/vs-kafka.yaml`)');
  process.stdout.write(kafkaTable(loadResults(file)).join('\n') + '\n');
}
