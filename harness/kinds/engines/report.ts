/** report.md of an engines workload, drawn from its results.json alone. */
import type { BenchResults } from '../../results.js';
import { fmt, type Spread } from '../../stats.js';

const range = (s: Spread | undefined, digits: number): string => (s ? `${fmt(s.median, digits)} [${fmt(s.min, digits)}-${fmt(s.max, digits)}]` : 'n/a');

export function renderEnginesReport(r: BenchResults): string {
  const lines = [`# ${r.workload.name}: the engines beside fio, no network`, '', r.workload.description, ''];
  lines.push(`Command: \`npx --no-install strata bench --workload ${r.workloadFile ?? '(replayed)'}${r.quick ? ' --quick' : ''}\`; ${r.workload.repetitions} repetition(s), median [min-max]; git ${r.fingerprint.git?.commit.slice(0, 12) ?? '-'}${r.fingerprint.git?.dirty ? ' (dirty tree)' : ''}.`, '');
  for (const n of r.baselines.notes) lines.push(`- ${n}`);
  lines.push('', '| measurement | strata | baseline | ratio | baseline is | target |', '|---|---|---|---|---|---|');
  for (const c of r.cells) {
    const key = Object.keys(c.summary).find((k) => k.startsWith('strata.'));
    const metric = key?.slice('strata.'.length) ?? '';
    const digits = metric === 'mbPerSec' ? 1 : 0;
    lines.push(`| ${c.notes[0]} (${metric}) | ${range(c.summary[`strata.${metric}`], digits)} | ${range(c.summary[`baseline.${metric}`], digits)} | ${range(c.summary.toBaseline, 2)} | ${c.notes[1]?.replace(/^baseline: /, '')} | ${c.notes[2]?.replace(/^target: /, '')} |`);
  }
  return lines.join('\n') + '\n';
}
