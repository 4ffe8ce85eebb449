/**
 * Building a KafkaServer by names (engine, transfer, cache) and Kafka config keys, for
 * `strata serve`, the tests and the harness. `--config` keys that are broker keys
 * (socket.request.max.bytes, num.partitions, ...) configure the broker; the rest are topic
 * configs applied to every log (segment.bytes, flush.messages, ...), checked by LogConfig.
 */
import type { Container } from 'inversify';
import type { CodecRegistry } from '../core/codec.js';
import { registryOf } from '../core/container.js';
import type { LogManager } from '../core/log/log-manager.js';
import type { ComponentRegistry } from '../core/registry.js';
import { TOKENS, stderrLogger, type Logger } from '../core/tokens.js';
import type { Transfer } from '../core/transfer.js';
import { composeByName } from '../engines/compose.js';
import { defaultContainer, defaultTransferName } from '../engines/index.js';
import { nativeUnavailableReason } from '../native/index.js';
import { brokerConfigFrom, isBrokerConfigKey } from './broker-config.js';
import { KafkaServer } from './server.js';

export interface StartBrokerOptions {
  dataDir: string;
  host?: string;
  port?: number;
  engine?: string;
  transfer?: string;
  cache?: string;
  config?: Readonly<Record<string, string>>;
  /** auto.create.topics.enable (default true, as in Kafka); a `config` entry for the key wins. */
  autoCreateTopics?: boolean;
  logger?: Logger;
  /** The root container whose registry engine, transfer and cache names resolve from (default: the process's). */
  container?: Container;
  /** Port told to clients in Metadata / FindCoordinator when it is not the listen port (a proxy in front). */
  advertisedPort?: number;
}

/**
 * The transfer's name. Without one: sendfile when the native addon is built (Kafka's
 * FileChannel.transferTo behaviour), else buffered, with a log line saying so.
 */
export function pickTransferName(name: string | undefined, logger: Logger, registry: ComponentRegistry): string {
  if (name) return name;
  const picked = defaultTransferName(registry);
  if (picked !== 'sendfile') logger.warn(`serving fetches with the ${picked} transfer (pread + socket.write), not sendfile: ${nativeUnavailableReason('the sendfile transfer')}`);
  return picked;
}

export async function startBroker(options: StartBrokerOptions): Promise<KafkaServer> {
  const logger = options.logger ?? stderrLogger;
  const brokerProps: Record<string, string> = {};
  const logProps: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.config ?? {})) (isBrokerConfigKey(k) ? brokerProps : logProps)[k] = v;
  if (options.autoCreateTopics !== undefined && brokerProps['auto.create.topics.enable'] === undefined) brokerProps['auto.create.topics.enable'] = String(options.autoCreateTopics);
  const config = brokerConfigFrom(brokerProps);
  const root = options.container ?? defaultContainer();
  const transferName = pickTransferName(options.transfer, logger, registryOf(root));
  const managerConfig = { retentionCheckIntervalMs: config.logRetentionCheckIntervalMs, flushOffsetCheckpointIntervalMs: config.logFlushOffsetCheckpointIntervalMs };
  const composed = { dataDir: options.dataDir, engine: options.engine, cache: options.cache, transfer: transferName, config: logProps, logger, container: root, managerConfig };
  const container = await composeByName(composed);
  const logs = container.get<LogManager>(TOKENS.LogManager);
  const codecs = container.get<CodecRegistry>(TOKENS.Codecs);
  const transfer = container.get<Transfer>(TOKENS.Transfer); // what Fetch sends segment bytes with
  const server = new KafkaServer({ logs, transfer, codecs, logger, config, host: options.host, port: options.port, advertisedPort: options.advertisedPort });
  // as Kafka's LogManager at startup: every partition opened (recovered) with its topic's configs,
  // then retention and recovery-point checkpoints on their schedules
  await server.topics.openAll();
  logs.startSchedulers();
  await server.start();
  return server;
}
