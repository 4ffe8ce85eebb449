/**
 * The data directory: one `TOPIC-PARTITION/` directory per partition log, like Kafka's LogManager.
 * Opens logs on demand (each once, even when asked concurrently) and closes them all on shutdown.
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
import { Log } from './log.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

@injectable()
export class LogManager {
  private readonly logs = new Map<string, Promise<Log>>();
  private closed = false;

  constructor(
    @inject(TOKENS.DataDir) readonly dataDir: string,
    @inject(TOKENS.LogConfig) readonly defaultConfig: LogConfig,
    @inject(TOKENS.StorageEngine) readonly engine: StorageEngine,
    @inject(TOKENS.Codecs) readonly codecs: CodecRegistry,
    @inject(TOKENS.Cache) readonly cache: Cache,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {
    try {
      ensureDir(dataDir);
      fs.accessSync(dataDir, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
    } catch (err) {
      throw new StrataError('STORAGE_ERROR', `data dir ${dataDir} is not a usable directory: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The partitions present on disk. */
  partitionsOnDisk(): TopicPartition[] {
    const out: TopicPartition[] = [];
    for (const entry of fs.readdirSync(this.dataDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
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
      log = Log.open(join(this.dataDir, name), config, { engine: this.engine, codecs: this.codecs, cache: this.cache, logger: this.logger });
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
    await (await log).close();
  }

  async flushAll(): Promise<void> {
    for (const log of this.logs.values()) await (await log).flush();
  }

  /** Closes every open log (flush, trim, clean-shutdown marker). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const errors: unknown[] = [];
    for (const log of this.logs.values()) {
      try {
        await (await log).close();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}
