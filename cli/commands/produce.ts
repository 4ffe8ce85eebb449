/**
 * `strata produce`: values from stdin, one per line (like `kcat -P`), appended in batches of
 * --batch-records; prints how many records and batches were written.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { parseConfigPairs } from '../../core/config/log-config.js';
import type { ProducerRecord } from '../../core/format/records.js';
import { validateTopicName } from '../../core/topic.js';
import { openLogManager } from '../../engines/compose.js';
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
      const manager = await openLogManager({ dataDir: opts.dataDir, engine: opts.engine, config });
      try {
        manager.codecs.byNameOrThrow(opts.codec);
        const log = await manager.getOrCreateLog(opts.topic, opts.partition);
        let pending: ProducerRecord[] = [];
        let records = 0;
        let batches = 0;
        let firstOffset: number | undefined;
        let lastOffset: number | undefined;
        const flushBatch = async () => {
          if (pending.length === 0) return;
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
        const range = firstOffset === undefined ? '' : ` (offsets ${firstOffset}..${lastOffset})`;
        process.stdout.write(`wrote ${records} records in ${batches} batches to ${opts.topic}-${opts.partition}${range}\n`);
      } finally {
        await manager.close();
      }
    });
}
