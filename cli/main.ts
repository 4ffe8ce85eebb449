/**
 * `strata`: one commander program; each command lives in cli/commands/<name>.ts and registers
 * itself here. Errors reach the user as one line on stderr and a non-zero exit code.
 */
import 'reflect-metadata';
import { Command } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { registerCommands } from './commands/index.js';
import { reportAndExit } from './errors.js';

const program = new Command('strata')
  .description('Pluggable storage engines for Kafka-format partition logs, with a benchmark harness')
  .version(pkg.version, '-V, --version', 'print the strata version')
  .showHelpAfterError(false)
  .exitOverride();

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  reportAndExit(err);
}
