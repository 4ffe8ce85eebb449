/**
 * Building a KafkaServer by names (engine, transfer, cache) and Kafka config keys, for
 * `strata serve`, the tests and the harness. `--config` keys that are broker keys
 * (socket.request.max.bytes, num.partitions, ...) configure the broker; the rest are topic
 * configs applied to every log (segment.bytes, flush.messages, ...), checked by LogConfig.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Container } from 'inversify';
import type { CodecRegistry } from '../core/codec.js';
import { registryOf } from '../core/container.js';
import type { LogManager } from '../core/log/log-manager.js';
import type { ComponentRegistry } from '../core/registry.js';
import { StrataError } from '../core/errors.js';
import { TOKENS, stderrLogger, type Logger } from '../core/tokens.js';
import type { Transfer } from '../core/transfer.js';
import { composeByName, transferByName } from '../engines/compose.js';
import { defaultContainer, defaultTransferName } from '../engines/index.js';
import { nativeUnavailableReason } from '../native/index.js';
import { BrokerSecurity } from './auth/security.js';
import { isSecurityConfigKey, securityConfigFrom, type SecurityProtocol } from './auth/security-config.js';
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
  /** false: no plaintext listener, only `tls`. Default true. */
  plaintext?: boolean;
  /** A TLS listener (`strata serve --listen-tls HOST:PORT --tls-cert FILE --tls-key FILE`). */
  tls?: { host?: string; port: number; certFile: string; keyFile: string; protocol?: 'SSL' | 'SASL_SSL' };
  /** The plaintext listener's protocol: PLAINTEXT (default) or SASL_PLAINTEXT. */
  plaintextProtocol?: 'PLAINTEXT' | 'SASL_PLAINTEXT';
}

/** PEM files are certificates and keys: a few KiB. Anything larger is not what was meant. */
const PEM_FILE_BYTES_MAX = 1 << 20;

function readPem(file: string, flag: string): Buffer {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    throw new StrataError('INVALID_ARGUMENT', `${flag} ${file}: cannot read it: ${(err as Error).message}`);
  }
  if (buf.length > PEM_FILE_BYTES_MAX) throw new StrataError('INVALID_ARGUMENT', `${flag} ${file}: ${buf.length} bytes, not a PEM file (at most ${PEM_FILE_BYTES_MAX})`);
  if (!buf.includes('-----BEGIN ')) throw new StrataError('INVALID_ARGUMENT', `${flag} ${file}: no PEM block ("-----BEGIN ...") in it`);
  return buf;
}

/** Reads and checks the certificate and key before anything listens: a bad pair is one clear line. */
function loadTlsIdentity(certFile: string, keyFile: string): { cert: Buffer; key: Buffer } {
  const cert = readPem(certFile, '--tls-cert');
  const key = readPem(keyFile, '--tls-key');
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new StrataError('INVALID_ARGUMENT', `--tls-cert ${certFile} with --tls-key ${keyFile}: ${(err as Error).message}`);
  }
  return { cert, key };
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
  // before any log is opened: a bad certificate leaves nothing to clean up
  if (options.plaintext === false && !options.tls) throw new StrataError('INVALID_ARGUMENT', 'no listener: the plaintext listener is off and no TLS listener was given');
  const identity = options.tls && loadTlsIdentity(options.tls.certFile, options.tls.keyFile);
  const brokerProps: Record<string, string> = {};
  const logProps: Record<string, string> = {};
  const securityProps: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.config ?? {})) (isBrokerConfigKey(k) ? brokerProps : isSecurityConfigKey(k) ? securityProps : logProps)[k] = v;
  const protocols: SecurityProtocol[] = [];
  if (options.plaintext !== false) protocols.push(options.plaintextProtocol ?? 'PLAINTEXT');
  if (options.tls) protocols.push(options.tls.protocol ?? 'SSL');
  // credentials, ACLs and the truststore are read before any log is opened, as the certificate is
  const security = BrokerSecurity.load(securityConfigFrom(securityProps), protocols, logger);
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
  let tls;
  if (options.tls && identity) {
    // no sendfile into a TLS socket: that listener's fetches read into user space and encrypt
    const tlsTransfer = transfer.supports.encryptedSockets ? transfer : transferByName('buffered', registryOf(root));
    if (tlsTransfer !== transfer) logger.info(`TLS listener: fetches use the ${tlsTransfer.name} transfer (${transfer.name} cannot write to a TLS socket)`);
    tls = { host: options.tls.host, port: options.tls.port, ...identity, transfer: tlsTransfer, protocol: options.tls.protocol };
  }
  const server = new KafkaServer({ logs, ownsLogs: true, transfer, codecs, logger, config, host: options.host, port: options.port, advertisedPort: options.advertisedPort, plaintext: options.plaintext, tls, security, plaintextProtocol: options.plaintextProtocol });
  // as Kafka's LogManager at startup: every partition opened (recovered) with its topic's configs,
  // then retention and recovery-point checkpoints on their schedules
  await server.topics.openAll();
  logs.startSchedulers();
  try {
    await server.start();
  } catch (err) {
    await server.close(); // one listener may be up already; the logs were opened
    throw err;
  }
  return server;
}
