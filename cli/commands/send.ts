/**
 * `strata send`: ships a partition's batches from an offset to a `strata receive`, through the
 * sendfile (zero-copy; the default when the native addon is built) or the buffered transfer.
 */
import type { Command } from 'commander';
import { StrataError } from '../../core/errors.js';
import { validateTopicName } from '../../core/topic.js';
import type { LogManager } from '../../core/log/log-manager.js';
import { DataDirLockedError } from '../../core/file-lock.js';
import { writerHoldsIt } from './consume.js';
import { TOKENS } from '../../core/tokens.js';
import type { Transfer } from '../../core/transfer.js';
import { composeByName } from '../../engines/compose.js';
import { defaultTransferName } from '../../engines/index.js';
import { sendLog } from '../../engines/transfer/ship/sender.js';
import { parseHostPort } from '../host-port.js';
import { intOption } from '../options.js';

interface SendFlags {
  dataDir: string;
  topic: string;
  partition: number;
  from?: number;
  to: string;
  transfer?: string;
  engine: string;
}

export function register(program: Command): void {
  program
    .command('send')
    .description("stream a partition's batches from an offset to a `strata receive` (log shipping; framing in docs/transfer.md)")
    .requiredOption('--data-dir <dir>', 'data directory holding TOPIC-PARTITION/')
    .requiredOption('--topic <name>', 'topic')
    .option('--partition <n>', 'partition', intOption('--partition'), 0)
    .option('--from <offset>', 'first offset to ship (default: the log start offset)', intOption('--from'))
    .requiredOption('--to <host:port>', 'the receiver')
    .option('--transfer <name>', 'sendfile | buffered (default: sendfile when the native addon is built, else buffered)')
    .option('--engine <name>', 'storage engine to open the segments with (built-in name or module path)', 'pwrite')
    .action(async (flags: SendFlags) => {
      validateTopicName(flags.topic);
      const { host, port } = parseHostPort(flags.to, '--to');
      const container = await composeByName({ dataDir: flags.dataDir, engine: flags.engine, transfer: flags.transfer ?? defaultTransferName() });
      const transfer = container.get<Transfer>(TOKENS.Transfer);
      let manager: LogManager;
      try {
        manager = container.get<LogManager>(TOKENS.LogManager);
      } catch (err) {
        throw err instanceof DataDirLockedError ? writerHoldsIt(err, 'send') : err;
      }
      try {
        const log = await manager.getLog(flags.topic, flags.partition);
        if (!log) throw new StrataError('INVALID_ARGUMENT', `no log for ${flags.topic}-${flags.partition} in ${flags.dataDir}`);
        const r = await sendLog({ log, topic: flags.topic, partition: flags.partition, fromOffset: flags.from ?? log.logStartOffset, host, port, transfer });
        const gbits = (r.bytes * 8) / (r.elapsedMs / 1000) / 1e9;
        process.stdout.write(
          `sent ${flags.topic}-${flags.partition}: ${r.bytes} bytes of batches from offset ${r.firstBatchOffset ?? r.nextOffset} to ${r.nextOffset - 1} ` +
            `to ${host}:${port} with ${transfer.name} in ${(r.elapsedMs / 1000).toFixed(3)} s (${gbits.toFixed(2)} Gbit/s); receiver: ${r.reply.message}\n`,
        );
      } finally {
        await manager.close();
      }
    });
}
