/**
 * `strata serve`: the Kafka-protocol broker over a data directory. SIGTERM/SIGINT shut it down
 * gracefully (requests in progress finish, logs flush and close with clean-shutdown markers).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Command } from 'commander';
import { parseConfigPairs } from '../../core/config/log-config.js';
import { StrataError } from '../../core/errors.js';
import { stderrLogger } from '../../core/tokens.js';
import { startBroker } from '../../broker/start.js';

function parseListen(text: string, flag = '--listen'): { host: string; port: number } {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) throw new StrataError('INVALID_ARGUMENT', `${flag} "${text}" is not HOST:PORT`);
  const host = text.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const portText = text.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new StrataError('INVALID_ARGUMENT', `${flag} port "${portText}" is not a port number (0-65535)`);
  return { host, port };
}

const DEFAULT_LISTEN = '127.0.0.1:9092';

/**
 * The listeners, as Kafka's `listeners` lists them: plaintext (--listen), TLS (--listen-tls), or
 * both. With only --listen-tls there is no plaintext listener; with neither, plaintext on 9092.
 */
function listenersFrom(opts: { listen?: string; listenTls?: string; tlsCert?: string; tlsKey?: string; listeners?: string }) {
  if (opts.listeners !== undefined) return kafkaListeners(opts.listeners, opts);
  if (opts.listenTls === undefined) {
    if (opts.tlsCert !== undefined || opts.tlsKey !== undefined) throw new StrataError('INVALID_ARGUMENT', '--tls-cert and --tls-key need --listen-tls HOST:PORT');
    return { plaintext: true, ...parseListen(opts.listen ?? DEFAULT_LISTEN), plaintextProtocol: undefined };
  }
  if (opts.tlsCert === undefined || opts.tlsKey === undefined) throw new StrataError('INVALID_ARGUMENT', '--listen-tls needs --tls-cert FILE and --tls-key FILE (PEM)');
  const tls = { ...parseListen(opts.listenTls, '--listen-tls'), certFile: opts.tlsCert, keyFile: opts.tlsKey };
  const plain = opts.listen === undefined ? undefined : parseListen(opts.listen);
  return { plaintext: plain !== undefined, host: plain?.host ?? tls.host, port: plain?.port ?? 0, tls, plaintextProtocol: undefined };
}

/**
 * Kafka's `listeners`: PROTOCOL://HOST:PORT, comma-separated; at most one plaintext listener
 * (PLAINTEXT or SASL_PLAINTEXT) and one TLS listener (SSL or SASL_SSL). An empty host is every
 * interface, as in Kafka.
 */
function kafkaListeners(text: string, opts: { listen?: string; listenTls?: string; tlsCert?: string; tlsKey?: string }) {
  if (opts.listen !== undefined || opts.listenTls !== undefined) throw new StrataError('INVALID_ARGUMENT', '--listeners replaces --listen and --listen-tls; give one or the other');
  let plain: { host: string; port: number; protocol: 'PLAINTEXT' | 'SASL_PLAINTEXT' } | undefined;
  let tls: { host: string; port: number; protocol: 'SSL' | 'SASL_SSL'; certFile: string; keyFile: string } | undefined;
  for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const m = /^([A-Z_]+):\/\/(.*)$/.exec(entry);
    if (!m) throw new StrataError('INVALID_ARGUMENT', `--listeners "${entry}" is not PROTOCOL://HOST:PORT`);
    const protocol = m[1]!;
    const at = parseListen(m[2]!.startsWith(':') ? `0.0.0.0${m[2]}` : m[2]!, '--listeners');
    if (protocol === 'PLAINTEXT' || protocol === 'SASL_PLAINTEXT') {
      if (plain) throw new StrataError('INVALID_ARGUMENT', '--listeners: at most one PLAINTEXT or SASL_PLAINTEXT listener');
      plain = { ...at, protocol };
    } else if (protocol === 'SSL' || protocol === 'SASL_SSL') {
      if (tls) throw new StrataError('INVALID_ARGUMENT', '--listeners: at most one SSL or SASL_SSL listener');
      if (opts.tlsCert === undefined || opts.tlsKey === undefined) throw new StrataError('INVALID_ARGUMENT', `--listeners ${protocol}:// needs --tls-cert FILE and --tls-key FILE (PEM)`);
      tls = { ...at, protocol, certFile: opts.tlsCert, keyFile: opts.tlsKey };
    } else {
      throw new StrataError('INVALID_ARGUMENT', `--listeners: unknown security protocol "${protocol}" (known: PLAINTEXT, SASL_PLAINTEXT, SSL, SASL_SSL)`);
    }
  }
  if (!plain && !tls) throw new StrataError('INVALID_ARGUMENT', '--listeners names no listener');
  if (!tls && (opts.tlsCert !== undefined || opts.tlsKey !== undefined)) throw new StrataError('INVALID_ARGUMENT', '--tls-cert and --tls-key need an SSL:// or SASL_SSL:// listener');
  return { plaintext: plain !== undefined, host: plain?.host ?? tls!.host, port: plain?.port ?? 0, plaintextProtocol: plain?.protocol, tls };
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('Serve the logs of a data directory to Kafka clients over the Kafka wire protocol')
    .requiredOption('--data-dir <dir>', 'data directory (TOPIC-PARTITION subdirectories)')
    .option('--listen <host:port>', `plaintext listener (default ${DEFAULT_LISTEN} unless only --listen-tls is given; port 0 = ephemeral)`)
    .option('--listen-tls <host:port>', "TLS listener (Kafka's SSL listener); needs --tls-cert and --tls-key")
    .option('--listeners <list>', "Kafka's listeners instead of --listen/--listen-tls: PROTOCOL://HOST:PORT,... with PLAINTEXT, SASL_PLAINTEXT, SSL or SASL_SSL (docs/security.md)")
    .option('--tls-cert <file>', "the TLS listener's certificate chain, PEM")
    .option('--tls-key <file>', "the TLS listener's private key, PEM (unencrypted)")
    .option('--engine <name>', 'storage engine: built-in name or module path', 'pwrite')
    .option('--transfer <name>', 'how Fetch sends segment bytes: sendfile | buffered')
    .option('--cache <name>', 'read cache', 'none')
    .option('--config <key=value...>', 'broker or topic config (Kafka keys), repeatable', [])
    .option('--auto-create-topics', 'create unknown topics on Metadata requests (auto.create.topics.enable=true, the default, as in Kafka)')
    .option('--no-auto-create-topics', 'do not: a Metadata request for an unknown topic answers UNKNOWN_TOPIC_OR_PARTITION (auto.create.topics.enable=false)')
    .option('--event-loop-stats', 'log the event loop delay percentiles (a stalled loop delays every client) at shutdown', false)
    .action(async (opts: { dataDir: string; listen?: string; listenTls?: string; tlsCert?: string; tlsKey?: string; listeners?: string; engine: string; transfer?: string; cache: string; config: string[]; autoCreateTopics?: boolean; eventLoopStats: boolean }) => {
      const { host, port, plaintext, tls, plaintextProtocol } = listenersFrom(opts);
      const server = await startBroker({
        dataDir: opts.dataDir,
        host,
        port,
        plaintext,
        tls,
        plaintextProtocol,
        engine: opts.engine,
        transfer: opts.transfer,
        cache: opts.cache,
        config: parseConfigPairs(opts.config),
        autoCreateTopics: opts.autoCreateTopics,
        logger: stderrLogger,
      });
      const loopDelay = opts.eventLoopStats ? monitorEventLoopDelay({ resolution: 1 }) : undefined;
      loopDelay?.enable();
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        stderrLogger.info(`${signal}: shutting down`);
        if (loopDelay) {
          loopDelay.disable();
          const ms = (ns: number) => (ns / 1e6).toFixed(2);
          stderrLogger.info(`event loop delay ms: p50 ${ms(loopDelay.percentile(50))} p99 ${ms(loopDelay.percentile(99))} p99.9 ${ms(loopDelay.percentile(99.9))} max ${ms(loopDelay.max)}`);
        }
        server.close().then(
          () => process.exit(0),
          (err: unknown) => {
            stderrLogger.error(`shutdown failed: ${(err as Error).message}`);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
