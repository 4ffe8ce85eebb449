/**
 * strata's public API (`import ... from 'strata-log'`), grouped:
 * - the log: `Log` (one partition), `LogManager` (a data dir of partitions), `LogConfig` with
 *   Kafka's topic config keys, the offline verifier, the inversify container;
 * - the plug-in interfaces (`StorageEngine` / `SegmentFile`, `Codec`, `Transfer`, `Cache`) and the
 *   built-ins (engines, codecs, transfers, caches), composed by name;
 * - the records you append and read (`ProducerRecord`, `DecodedBatch`, `buildBatch`, `decodeBatch`,
 *   `CompressionType`, `TimestampType`);
 * - the broker: `startBroker` / `KafkaServer` (the Kafka wire protocol over a LogManager);
 * - `format`: the RecordBatch v2 byte layout (offsets, masks, validation, varints, CRC-32C).
 * The conformance suite for third-party engines is `strata-log/conformance`.
 */
export * as format from './core/format/index.js';

// the log
export * from './core/errors.js';
export * from './core/config/log-config.js';
export * from './core/topic.js';
export * from './core/tokens.js';
export * from './core/log/log.js';
export * from './core/log/log-manager.js';
export { DataDirLockedError, FileLock, LOCK_FILE, probeDataDirLock, type LockProbe } from './core/file-lock.js';
export { NotRegularFileError, FileTooLargeError } from './core/regular-file.js';
export * from './core/log/log-verifier.js';
export * from './core/container.js';
export { LogSegment } from './core/log/log-segment.js';
export { OffsetIndex, type OffsetPosition } from './core/index/offset-index.js';
export { TimeIndex, type TimestampOffset } from './core/index/time-index.js';

// records in and out
export { buildBatch, buildCompressedBatch, decodeBatch, decodeBatchSync, type BatchOptions, type DecodedBatch, type DecodedRecord, type ProducerRecord, type RecordHeader } from './core/format/records.js';
export { CompressionType, type TimestampType, validateBatch, readBatchHeader, type RecordBatchHeader } from './core/format/record-batch.js';
export { validateBatches, type ValidatedBatches } from './core/format/batch-cursor.js';

// plug-in interfaces and built-ins
export * from './core/engine.js';
export * from './core/codec.js';
export * from './core/transfer.js';
export * from './core/cache.js';
export * from './engines/index.js';
export * from './engines/compose.js';
export { builtinCodecs } from './codecs/index.js';
export { builtinTransfers } from './engines/transfer/index.js';
export { builtinCaches } from './engines/cache/index.js';
export { pwriteEngine } from './engines/pwrite.js';
export { fsyncPerWriteEngine } from './engines/fsync-per-write.js';
export { fsyncGroupEngine } from './engines/fsync-group.js';
export { createDirectEngine, directEngine, type DirectEngine, type DirectEngineOptions } from './engines/direct/direct.js';
export { ioUringEngine, ioUringPageCacheEngine } from './engines/io-uring.js';
export { PwriteSegmentFile } from './engines/pwrite-file.js';
export { loadNative, NATIVE_BUILD_FIX } from './native/index.js';

// the broker
export { startBroker, type StartBrokerOptions } from './broker/start.js';
export { KafkaServer, type KafkaServerOptions } from './broker/server.js';
export { DEFAULT_BROKER_CONFIG, brokerConfigFrom, isBrokerConfigKey, type BrokerConfig } from './broker/broker-config.js';
