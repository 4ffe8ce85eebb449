/**
 * `strata demo`: the embedded default before the harness existed — produce a sample workload into a
 * temp dir with every engine and print what was written. Kept as a smoke check of the core.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { silentLogger } from '../../core/tokens.js';
import { verifyDataDir } from '../../core/log/log-verifier.js';
import { defaultRegistry } from '../../engines/index.js';
import { openLogManager } from '../../engines/compose.js';
import { intOption } from '../options.js';

export function register(program: Command): void {
  program
    .command('demo')
    .description('produce a sample workload into a temp dir with each engine and print what was written')
    .option('--records <n>', 'records per engine', intOption('--records', 1), 100_000)
    .option('--keep', 'keep the temp dir')
    .action(async (opts: { records: number; keep?: boolean }) => {
      const root = fs.mkdtempSync(join(os.tmpdir(), 'strata-demo-'));
      const value = Buffer.alloc(100, 'x');
      for (const name of defaultRegistry().names('engine')) {
        const dataDir = join(root, name);
        let manager;
        try {
          manager = await openLogManager({ dataDir, engine: name, logger: silentLogger, config: { 'segment.bytes': String(8 * 1024 * 1024) } });
        } catch (err) {
          process.stdout.write(`${name.padEnd(16)} skipped: ${(err as Error).message}\n`);
          continue;
        }
        const log = await manager.getOrCreateLog('demo', 0);
        const started = process.hrtime.bigint();
        const batch = Array.from({ length: 100 }, () => ({ value }));
        let appends: Promise<unknown>[] = [];
        for (let i = 0; i < opts.records; i += 100) {
          appends.push(log.appendRecords(batch));
          if (appends.length >= 16) {
            await Promise.all(appends);
            appends = [];
          }
        }
        await Promise.all(appends);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const segments = log.segmentCount;
        const bytes = log.sizeBytes;
        await manager.close();
        const report = await verifyDataDir(dataDir);
        process.stdout.write(
          `${name.padEnd(16)} ${report.records} records in ${report.batches} batches, ${segments} segments, ${(bytes / 1e6).toFixed(1)} MB, ` +
            `${Math.round(report.records / seconds).toLocaleString('en-US')} records/s, verify: ${report.problem ?? 'ok'}\n`,
        );
      }
      process.stdout.write(`data in ${root}${opts.keep ? '' : ' (removed)'}\n`);
      if (!opts.keep) fs.rmSync(root, { recursive: true, force: true });
    });
}
