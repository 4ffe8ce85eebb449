/**
 * `strata verify`: exit 0 when every segment and index is valid; otherwise name the first bad batch.
 * A reader, as Kafka's tools are: it takes no lock. When a writer holds the data dir's lock it says
 * so in one line on stderr and checks anyway (a batch being appended meanwhile can look torn).
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { StrataError } from '../../core/errors.js';
import { readerLockNotice } from '../../core/file-lock.js';
import { verifyDataDir } from '../../core/log/log-verifier.js';

export function register(program: Command): void {
  program
    .command('verify')
    .description('check every segment and index of a data dir (read-only)')
    .requiredOption('--data-dir <dir>', 'data directory')
    .option('--allow-offset-gaps', 'accept offset gaps inside and between segments (a copy of a compacted topic)', false)
    .action(async (opts: { dataDir: string; allowOffsetGaps: boolean }) => {
      if (!fs.existsSync(opts.dataDir) || !fs.statSync(opts.dataDir).isDirectory()) {
        throw new StrataError('INVALID_ARGUMENT', `data dir ${opts.dataDir} does not exist or is not a directory`);
      }
      const notice = readerLockNotice(opts.dataDir, 'verify');
      if (notice) process.stderr.write(`${notice}\n`);
      const report = await verifyDataDir(opts.dataDir, { allowOffsetGaps: opts.allowOffsetGaps });
      const summary = `${report.partitions} partitions, ${report.segments} segments, ${report.batches} batches, ${report.records} records`;
      if (report.problem) throw new StrataError('CORRUPT_RECORD', `invalid: ${report.problem} (checked before it: ${summary})`);
      process.stdout.write(`ok: ${summary}\n`);
    });
}
