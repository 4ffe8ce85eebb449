/**
 * `strata produce`: values from stdin, one per line (like `kcat -P`), appended in batches of
 * --batch-records; prints how many records and batches were written.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { parseConfigPairs } from '../../core/config/log-config.js';
import type { ProducerRecord } from '../../core/format/records.js';
import { validateTopicName } from '../../core/topic.js';
import { resolveToken } from '../../core/container.js';
import type { Log } from '../../core/log/log.js';
import type { LogManager } from '../../core/log/log-manager.js';
import { TOKENS } from '../../core/tokens.js';
import { composeByName } from '../../engines/compose.js';
import { collect, intOption } from '../options.js';

export function register(program: Command): void {
  program
    .command('produce')
    .description('append values read from stdin, one per line, to a topic partition')
    .requiredOption('--data-dir <dir>', 'data directory')
    .requiredOption('--topic <name>', 'topic')
    .option('--partition <n>', 'partition', intOption('--partition'), 0)
    .option('--engine <name>', 'storage engine (built-in name or module path)', 'pwrite')
    .option('--codec <name>', 'batch compression codec', 'none')
    .option('--batch-records <n>', 'records per batch', intOption('--batch-records', 1), 500)
    .option('--config <key=value>', 'Kafka topic config (repeatable)', collect, [])
    .action(async (opts: { dataDir: string; topic: string; partition: number; engine: string; codec: string; batchRecords: number; config: string[] }) => {
      validateTopicName(opts.topic);
      const config = parseConfigPairs(opts.config);
      // the engine and codec are checked before stdin is read; the data dir and the topic are
      // touched only once there is a record to write (empty input creates nothing, as kcat -P)
      const container = await composeByName({ dataDir: opts.dataDir, engine: opts.engine, config });
      resolveToken(container, TOKENS.Codecs).byNameOrThrow(opts.codec);
      let manager: LogManager | undefined;
      try {
        let log: Log | undefined;
        let pending: ProducerRecord[] = [];
        let records = 0;
        let batches = 0;
        let firstOffset: number | undefined;
        let lastOffset: number | undefined;
        const flushBatch = async () => {
          if (pending.length === 0) return;
          manager ??= resolveToken(container, TOKENS.LogManager);
          log ??= await manager.getOrCreateLog(opts.topic, opts.partition);
          const info = await log.appendRecords(pending, { codec: opts.codec });
          firstOffset ??= info.firstOffset;
          lastOffset = info.lastOffset;
          records += info.records;
          batches++;
          pending = [];
        };
        for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
          pending.push({ value: Buffer.from(line, 'utf8') });
          if (pending.length >= opts.batchRecords) await flushBatch();
        }
        await flushBatch();
        if (records === 0) {
          process.stdout.write(`wrote 0 records: stdin was empty (${opts.topic}-${opts.partition} not created)\n`);
          return;
        }
        process.stdout.write(`wrote ${records} records in ${batches} batches to ${opts.topic}-${opts.partition} (offsets ${firstOffset}..${lastOffset})\n`);
      } finally {
        await manager?.close();
      }
    });
}
