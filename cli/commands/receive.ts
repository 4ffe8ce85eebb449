/**
 * `strata receive`: accepts one `strata send` stream, validates every batch and appends it to its
 * own partition log with the batches' own offsets; exits non-zero when the stream was corrupt or
 * truncated (keeping only the whole, valid batches before the damage).
 */
import type { Command } from 'commander';
import { logConfigFrom, parseConfigPairs } from '../../core/config/log-config.js';
import { createContainer } from '../../core/container.js';
import type { LogManager } from '../../core/log/log-manager.js';
import { TOKENS } from '../../core/tokens.js';
import { loadEngine } from '../../engines/index.js';
import { receiveLog } from '../../engines/transfer/ship/receiver.js';
import { parseHostPort, parseNonNegativeInt } from '../ship-options.js';

interface ReceiveFlags {
  listen: string;
  dataDir: string;
  topic: string;
  partition: string;
  engine: string;
  config: string[];
}

export function register(program: Command): void {
  program
    .command('receive')
    .description('accept one `strata send` stream and append its batches, offsets kept, to a local partition log')
    .requiredOption('--listen <host:port>', 'address to listen on (port 0 picks one; the chosen address is printed)')
    .requiredOption('--data-dir <dir>', 'data directory to write TOPIC-PARTITION/ into')
    .requiredOption('--topic <topic>', 'topic (must match the stream)')
    .option('--partition <n>', 'partition (must match the stream)', '0')
    .option('--engine <name>', 'storage engine for the receiving log', 'pwrite')
    .option('--config <key=value>', 'log config for the receiving log (Kafka keys, e.g. segment.bytes=1048576); repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .action(async (flags: ReceiveFlags) => {
      const partition = parseNonNegativeInt(flags.partition, '--partition');
      const { host, port } = parseHostPort(flags.listen, '--listen');
      const config = logConfigFrom(parseConfigPairs(flags.config));
      const engine = await loadEngine(flags.engine);
      const manager = createContainer({ dataDir: flags.dataDir, engine, config }).get<LogManager>(TOKENS.LogManager);
      try {
        const r = await receiveLog({
          host,
          port,
          topic: flags.topic,
          partition,
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
