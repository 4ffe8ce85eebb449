/**
 * `strata send`: ships a partition's batches from an offset to a `strata receive`, through the
 * sendfile (zero-copy, default when the addon is built) or buffered transfer.
 */
import type { Command } from 'commander';
import { createContainer } from '../../core/container.js';
import { StrataError } from '../../core/errors.js';
import type { LogManager } from '../../core/log/log-manager.js';
import { TOKENS } from '../../core/tokens.js';
import { loadEngine } from '../../engines/index.js';
import { builtinTransfers } from '../../engines/transfer/index.js';
import { sendLog } from '../../engines/transfer/ship/sender.js';
import { loadNative } from '../../native/index.js';
import { parseHostPort, parseNonNegativeInt } from '../ship-options.js';

interface SendFlags {
  dataDir: string;
  topic: string;
  partition: string;
  from?: string;
  to: string;
  transfer?: string;
  engine: string;
}

export function register(program: Command): void {
  program
    .command('send')
    .description("stream a partition's batches from an offset to a `strata receive` (log shipping)")
    .requiredOption('--data-dir <dir>', 'data directory holding TOPIC-PARTITION/')
    .requiredOption('--topic <topic>', 'topic')
    .option('--partition <n>', 'partition', '0')
    .option('--from <offset>', 'first offset to ship (default: the log start offset)')
    .requiredOption('--to <host:port>', 'the receiver')
    .option('--transfer <name>', `how bytes go to the socket: ${Object.keys(builtinTransfers).join(' | ')} (default: sendfile when the native addon is built, else buffered)`)
    .option('--engine <name>', 'storage engine to open the segments with', 'pwrite')
    .action(async (flags: SendFlags) => {
      const partition = parseNonNegativeInt(flags.partition, '--partition');
      const from = flags.from === undefined ? undefined : parseNonNegativeInt(flags.from, '--from');
      const { host, port } = parseHostPort(flags.to, '--to');
      const transferName = flags.transfer ?? (loadNative() ? 'sendfile' : 'buffered');
      const factory = builtinTransfers[transferName];
      if (!factory) throw new StrataError('INVALID_ARGUMENT', `unknown transfer "${transferName}" (built-in: ${Object.keys(builtinTransfers).join(', ')})`);
      const transfer = factory();
      const engine = await loadEngine(flags.engine);
      const manager = createContainer({ dataDir: flags.dataDir, engine }).get<LogManager>(TOKENS.LogManager);
      try {
        const log = await manager.getLog(flags.topic, partition);
        if (!log) throw new StrataError('INVALID_ARGUMENT', `no log for ${flags.topic}-${partition} in ${flags.dataDir}`);
        const r = await sendLog({ log, topic: flags.topic, partition, fromOffset: from ?? log.logStartOffset, host, port, transfer });
        const gbits = (r.bytes * 8) / (r.elapsedMs / 1000) / 1e9;
        process.stdout.write(
          `sent ${flags.topic}-${partition}: ${r.bytes} bytes of batches from offset ${r.firstBatchOffset ?? r.nextOffset} to ${r.nextOffset - 1} ` +
            `to ${host}:${port} with ${transfer.name} in ${(r.elapsedMs / 1000).toFixed(3)} s (${gbits.toFixed(2)} Gbit/s); receiver: ${r.reply.message}\n`,
        );
      } finally {
        await manager.close();
      }
    });
}
