/**
 * `KafkaServer`: strata's logs served over the Kafka wire protocol to real clients (kcat /
 * librdkafka, kafkajs). One listener, one node (id 0), loopback unless told otherwise.
 *
 * Lifecycle: start() listens; close() (SIGTERM in `strata serve`) stops accepting, wakes parked
 * fetches, lets each connection finish its request in progress, then flushes and closes every log
 * (which writes Kafka's clean-shutdown markers).
 */
import net from 'node:net';
import { hostname } from 'node:os';
import type { CodecRegistry } from '../core/codec.js';
import type { LogManager } from '../core/log/log-manager.js';
import type { Logger } from '../core/tokens.js';
import type { Transfer } from '../core/transfer.js';
import { DEFAULT_BROKER_CONFIG, type BrokerConfig } from './broker-config.js';
import { Connection } from './connection.js';
import type { BrokerContext } from './context.js';
import { FlushCoalescer } from './flush-coalescer.js';
import { GroupCoordinator } from './group-coordinator.js';
import { OffsetStore } from './offset-store.js';
import { PartitionWaiters } from './partition-waiters.js';
import { ProducerIdManager } from './producer-id-manager.js';
import { ProducerStates } from './producer-states.js';
import { TopicManager } from './topic-manager.js';

export interface KafkaServerOptions {
  logs: LogManager;
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
}

/** How long shutdown waits for a connection's request in progress. */
const SHUTDOWN_DRAIN_MS = 5000;

export class KafkaServer {
  readonly config: BrokerConfig;
  readonly topics: TopicManager;
  readonly groups: GroupCoordinator;
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private readonly waiters = new PartitionWaiters();
  private readonly producerStates: ProducerStates;
  private readonly ctx: BrokerContext;
  private shuttingDown = false;
  private closing: Promise<void> | undefined;
  private boundPort = 0;

  constructor(private readonly options: KafkaServerOptions) {
    this.config = { ...DEFAULT_BROKER_CONFIG, ...options.config };
    this.topics = new TopicManager(options.logs);
    this.groups = new GroupCoordinator(this.config, new OffsetStore(options.logs.dataDir), options.logger);
    this.producerStates = new ProducerStates(options.logger, this.config.producerIdExpirationMs, this.config.producerIdExpirationCheckIntervalMs);
    const host = options.host ?? '127.0.0.1';
    const advertised = options.advertisedHost ?? (host === '0.0.0.0' || host === '::' ? hostname() : host);
    this.ctx = {
      config: this.config,
      logger: options.logger,
      transfer: options.transfer,
      codecs: options.codecs,
      logs: options.logs,
      topics: this.topics,
      groups: this.groups,
      waiters: this.waiters,
      flusher: new FlushCoalescer(),
      producerIds: new ProducerIdManager(options.logs.dataDir),
      producerStates: this.producerStates,
      clusterId: 'strata',
      advertisedHost: () => advertised,
      advertisedPort: () => options.advertisedPort ?? this.boundPort,
      isShuttingDown: () => this.shuttingDown,
    };
    this.server = net.createServer((socket) => this.accept(socket));
  }

  private accept(socket: net.Socket): void {
    if (this.shuttingDown) {
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.config.maxConnections) {
      this.options.logger.warn(`refusing connection from ${socket.remoteAddress}:${socket.remotePort}: max.connections (${this.config.maxConnections}) reached`);
      socket.destroy();
      return;
    }
    const c = new Connection(socket, this.ctx, (closed) => this.connections.delete(closed));
    this.connections.add(c);
  }

  async start(): Promise<{ host: string; port: number }> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port: this.options.port ?? 9092 }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (this.server.address() as net.AddressInfo).port;
    this.options.logger.info(`serving Kafka protocol on ${host}:${this.boundPort} (transfer ${this.options.transfer.name}, engine ${this.options.logs.engine.name})`);
    return { host, port: this.boundPort };
  }

  get port(): number {
    return this.boundPort;
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
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.waiters.wakeAll();
    this.groups.close();
    await Promise.all([...this.connections].map((c) => c.drain(SHUTDOWN_DRAIN_MS)));
    await stopped;
    // producer state snapshots at each log end, then the logs' clean-shutdown markers
    await this.producerStates.close();
    await this.options.logs.close();
    this.options.logger.info('broker stopped; logs flushed and closed');
  }
}
