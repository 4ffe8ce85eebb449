/** `strata compare A.json B.json`: per-cell deltas between two bench results, noise marked. */
import type { Command } from 'commander';
import { compareResults, loadResults, renderComparison } from '../../harness/compare.js';

export function register(program: Command): void {
  program
    .command('compare')
    .description('per-cell deltas between two `strata bench` results; overlapping min-max ranges are marked as noise')
    .argument('<a>', 'baseline results.json')
    .argument('<b>', 'new results.json')
    .option('--all', 'also list the figures within noise')
    .option('--json', 'print the comparison as JSON')
    .action((a: string, b: string, opts: { all?: boolean; json?: boolean }) => {
      const comparison = compareResults(loadResults(a), loadResults(b));
      process.stdout.write(opts.json ? JSON.stringify(comparison, null, 2) + '\n' : renderComparison(comparison, !!opts.all));
    });
}
