/** report.md of an engines workload, drawn from its results.json alone. */
import type { BenchResults } from '../../results.js';
import { reportHead, spreadText as range } from '../focused-report.js';

export function renderEnginesReport(r: BenchResults): string {
  const lines = reportHead(r, 'the engines beside fio, no network');
  lines.push('', '| measurement | strata | baseline | ratio | baseline is | target |', '|---|---|---|---|---|---|');
  for (const c of r.cells) {
    const key = Object.keys(c.summary).find((k) => k.startsWith('strata.'));
    const metric = key?.slice('strata.'.length) ?? '';
    const digits = metric === 'mbPerSec' ? 1 : 0;
    lines.push(`| ${c.notes[0]} (${metric}) | ${range(c.summary[`strata.${metric}`], digits)} | ${range(c.summary[`baseline.${metric}`], digits)} | ${range(c.summary.toBaseline, 2)} | ${c.notes[1]?.replace(/^baseline: /, '')} | ${c.notes[2]?.replace(/^target: /, '')} |`);
  }
  return lines.join('\n') + '\n';
}
