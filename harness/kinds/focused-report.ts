/**
 * What every focused kind's report.md shares: its head (title, description, the command that
 * reproduces it, repetitions, commit, the run's notes) and how a spread is written.
 */
import type { BenchResults } from '../results.js';
import type { Spread } from '../stats.js';

/** `median [min-max]` of a summary entry, n/a when the cell did not measure it. */
export function spreadText(s: Spread | undefined, digits: number): string {
  return s ? `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}-${s.max.toFixed(digits)}]` : 'n/a';
}

/** The report's first lines: `# NAME: TITLE`, the description, the command, then the notes as a list. */
export function reportHead(r: BenchResults, title: string): string[] {
  const git = r.fingerprint.git;
  const lines = [`# ${r.workload.name}: ${title}`, '', r.workload.description, ''];
  lines.push(`Command: \`npx --no-install strata bench --workload ${r.workloadFile ?? '(replayed)'}${r.quick ? ' --quick' : ''}\`; ${r.workload.repetitions} repetition(s), median [min-max]; git ${git?.commit.slice(0, 12) ?? '-'}${git?.dirty ? ' (dirty tree)' : ''}.`, '');
  for (const n of r.baselines.notes) lines.push(`- ${n}`);
  return lines;
}
