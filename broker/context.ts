/** What every request handler can reach: the broker's parts, shared by all connections. */
import type { CodecRegistry } from '../core/codec.js';
import type { LogManager } from '../core/log/log-manager.js';
import type { Logger } from '../core/tokens.js';
import type { Transfer } from '../core/transfer.js';
import type { Session } from './auth/session.js';
import type { BrokerConfig } from './broker-config.js';
import type { DecompressionLimiter } from './decompression-limiter.js';
import type { GroupCoordinator } from './group-coordinator.js';
import type { MemoryPool } from './memory-pool.js';
import type { PartitionWaiters } from './partition-waiters.js';
import type { ProducerIdManager } from './producer-id-manager.js';
import type { ProducerExpiration } from './producer-expiration.js';
import type { RequestHeader } from './protocol/headers.js';
import type { ResponsePart } from './protocol/fetch.js';
import type { KafkaReader } from './protocol/reader.js';
import type { TopicManager } from './topic-manager.js';

/** This broker's single node. */
export const NODE_ID = 0;

export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly logger: Logger;
  readonly transfer: Transfer;
  readonly codecs: CodecRegistry;
  readonly logs: LogManager;
  readonly topics: TopicManager;
  readonly groups: GroupCoordinator;
  readonly waiters: PartitionWaiters;
  readonly producerIds: ProducerIdManager;
  readonly producerExpiration: ProducerExpiration;
  /** Bounds decompressed bytes held at once by all connections' produce validations. */
  readonly decompression: DecompressionLimiter;
  /** queued.max.request.bytes: request bytes all connections hold at once, received or being received. */
  readonly requestMemory: MemoryPool;
  readonly clusterId: string;
  /** Host and port clients are told to connect to (Metadata, FindCoordinator). */
  advertisedHost(): string;
  advertisedPort(): number;
  isShuttingDown(): boolean;
  /** This connection's principal and SASL state (auth/session.ts); a listener's context holds a template. */
  readonly session: Session;
}

/** A request handler: decodes the body from `r`, acts, returns the encoded response (or null: no response, acks=0). */
export type RequestHandler = (ctx: BrokerContext, header: RequestHeader, r: KafkaReader) => Promise<ResponsePart[] | null>;
