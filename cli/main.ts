/**
 * `strata`: one commander program; each command lives in cli/commands/<name>.ts and registers
 * itself here. Errors reach the user as one line on stderr and a non-zero exit code.
 */
import 'reflect-metadata';
import { Command } from 'commander';
import { registerCommands } from './commands/index.js';
import { reportAndExit } from './errors.js';

const program = new Command('strata')
  .description('Pluggable storage engines for Kafka-format partition logs, with a benchmark harness')
  .showHelpAfterError(false)
  .exitOverride();

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  reportAndExit(err);
}
