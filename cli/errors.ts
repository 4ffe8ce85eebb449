/** Turns any error into one clear line on stderr and an exit code. */
import { CommanderError } from 'commander';

export function reportAndExit(err: unknown): never {
  if (err instanceof CommanderError) {
    // commander already printed its message (help, version or a usage error)
    process.exit(err.exitCode);
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`strata: ${message}\n`);
  if (process.env.STRATA_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
}
