/**
 * `KafkaServer`: strata's logs served over the Kafka wire protocol to real clients (kcat /
 * librdkafka, kafkajs, the Java client). One node (id 0), loopback unless told otherwise, with a
 * plaintext listener, a TLS listener (Kafka's SSL listener: node:tls, server authentication with
 * a certificate and key), or both at once. As in Kafka, a client is told the address of the
 * listener it came in on (Metadata, FindCoordinator), so a TLS client stays on TLS. Fetches on the
 * TLS listener use a transfer that can write to a TLS socket (`supports.encryptedSockets`):
 * sendfile cannot (the kernel would send the file in plaintext), so there the bytes go through
 * user space, pread then encrypt, as in Kafka's SslTransportLayer.
 *
 * Lifecycle: start() listens; close() (SIGTERM in `strata serve`) stops accepting, wakes parked
 * fetches, lets each connection finish its request in progress, writes the producer snapshots, and
 * closes the LogManager (flush, Kafka's clean-shutdown markers) only when it owns it (`ownsLogs`,
 * set by startBroker, which opened it): whoever opened a thing closes it.
 */
import net from 'node:net';
import tls from 'node:tls';
import { hostname } from 'node:os';
import type { CodecRegistry } from '../core/codec.js';
import type { LogManager } from '../core/log/log-manager.js';
import type { Logger } from '../core/tokens.js';
import type { Transfer } from '../core/transfer.js';
import { DEFAULT_BROKER_CONFIG, type BrokerConfig } from './broker-config.js';
import { BrokerSecurity } from './auth/security.js';
import type { SecurityProtocol } from './auth/security-config.js';
import { Session, connectionContext } from './auth/session.js';
import { Connection } from './connection.js';
import { ConnectionQuotas } from './connection-quotas.js';
import { DecompressionLimiter } from './decompression-limiter.js';
import type { BrokerContext } from './context.js';
import { GroupCoordinator } from './group-coordinator.js';
import { MemoryPool } from './memory-pool.js';
import { RateLimitedLog } from './rate-limited-log.js';
import { OffsetStore } from './offset-store.js';
import { PartitionWaiters } from './partition-waiters.js';
import { ProducerIdManager } from './producer-id-manager.js';
import { ProducerExpiration } from './producer-expiration.js';
import { TopicManager } from './topic-manager.js';

export interface KafkaServerOptions {
  logs: LogManager;
  /** true: close() closes `logs` too (startBroker opened them). Default false: the caller's to close. */
  ownsLogs?: boolean;
  transfer: Transfer;
  codecs: CodecRegistry;
  logger: Logger;
  config?: Partial<BrokerConfig>;
  host?: string;
  /** 0 = an ephemeral port (tests). */
  port?: number;
  /** Host told to clients; default the listen host (or the machine's name for 0.0.0.0 / ::). */
  advertisedHost?: string;
  /** Port told to clients; default the bound port (a proxy or port forward in front: its port). */
  advertisedPort?: number;
  /** false: no plaintext listener (then `tls` must be given). Default true. */
  plaintext?: boolean;
  tls?: TlsListenerOptions;
  /** SASL, client certificates, authorization (auth/); default none of them. */
  security?: BrokerSecurity;
  /** The plaintext listener's protocol: PLAINTEXT (default) or SASL_PLAINTEXT. */
  plaintextProtocol?: 'PLAINTEXT' | 'SASL_PLAINTEXT';
}

export interface TlsListenerOptions {
  /** Default: the plaintext listener's host. */
  host?: string;
  /** 0 = an ephemeral port. */
  port: number;
  /** PEM certificate chain and private key (ssl.keystore.* in Kafka). */
  cert: string | Buffer;
  key: string | Buffer;
  /** Fetch's transfer on this listener; must have `supports.encryptedSockets`. */
  transfer: Transfer;
  advertisedPort?: number;
  /** SSL (default) or SASL_SSL. */
  protocol?: 'SSL' | 'SASL_SSL';
}

/**
 * A client that has not finished its TLS handshake by then (or by connections.max.idle.ms, when
 * shorter: Kafka expires a handshaking channel as any idle one) is closed.
 */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** How long shutdown waits for a connection's request in progress. */
const SHUTDOWN_DRAIN_MS = 5000;

export class KafkaServer {
  readonly config: BrokerConfig;
  readonly topics: TopicManager;
  readonly groups: GroupCoordinator;
  private readonly server: net.Server | undefined;
  private readonly tlsServer: tls.Server | undefined;
  private readonly connections = new Set<Connection>();
  /** Every open socket, handshaking or not, against max.connections and max.connections.per.ip. */
  readonly quotas: ConnectionQuotas;
  private readonly waiters = new PartitionWaiters();
  private readonly producerExpiration: ProducerExpiration;
  private readonly ctx: BrokerContext;
  private readonly tlsCtx: BrokerContext | undefined;
  private readonly security: BrokerSecurity;
  private shuttingDown = false;
  private closing: Promise<void> | undefined;
  private boundPort = 0;
  private tlsBoundPort = 0;

  constructor(private readonly options: KafkaServerOptions) {
    this.config = { ...DEFAULT_BROKER_CONFIG, ...options.config };
    const requestBytesMax = this.config.queuedMaxRequestBytes;
    if (requestBytesMax !== -1 && requestBytesMax < this.config.socketRequestMaxBytes) {
      throw new Error(`KafkaServer: queued.max.request.bytes (${requestBytesMax}) is below socket.request.max.bytes (${this.config.socketRequestMaxBytes}): such a request would wait forever`);
    }
    this.topics = new TopicManager(options.logs, options.logger);
    this.groups = new GroupCoordinator(this.config, new OffsetStore(options.logs.dataDir), options.logger);
    this.quotas = new ConnectionQuotas(this.config, options.logger);
    this.producerExpiration = new ProducerExpiration(this.config.producerIdExpirationMs, this.config.producerIdExpirationCheckIntervalMs);
    const host = options.host ?? '127.0.0.1';
    const advertised = options.advertisedHost ?? (host === '0.0.0.0' || host === '::' ? hostname() : host);
    this.security = options.security ?? BrokerSecurity.open(options.logger);
    this.ctx = {
      config: this.config,
      logger: options.logger,
      transfer: options.transfer,
      codecs: options.codecs,
      logs: options.logs,
      topics: this.topics,
      groups: this.groups,
      waiters: this.waiters,
      producerIds: new ProducerIdManager(options.logs.dataDir),
      producerExpiration: this.producerExpiration,
      decompression: new DecompressionLimiter(),
      requestMemory: new MemoryPool(this.config.queuedMaxRequestBytes),
      clusterId: 'strata',
      advertisedHost: () => advertised,
      advertisedPort: () => options.advertisedPort ?? this.boundPort,
      isShuttingDown: () => this.shuttingDown,
      session: new Session(this.security.listener(options.plaintextProtocol ?? 'PLAINTEXT')),
    };
    if (options.plaintext === false && !options.tls) throw new Error('KafkaServer: no listener (plaintext is off and no TLS listener given)');
    if (options.plaintext !== false) {
      this.server = net.createServer((socket) => {
        if (this.admit(socket, 'PLAINTEXT')) this.accept(socket, this.ctx);
      });
    }
    const t = options.tls;
    if (t) {
      if (!t.transfer.supports.encryptedSockets) throw new Error(`KafkaServer: the TLS listener's transfer "${t.transfer.name}" cannot write to a TLS socket`);
      const tlsAdvertised = t.host === undefined ? advertised : t.host === '0.0.0.0' || t.host === '::' ? hostname() : t.host;
      const tlsCtx: BrokerContext = {
        ...this.ctx,
        transfer: t.transfer,
        advertisedHost: () => tlsAdvertised,
        advertisedPort: () => t.advertisedPort ?? this.tlsBoundPort,
        session: new Session(this.security.listener(t.protocol ?? 'SSL')),
      };
      this.tlsCtx = tlsCtx;
      // secureConnection: the handshake is done, so the connection's first read is a Kafka frame
      const handshakeTimeout = Math.min(TLS_HANDSHAKE_TIMEOUT_MS, this.config.connectionsMaxIdleMs);
      this.tlsServer = tls.createServer({ cert: t.cert, key: t.key, handshakeTimeout, ...this.security.tlsClientAuth() }, (socket) => this.accept(socket, tlsCtx));
      // the TCP connection is counted (or refused) when it arrives, before its handshake: a
      // handshake holds a descriptor as a connection does. Its peer's address is read then too: by
      // the time a failed handshake is reported the socket may be destroyed and its address gone
      const peers = new WeakMap<net.Socket, string>();
      const handshakeFailures = new RateLimitedLog((line) => options.logger.info(line));
      this.tlsServer.on('connection', (raw: net.Socket) => {
        const peer = `${raw.remoteAddress}:${raw.remotePort}`;
        if (this.admit(raw, 'SSL')) peers.set(raw, peer);
      });
      this.tlsServer.on('tlsClientError', (err, socket) => {
        const raw = (socket as tls.TLSSocket & { _parent?: net.Socket })._parent;
        // Node reports a failed or timed-out handshake and leaves both sockets open: close them
        socket.destroy();
        raw?.destroy();
        if (raw && !peers.has(raw)) return; // refused on accept: already logged
        const peer = (raw && peers.get(raw)) ?? `${socket.remoteAddress}:${socket.remotePort}`;
        handshakeFailures.log(`TLS handshake with ${peer} failed: ${err.message}; connection closed`);
      });
    }
  }

  /** Counts an accepted TCP socket against the connection quotas, or closes it. */
  private admit(socket: net.Socket, listener: string): boolean {
    if (this.shuttingDown) {
      socket.destroy();
      return false;
    }
    return this.quotas.admit(socket, listener);
  }

  private accept(socket: net.Socket, ctx: BrokerContext): void {
    if (this.shuttingDown) {
      socket.destroy();
      return;
    }
    const c = new Connection(socket, connectionContext(ctx, socket), (closed) => this.connections.delete(closed));
    this.connections.add(c);
  }

  /** Says where a zero-copy transfer does not apply: an O_DIRECT engine's bytes are not in the page cache. */
  private directIoNote(transfer: { supports: { zeroCopy: boolean } }): string {
    return this.options.logs.engine.supports.directIo && transfer.supports.zeroCopy ? ': its segments are O_DIRECT, so Fetches are sent from user memory' : '';
  }

  /** Listens on every configured listener; `port` / `tlsPort` are the bound ports (0: no such listener). */
  async start(): Promise<{ host: string; port: number; tlsPort: number }> {
    const host = this.options.host ?? '127.0.0.1';
    if (this.server) {
      this.boundPort = await listen(this.server, host, this.options.port ?? 9092);
      this.options.logger.info(`serving Kafka protocol on ${host}:${this.boundPort} (transfer ${this.options.transfer.name}, engine ${this.options.logs.engine.name}${this.directIoNote(this.options.transfer)})`);
    }
    const t = this.options.tls;
    if (this.tlsServer && t) {
      const tlsHost = t.host ?? host;
      this.tlsBoundPort = await listen(this.tlsServer, tlsHost, t.port);
      this.options.logger.info(`serving Kafka protocol over TLS on ${tlsHost}:${this.tlsBoundPort} (transfer ${t.transfer.name}, engine ${this.options.logs.engine.name}${this.directIoNote(t.transfer)})`);
    }
    const listeners: { protocol: SecurityProtocol; host: string; port: number }[] = [];
    if (this.server) listeners.push({ protocol: this.ctx.session.listener.protocol, host, port: this.boundPort });
    if (this.tlsCtx && t) listeners.push({ protocol: this.tlsCtx.session.listener.protocol, host: t.host ?? host, port: this.tlsBoundPort });
    const exposed = this.security.exposedListenersWarning(listeners);
    if (exposed) this.options.logger.warn(exposed);
    return { host, port: this.boundPort, tlsPort: this.tlsBoundPort };
  }

  get port(): number {
    return this.boundPort;
  }

  /** The TLS listener's bound port; 0 without one. */
  get tlsPort(): number {
    return this.tlsBoundPort;
  }

  /** The transfer Fetch uses on the TLS listener (undefined without one). */
  get tlsTransfer(): Transfer | undefined {
    return this.tlsCtx?.transfer;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.shuttingDown = true;
    const stopped = Promise.all([this.server, this.tlsServer].map((srv) => srv && new Promise<void>((resolve) => srv.close(() => resolve()))));
    this.waiters.wakeAll();
    this.groups.close();
    await Promise.all([...this.connections].map((c) => c.drain(SHUTDOWN_DRAIN_MS)));
    await stopped;
    // each log snapshots its producer state at its end as it closes, then the clean-shutdown markers
    this.producerExpiration.close();
    if (this.options.ownsLogs) await this.options.logs.close();
    this.options.logger.info(this.options.ownsLogs ? 'broker stopped; logs flushed and closed' : 'broker stopped; the logs stay open (their owner closes them)');
  }
}

function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}
