/** `strata compare A.json B.json`: per-cell deltas between two bench results, noise marked. */
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('compare')
    .description('per-cell deltas between two `strata bench` results; overlapping min-max ranges are marked as noise')
    .argument('<a>', 'baseline results.json')
    .argument('<b>', 'new results.json')
    .option('--all', 'also list the figures within noise')
    .option('--json', 'print the comparison as JSON')
    .action(async (a: string, b: string, opts: { all?: boolean; json?: boolean }) => {
      // loaded here: the harness is not what the other commands (strata serve) should carry
      const { compareResults, loadResults, renderComparison } = await import('../../harness/compare.js');
      const comparison = compareResults(loadResults(a), loadResults(b));
      process.stdout.write(opts.json ? JSON.stringify(comparison, null, 2) + '\n' : renderComparison(comparison, !!opts.all));
    });
}
