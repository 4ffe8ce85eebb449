/**
 * The data directory (one Kafka log dir): one `TOPIC-PARTITION/` directory per partition log, and
 * at the root the files Kafka's LogManager keeps there — the clean-shutdown marker and the
 * recovery-point / log-start-offset checkpoints (checkpoints.ts), so Kafka and strata read each
 * other's directories.
 *
 * Lifecycle, as Kafka's: the constructor reads the marker and checkpoints and removes the marker
 * (a crash from then on must recover); logs open on demand (getOrCreateLog) or all at once
 * (loadLogs); startSchedulers() checkpoints recovery points every
 * log.flush.offset.checkpoint.interval.ms and applies retention every
 * log.retention.check.interval.ms; close() closes every log, writes the checkpoints, and writes
 * the marker only when every log closed healthy.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { inject, injectable } from 'inversify';
import type { Cache } from '../cache.js';
import type { CodecRegistry } from '../codec.js';
import { logConfigFrom, type LogConfig } from '../config/log-config.js';
import type { StorageEngine } from '../engine.js';
import { ensureDir } from '../dirs.js';
import { StrataError } from '../errors.js';
import { TOKENS, type Logger } from '../tokens.js';
import { parsePartitionDirName, partitionDirName } from '../topic.js';
import {
  LOG_START_OFFSET_CHECKPOINT_FILE,
  RECOVERY_POINT_CHECKPOINT_FILE,
  deleteCleanShutdownFile,
  hasCleanShutdownFile,
  readOffsetCheckpoint,
  writeCleanShutdownFile,
  writeOffsetCheckpoint,
  type OffsetCheckpoint,
} from './checkpoints.js';
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

/** Kafka's own log dirs that are not topic partitions (the KRaft metadata log). */
const INTERNAL_DIRS = new Set(['__cluster_metadata-0']);

@injectable()
export class LogManager {
  private readonly logs = new Map<string, Promise<Log>>();
  private readonly hadCleanShutdown: boolean;
  private readonly recoveryPoints: OffsetCheckpoint;
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;

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
    this.hadCleanShutdown = hasCleanShutdownFile(dataDir);
    this.recoveryPoints = this.readCheckpoint(RECOVERY_POINT_CHECKPOINT_FILE);
    // the marker is consumed: a crash from now on must trigger recovery
    deleteCleanShutdownFile(dataDir);
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
      if (!entry.isDirectory() || INTERNAL_DIRS.has(entry.name)) continue;
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
      const loadOptions = { hadCleanShutdown: this.hadCleanShutdown, recoveryPoint: this.recoveryPoints.get(name) ?? 0 };
      log = Log.open(join(this.dataDir, name), config, { engine: this.engine, codecs: this.codecs, cache: this.cache, logger: this.logger }, loadOptions);
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
   * Writes the recovery points of every log (open ones' current values, the others' as read at
   * start) and the log start offsets to the root checkpoints. Kafka's log-start-offset checkpoint
   * holds only logs whose start is above their first segment's base; in strata it never is.
   */
  async checkpointLogs(): Promise<void> {
    const points: OffsetCheckpoint = new Map(this.recoveryPoints);
    for (const log of await this.openLogs()) points.set(log.partitionDirName, log.recoveryPoint);
    writeOffsetCheckpoint(join(this.dataDir, RECOVERY_POINT_CHECKPOINT_FILE), points);
    writeOffsetCheckpoint(join(this.dataDir, LOG_START_OFFSET_CHECKPOINT_FILE), new Map());
    for (const [name, offset] of points) this.recoveryPoints.set(name, offset);
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
    for (const timer of this.timers) clearInterval(timer);
    const errors: unknown[] = [];
    let healthy = true;
    for (const log of await this.openLogs()) {
      try {
        healthy = (await log.close()) && healthy;
      } catch (err) {
        healthy = false;
        errors.push(err);
      }
    }
    for (const log of await this.openLogs()) this.recoveryPoints.set(log.partitionDirName, log.recoveryPoint);
    writeOffsetCheckpoint(join(this.dataDir, RECOVERY_POINT_CHECKPOINT_FILE), this.recoveryPoints);
    writeOffsetCheckpoint(join(this.dataDir, LOG_START_OFFSET_CHECKPOINT_FILE), new Map());
    // a log never opened this session was not recovered: after an unclean start it must not be
    // vouched for by a marker
    const allRecovered = this.hadCleanShutdown || this.partitionsOnDisk().every((tp) => this.logs.has(partitionDirName(tp.topic, tp.partition)));
    if (healthy && allRecovered) writeCleanShutdownFile(this.dataDir);
    if (errors.length > 0) throw errors[0];
  }
}
