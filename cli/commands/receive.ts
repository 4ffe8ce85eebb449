/**
 * `strata receive`: accepts one `strata send` stream, validates every batch and appends it to its
 * own partition log with the batches' own offsets; exits non-zero when the stream was corrupt,
 * truncated or did not fit the log (keeping only the whole, valid batches before the damage).
 */
import type { Command } from 'commander';
import { parseConfigPairs } from '../../core/config/log-config.js';
import { validateTopicName } from '../../core/topic.js';
import { openLogManager } from '../../engines/compose.js';
import { receiveLog } from '../../engines/transfer/ship/receiver.js';
import { parseHostPort } from '../host-port.js';
import { collect, intOption } from '../options.js';

interface ReceiveFlags {
  listen: string;
  dataDir: string;
  topic: string;
  partition: number;
  engine: string;
  config: string[];
}

export function register(program: Command): void {
  program
    .command('receive')
    .description('accept one `strata send` stream and append its batches, offsets kept, to a local partition log')
    .requiredOption('--listen <host:port>', 'address to listen on (port 0 picks one; the bound address is printed)')
    .requiredOption('--data-dir <dir>', 'data directory to write TOPIC-PARTITION/ into')
    .requiredOption('--topic <name>', 'topic (must match the stream)')
    .option('--partition <n>', 'partition (must match the stream)', intOption('--partition'), 0)
    .option('--engine <name>', 'storage engine for the receiving log (built-in name or module path)', 'pwrite')
    .option('--config <key=value>', 'Kafka topic config for the receiving log, e.g. segment.bytes=1048576 (repeatable)', collect, [])
    .action(async (flags: ReceiveFlags) => {
      validateTopicName(flags.topic);
      const { host, port } = parseHostPort(flags.listen, '--listen');
      const manager = await openLogManager({ dataDir: flags.dataDir, engine: flags.engine, config: parseConfigPairs(flags.config) });
      try {
        const r = await receiveLog({
          host,
          port,
          topic: flags.topic,
          partition: flags.partition,
          openLog: (h) => manager.getOrCreateLog(h.topic, h.partition),
          onListening: (a) => process.stdout.write(`listening on ${a.address}:${a.port}\n`),
        });
        process.stdout.write(
          `received ${r.header.topic}-${r.header.partition}: ${r.batches} batches, ${r.bytes} bytes, ` +
            `${r.firstOffset === undefined ? 'no offsets' : `offsets ${r.firstOffset}..${r.lastOffset}`}, log end offset ${r.logEndOffset}\n`,
        );
      } finally {
        await manager.close();
      }
    });
}
