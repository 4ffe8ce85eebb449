/** report.md of a broker workload, drawn from its results.json alone. */
import type { BenchResults } from '../../results.js';
import { reportHead, spreadText } from '../focused-report.js';

export function renderBrokerReport(r: BenchResults): string {
  const lines = reportHead(r, 'the broker under hostile or careless clients');
  for (const c of r.cells) {
    lines.push('', `## ${c.id}: ${c.notes[0] ?? ''}`, '');
    if (c.status !== 'ok') {
      lines.push(`${c.status}: ${c.reason ?? ''}`);
      continue;
    }
    lines.push('| figure | median [min-max] |', '|---|---|');
    for (const [metric, s] of Object.entries(c.summary)) lines.push(`| ${metric} | ${spreadText(s, Number.isInteger(s.median) ? 0 : 1)} |`);
  }
  return lines.join('\n') + '\n';
}
