/**
 * Building a KafkaServer by names (engine, transfer, cache) and Kafka config keys, for
 * `strata serve`, the tests and the harness. `--config` keys that are broker keys
 * (socket.request.max.bytes, num.partitions, ...) configure the broker; the rest are topic
 * configs applied to every log (segment.bytes, flush.messages, ...), checked by LogConfig.
 */
import type { CodecRegistry } from '../core/codec.js';
import type { LogManager } from '../core/log/log-manager.js';
import { TOKENS, stderrLogger, type Logger } from '../core/tokens.js';
import type { Transfer } from '../core/transfer.js';
import { composeByName, transferByName } from '../engines/compose.js';
import { loadNative, nativeUnavailableReason } from '../native/index.js';
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
  /** Port told to clients in Metadata / FindCoordinator when it is not the listen port (a proxy in front). */
  advertisedPort?: number;
}

/**
 * The transfer by name (engines/transfer). Without a name: sendfile when the native addon is
 * built (Kafka's FileChannel.transferTo behaviour), else buffered, with a log line saying so.
 */
export function pickTransfer(name: string | undefined, logger: Logger): Transfer {
  if (name) return transferByName(name);
  if (loadNative()) return transferByName('sendfile');
  logger.warn(`serving fetches with the buffered transfer (pread + socket.write), not sendfile: ${nativeUnavailableReason('the sendfile transfer')}`);
  return transferByName('buffered');
}

export async function startBroker(options: StartBrokerOptions): Promise<KafkaServer> {
  const logger = options.logger ?? stderrLogger;
  const brokerProps: Record<string, string> = {};
  const logProps: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.config ?? {})) (isBrokerConfigKey(k) ? brokerProps : logProps)[k] = v;
  if (options.autoCreateTopics !== undefined && brokerProps['auto.create.topics.enable'] === undefined) brokerProps['auto.create.topics.enable'] = String(options.autoCreateTopics);
  const config = brokerConfigFrom(brokerProps);
  const transfer = pickTransfer(options.transfer, logger);
  const container = await composeByName({ dataDir: options.dataDir, engine: options.engine, cache: options.cache, config: logProps, logger });
  const logs = container.get<LogManager>(TOKENS.LogManager);
  const codecs = container.get<CodecRegistry>(TOKENS.Codecs);
  const server = new KafkaServer({ logs, transfer, codecs, logger, config, host: options.host, port: options.port, advertisedPort: options.advertisedPort });
  await server.start();
  return server;
}
