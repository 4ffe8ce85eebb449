/**
 * The child process of the many-partition create power-cut test: a LogManager on the crashfs
 * mount creates `partitions` logs of `topic`, PARTITION_CREATE_CONCURRENCY at a time (the data
 * dir's sync shared among them, as CreateTopics does), and appends one record to each as soon as it
 * exists; it prints "ack P" once partition P's record is acknowledged by a durable-append engine.
 * The parent cuts the power at a random moment and kills it.
 *
 * argv: dataDir engine topic partitions
 */
import { DEFAULT_LOG_CONFIG } from '../../core/config/log-config.js';
import { CodecRegistry } from '../../core/codec.js';
import { noneCache } from '../../core/cache.js';
import { runBounded } from '../../core/log/bounded.js';
import { LogManager } from '../../core/log/log-manager.js';
import { silentLogger } from '../../core/tokens.js';
import { loadEngine } from '../../engines/index.js';
import { PARTITION_CREATE_CONCURRENCY } from '../../broker/topic-manager.js';
import { createManyValue } from './create-many-values.js';

const [dataDir, engineSpec, topic, partitionsText] = process.argv.slice(2);
const engine = await loadEngine(engineSpec!);
if (!engine.supports.durableAppend) throw new Error(`create-many-writer: ${engine.name} does not acknowledge durable appends`);
process.stdout.on('error', () => {});
const manager = new LogManager(dataDir!, DEFAULT_LOG_CONFIG, engine, new CodecRegistry(), noneCache, silentLogger);
process.stdout.write('ready\n');
const partitions = Array.from({ length: Number(partitionsText) }, (_, i) => i);
await runBounded(partitions, PARTITION_CREATE_CONCURRENCY, async (p) => {
  const log = await manager.getOrCreateLog(topic!, p);
  await log.appendRecords([{ value: createManyValue(topic!, p) }]);
  process.stdout.write(`ack ${p}\n`);
}, { stopOnError: true }).catch(() => undefined);
process.stdout.write('done\n');
// after the power cut every call fails with EIO; the process waits for its SIGKILL
setInterval(() => {}, 1 << 30);
