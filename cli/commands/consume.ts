/**
 * `strata consume`: values one per line from an offset (like `kcat -C -e`). It opens the data dir
 * through a LogManager, as a writer would (a crashed log is recovered first, which may cut a torn
 * tail), so it takes the data dir's lock: while a writer holds it, consume refuses, naming the
 * writer's pid, and says to read through that writer (a live log is read through `strata serve`).
 */
import type { Command } from 'commander';
import { StrataError } from '../../core/errors.js';
import { lastOffsetOf } from '../../core/format/record-batch.js';
import { DataDirLockedError } from '../../core/file-lock.js';
import { validateTopicName } from '../../core/topic.js';
import { openLogManager } from '../../engines/compose.js';
import { intOption } from '../options.js';

export function register(program: Command): void {
  program
    .command('consume')
    .description('print the values of a topic partition, one per line, then exit at the end')
    .requiredOption('--data-dir <dir>', 'data directory')
    .requiredOption('--topic <name>', 'topic')
    .option('--partition <n>', 'partition', intOption('--partition'), 0)
    .option('--from <offset>', 'first offset (default: the log start)', intOption('--from'))
    .option('--count <n>', 'stop after this many records', intOption('--count', 1))
    .option('--engine <name>', 'storage engine (built-in name or module path)', 'pwrite')
    .action(async (opts: { dataDir: string; topic: string; partition: number; from?: number; count?: number; engine: string }) => {
      validateTopicName(opts.topic);
      const manager = await openLogManager({ dataDir: opts.dataDir, engine: opts.engine }).catch((err: unknown) => {
        throw err instanceof DataDirLockedError ? writerHoldsIt(err, 'consume') : err;
      });
      try {
        const log = await manager.getLog(opts.topic, opts.partition);
        if (!log) throw new StrataError('INVALID_ARGUMENT', `no partition ${opts.topic}-${opts.partition} in ${opts.dataDir}`);
        // Kafka answers OFFSET_OUT_OF_RANGE outside [log start, log end] (the end itself is valid:
        // nothing there yet), and kcat reports it and exits; printing nothing would hide the typo
        if (opts.from !== undefined && (opts.from < log.logStartOffset || opts.from > log.logEndOffset)) {
          throw new StrataError('OFFSET_OUT_OF_RANGE', `--from ${opts.from} is out of range for ${opts.topic}-${opts.partition}: offsets ${log.logStartOffset} to ${log.logEndOffset} (the log end)`);
        }
        let offset = opts.from ?? log.logStartOffset;
        let left = opts.count ?? Number.MAX_SAFE_INTEGER;
        const out: string[] = [];
        while (offset < log.logEndOffset && left > 0) {
          const batches = await log.readBatches(offset, 1024 * 1024);
          for (const batch of batches) {
            for (const r of batch.records) {
              if (r.offset < offset || left <= 0) continue;
              out.push(r.value === null ? '' : r.value.toString('utf8'));
              left--;
            }
            offset = lastOffsetOf(batch.header) + 1;
          }
          if (out.length > 0) {
            process.stdout.write(out.join('\n') + '\n');
            out.length = 0;
          }
        }
      } finally {
        await manager.close();
      }
    });
}

/**
 * A reader that recovers cannot share the directory with a writer: the one line says who holds it
 * and how to read meanwhile.
 */
export function writerHoldsIt(err: DataDirLockedError, command: string): StrataError {
  return new StrataError(
    'STORAGE_ERROR',
    `${err.message}; strata ${command} opens the logs as a writer (it recovers a crashed log), so it does not run beside one: read through the writer (kcat -C against strata serve) or stop it first`,
  );
}
