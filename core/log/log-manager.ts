/**
 * The data directory (one Kafka log dir): one `TOPIC-PARTITION/` directory per partition log, and
 * at the root the files Kafka's LogManager keeps there — the clean-shutdown marker and the
 * recovery-point / log-start-offset checkpoints (checkpoints.ts), so Kafka and strata read each
 * other's directories.
 *
 * Lifecycle, as Kafka's: the constructor locks the directory (core/file-lock.ts: `.lock`, one
 * writer per data dir; a second opener, in this process or another, is refused), reads the marker
 * and checkpoints and removes the marker (a crash from then on must recover); logs open on demand (getOrCreateLog) or all at once
 * (loadLogs); startSchedulers() checkpoints recovery points every
 * log.flush.offset.checkpoint.interval.ms and applies retention every
 * log.retention.check.interval.ms; close() closes every log, writes the checkpoints, and writes
 * the marker only when every log closed healthy, and releases the lock.
 *
 * Partition directories that are symbolic links to directories are followed, as Kafka follows
 * them (a partition moved to another disk); the files inside them are not (regular-file.ts).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { join } from 'node:path';
import { inject, injectable } from 'inversify';
import type { Cache } from '../cache.js';
import type { CodecRegistry } from '../codec.js';
import { logConfigFrom, type LogConfig } from '../config/log-config.js';
import type { StorageEngine } from '../engine.js';
import { ensureDir, isPartitionDirEntry } from '../dirs.js';
import { StrataError } from '../errors.js';
import { FileLock } from '../file-lock.js';
import { TOKENS, type Logger } from '../tokens.js';
import { parsePartitionDirName, partitionDirName } from '../topic.js';
import {
  LOG_START_OFFSET_CHECKPOINT_FILE,
  RECOVERY_POINT_CHECKPOINT_FILE,
  deleteCleanShutdownFile,
  syncDir,
  hasCleanShutdownFile,
  readOffsetCheckpoint,
  writeCleanShutdownFile,
  writeOffsetCheckpoint,
  type OffsetCheckpoint,
} from './checkpoints.js';
import { runBounded } from './bounded.js';
import { DirSyncGroup } from './dir-sync.js';
import { Log } from './log.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** Broker-level settings of the LogManager, with Kafka's keys and defaults. */
export interface LogManagerConfig {
  /** log.flush.offset.checkpoint.interval.ms: how often recovery points are checkpointed. */
  flushOffsetCheckpointIntervalMs: number;
  /** log.retention.check.interval.ms: how often retention runs over every open log. */
  retentionCheckIntervalMs: number;
}

export const DEFAULT_LOG_MANAGER_CONFIG: Readonly<LogManagerConfig> = Object.freeze({
  flushOffsetCheckpointIntervalMs: 60_000,
  retentionCheckIntervalMs: 300_000,
});

/**
 * Logs closed at once by close(): their flushes and descriptor closes overlap in the file system
 * and libuv's pool instead of queueing one log at a time (Kafka closes with a pool of
 * num.recovery.threads.per.data.dir threads).
 */
export const LOG_CLOSE_CONCURRENCY = 16;

/** Kafka's own log dirs that are not topic partitions (the KRaft metadata log). */
const INTERNAL_DIRS = new Set(['__cluster_metadata-0']);
/** Suffix of a deleted log's directory until it is removed (Kafka's UnifiedLog.DeleteDirSuffix). */
export const DELETE_DIR_SUFFIX = '-delete';

@injectable()
export class LogManager {
  private readonly logs = new Map<string, Promise<Log>>();
  private readonly hadCleanShutdown: boolean;
  private readonly recoveryPoints: OffsetCheckpoint;
  private readonly logStartOffsets: OffsetCheckpoint;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Logs closed by closeLog (a failed disk): their next open recovers, whatever the marker said. */
  private readonly reopenUnclean = new Set<string>();
  /** Deleted logs' directories waiting for file.delete.delay.ms, with what removes each. */
  private readonly pendingDirDeletes = new Map<string, { timer: NodeJS.Timeout; remove: () => Promise<void> }>();
  private closed = false;
  private readonly lock: FileLock;
  /** Syncs of the data dir, shared by the new logs waiting for one (dir-sync.ts). */
  readonly dataDirSync: DirSyncGroup;

  constructor(
    @inject(TOKENS.DataDir) readonly dataDir: string,
    @inject(TOKENS.LogConfig) readonly defaultConfig: LogConfig,
    @inject(TOKENS.StorageEngine) readonly engine: StorageEngine,
    @inject(TOKENS.Codecs) readonly codecs: CodecRegistry,
    @inject(TOKENS.Cache) readonly cache: Cache,
    @inject(TOKENS.Logger) private readonly logger: Logger,
    @inject(TOKENS.LogManagerConfig) readonly managerConfig: LogManagerConfig = DEFAULT_LOG_MANAGER_CONFIG,
  ) {
    try {
      ensureDir(dataDir);
      fs.accessSync(dataDir, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
    } catch (err) {
      throw new StrataError('STORAGE_ERROR', `data dir ${dataDir} is not a usable directory: ${(err as Error).message}`, { cause: err });
    }
    // before anything is read or written: the checkpoints and the marker are the holder's
    this.lock = FileLock.lockDataDir(dataDir);
    this.dataDirSync = new DirSyncGroup(dataDir);
    if (!this.lock.locked) logger.warn(`data dir ${dataDir} is open WITHOUT its lock (STRATA_DATA_DIR_LOCK=none, no native addon): a second process on it would lose acknowledged records`);
    try {
      this.hadCleanShutdown = hasCleanShutdownFile(dataDir);
      this.recoveryPoints = this.readCheckpoint(RECOVERY_POINT_CHECKPOINT_FILE);
      this.logStartOffsets = this.readCheckpoint(LOG_START_OFFSET_CHECKPOINT_FILE);
      // the marker is consumed: a crash from now on must trigger recovery
      deleteCleanShutdownFile(dataDir);
      this.removeDeletedDirs();
    } catch (err) {
      this.lock.release();
      throw err;
    }
  }

  /** Directories of logs deleted before a restart: nothing holds them any more (Kafka removes them too). */
  private removeDeletedDirs(): void {
    for (const entry of fs.readdirSync(this.dataDir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !entry.name.endsWith(DELETE_DIR_SUFFIX)) continue;
      this.logger.info(`removing ${join(this.dataDir, entry.name)}, a log deleted before the restart`);
      fs.rmSync(join(this.dataDir, entry.name), { recursive: true, force: true });
    }
  }

  private readCheckpoint(name: string): OffsetCheckpoint {
    try {
      return readOffsetCheckpoint(join(this.dataDir, name));
    } catch (err) {
      // without it every unflushed-looking segment is re-validated: slower, never wrong
      this.logger.warn(`${(err as Error).message}; recovering every log in ${this.dataDir} from its first segment`);
      return new Map();
    }
  }

  /** The partitions present on disk. */
  partitionsOnDisk(): TopicPartition[] {
    const out: TopicPartition[] = [];
    for (const entry of fs.readdirSync(this.dataDir, { withFileTypes: true })) {
      if (INTERNAL_DIRS.has(entry.name) || !isPartitionDirEntry(this.dataDir, entry)) continue;
      const tp = parsePartitionDirName(entry.name);
      if (tp) out.push(tp);
    }
    return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  hasLog(topic: string, partition: number): boolean {
    return this.logs.has(partitionDirName(topic, partition)) || fs.existsSync(join(this.dataDir, partitionDirName(topic, partition)));
  }

  /** The open log of a partition, opening (and creating) it when needed. */
  getOrCreateLog(topic: string, partition: number, overrides: Readonly<Record<string, string>> = {}): Promise<Log> {
    if (this.closed) throw new StrataError('LOG_CLOSED', `log manager for ${this.dataDir} is closed`);
    const name = partitionDirName(topic, partition);
    let log = this.logs.get(name);
    if (!log) {
      const config = logConfigFrom(overrides, this.defaultConfig);
      const loadOptions = {
        hadCleanShutdown: this.hadCleanShutdown && !this.reopenUnclean.has(name),
        recoveryPoint: this.recoveryPoints.get(name) ?? 0,
        logStartOffset: this.logStartOffsets.get(name),
        // logs created together share one sync of the data dir (CreateTopics of many partitions)
        syncParentDir: () => this.dataDirSync.sync(),
      };
      const deps = { engine: this.engine, codecs: this.codecs, cache: this.cache, logger: this.logger, beforeLogStartOffsetChange: (l: Log, start: number) => this.logStartOffsetChanging(l, start) };
      log = Log.open(join(this.dataDir, name), config, deps, loadOptions);
      this.logs.set(name, log);
      log.catch(() => this.logs.delete(name));
    }
    return log;
  }

  /** The log of a partition that exists on disk or is open; undefined otherwise. */
  async getLog(topic: string, partition: number): Promise<Log | undefined> {
    if (!this.hasLog(topic, partition)) return undefined;
    return this.getOrCreateLog(topic, partition);
  }

  /** Opens (and so recovers) every partition on disk, as Kafka's LogManager does at startup. */
  async loadLogs(): Promise<Log[]> {
    const out: Log[] = [];
    for (const tp of this.partitionsOnDisk()) out.push(await this.getOrCreateLog(tp.topic, tp.partition));
    return out;
  }

  /**
   * Closes one partition's log and forgets it, so the next getOrCreateLog opens (and recovers) it
   * afresh: how the broker comes back from a failed disk, and removes a half-made topic. The caller
   * keeps other users away until this settles. A failed log's close still closes every file.
   */
  async closeLog(topic: string, partition: number): Promise<void> {
    const name = partitionDirName(topic, partition);
    const log = this.logs.get(name);
    if (!log) return;
    this.logs.delete(name);
    // reopened as after a crash: recovered from its last recovery point, whatever the marker said
    this.reopenUnclean.add(name);
    const closing = await log.catch(() => undefined);
    if (closing) this.recoveryPoints.set(name, closing.recoveryPoint);
    await closing?.close();
  }

  /**
   * Deletes one partition's log, as Kafka's LogManager.asyncDelete: the log stops taking calls, its
   * directory is renamed to `TOPIC-PARTITION.<id>-delete` (synced, so a crash cannot bring it
   * back), its checkpoint entries go, and the directory is removed after file.delete.delay.ms, so
   * a fetch already holding a slice of it finishes. The name is free for a new log at once.
   * Returns false when there was no such log.
   */
  async deleteLog(topic: string, partition: number): Promise<boolean> {
    if (this.closed) throw new StrataError('LOG_CLOSED', `log manager for ${this.dataDir} is closed`);
    const name = partitionDirName(topic, partition);
    const pending = this.logs.get(name);
    if (!pending && !fs.existsSync(join(this.dataDir, name))) return false;
    this.logs.delete(name);
    const log = await pending?.catch(() => undefined);
    const release = (await log?.closeForDelete().catch(() => undefined)) ?? (log ? () => log.close().then(() => {}) : async () => {});
    const deleted = join(this.dataDir, `${name}.${randomUUID().replaceAll('-', '')}${DELETE_DIR_SUFFIX}`);
    fs.renameSync(join(this.dataDir, name), deleted);
    syncDir(this.dataDir);
    this.recoveryPoints.delete(name);
    this.logStartOffsets.delete(name);
    this.reopenUnclean.delete(name);
    writeOffsetCheckpoint(join(this.dataDir, RECOVERY_POINT_CHECKPOINT_FILE), this.recoveryPoints);
    writeOffsetCheckpoint(join(this.dataDir, LOG_START_OFFSET_CHECKPOINT_FILE), this.logStartOffsets);
    const remove = async () => {
      this.pendingDirDeletes.delete(deleted);
      await release().catch(() => {});
      await fs.promises.rm(deleted, { recursive: true, force: true }).catch((err: unknown) => this.logger.error(`removing deleted log ${deleted}: ${(err as Error).message}`));
    };
    const timer = setTimeout(() => void remove(), this.defaultConfig.fileDeleteDelayMs);
    timer.unref();
    this.pendingDirDeletes.set(deleted, { timer, remove });
    this.logger.info(`deleted log ${name}: renamed to ${deleted}, removed in ${this.defaultConfig.fileDeleteDelayMs} ms`);
    return true;
  }

  /** Starts the recovery-point checkpoint and retention schedulers (idempotent). */
  startSchedulers(): void {
    if (this.timers.length > 0 || this.closed) return;
    const every = (ms: number, task: () => Promise<unknown>, what: string) => {
      const timer = setInterval(() => task().catch((err: unknown) => this.logger.error(`${what} in ${this.dataDir} failed: ${(err as Error).message}`)), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.managerConfig.flushOffsetCheckpointIntervalMs, () => this.checkpointLogs(), 'recovery-point checkpoint');
    every(this.managerConfig.retentionCheckIntervalMs, () => this.applyRetention(), 'retention');
  }

  /** Runs retention over every open log; returns the segments deleted. */
  async applyRetention(): Promise<number> {
    let deleted = 0;
    for (const log of await this.openLogs()) deleted += await log.deleteOldSegments();
    return deleted;
  }

  /**
   * Writes the recovery points and log start offsets of every log (open ones' current values, the
   * others' as read at start) to the root checkpoints. Kafka writes log start offsets only where
   * they differ from the first segment's base; strata writes every log's, which Kafka reads the
   * same way (the larger of the two wins) and which lets a missing first segment be noticed.
   */
  async checkpointLogs(): Promise<void> {
    for (const log of await this.openLogs()) {
      this.recoveryPoints.set(log.partitionDirName, log.recoveryPoint);
      this.logStartOffsets.set(log.partitionDirName, log.logStartOffset);
    }
    writeOffsetCheckpoint(join(this.dataDir, RECOVERY_POINT_CHECKPOINT_FILE), this.recoveryPoints);
    writeOffsetCheckpoint(join(this.dataDir, LOG_START_OFFSET_CHECKPOINT_FILE), this.logStartOffsets);
  }

  /** Retention is about to move a log's start: checkpointed first (off the ack path: rare). */
  private logStartOffsetChanging(log: Log, logStartOffset: number): void {
    this.logStartOffsets.set(log.partitionDirName, logStartOffset);
    writeOffsetCheckpoint(join(this.dataDir, LOG_START_OFFSET_CHECKPOINT_FILE), this.logStartOffsets);
  }

  async flushAll(): Promise<void> {
    for (const log of await this.openLogs()) await log.flush();
  }

  /** Open logs (those that failed to open are left out). */
  private async openLogs(): Promise<Log[]> {
    const settled = await Promise.allSettled(this.logs.values());
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  }

  /** Closes every open log, writes the checkpoints, and the clean-shutdown marker if all went well. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.closeLogs();
    } finally {
      this.lock.release();
    }
  }

  private async closeLogs(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    for (const { timer, remove } of [...this.pendingDirDeletes.values()]) {
      clearTimeout(timer);
      await remove();
    }
    let healthy = true;
    // each close flushes its log and closes its files: independent work, so many at once; every
    // log is closed whatever another's close does
    const failures = await runBounded(await this.openLogs(), LOG_CLOSE_CONCURRENCY, async (log) => {
      healthy = (await log.close()) && healthy;
    }, { stopOnError: false });
    if (failures.length > 0) healthy = false;
    const errors = failures.map((f) => f.error);
    await this.checkpointLogs();
    // a log never opened this session was not recovered: after an unclean start it must not be
    // vouched for by a marker
    const allRecovered = this.hadCleanShutdown || this.partitionsOnDisk().every((tp) => this.logs.has(partitionDirName(tp.topic, tp.partition)));
    if (healthy && allRecovered) writeCleanShutdownFile(this.dataDir);
    if (errors.length > 0) throw errors[0];
  }
}
