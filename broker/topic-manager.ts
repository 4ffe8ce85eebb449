/**
 * Topics as the broker sees them: a name, a partition count and topic config overrides, over the
 * LogManager's TOPIC-PARTITION directories. The LogManager knows partitions but not topics, and it
 * keeps no per-topic configs across restarts (Kafka keeps them in its metadata log), so the broker
 * records each topic's partition count and overrides in DATA_DIR/strata-topics.json, written
 * atomically (temp file + rename) on every create. Topics found on disk without an entry there
 * (written by `strata produce`, say) get the count of their partition directories and no overrides.
 *
 * Kafka's naming rules on create: no internal topic (core/topic.ts), no name that collides with an
 * existing one ('.' read as '_'). A create that fails part way (EMFILE, ENOSPC) closes and removes
 * the partitions it made, so no half-made topic shows up after a restart.
 *
 * Deleting a topic deletes each partition's log (LogManager.deleteLog: renamed to `-delete` at
 * once, removed after file.delete.delay.ms) before the topics file forgets it; while it runs, a
 * create of the same name is TOPIC_ALREADY_EXISTS, as Kafka answers for a topic marked for
 * deletion. Partitions are added, never removed (CreatePartitions).
 *
 * A partition whose log failed on a storage error (a full disk) is answered KAFKA_STORAGE_ERROR
 * until STORAGE_RETRY_BACKOFF_MS have passed; the next request for it then closes the failed log
 * and opens it again, which recovers it (recovery cuts whatever was never acknowledged), so the
 * partition comes back by itself once the disk has room, without a restart.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { logConfigFrom } from '../core/config/log-config.js';
import { StrataError } from '../core/errors.js';
import type { Log } from '../core/log/log.js';
import { runBounded } from '../core/log/bounded.js';
import type { LogManager } from '../core/log/log-manager.js';
import type { Logger } from '../core/tokens.js';
import { CLUSTER_METADATA_TOPIC, isReservedTopic, partitionDirName, topicsCollide, validateTopicName } from '../core/topic.js';
import { readBrokerJsonFile } from './broker-file.js';
import { openRegularFileSync } from '../core/regular-file.js';

export const TOPICS_FILE = 'strata-topics.json';
/** Bounds a CreateTopics request: partitions per topic (each is a directory and open files). */
export const PARTITIONS_PER_TOPIC_MAX = 10_000;
/** Partition logs created at once by a CreateTopics / CreatePartitions (bounded: descriptors and pending calls). */
export const PARTITION_CREATE_CONCURRENCY = 32;
/** How long a partition whose log failed on a storage error waits before it is reopened. */
export const STORAGE_RETRY_BACKOFF_MS = 1000;

export interface TopicInfo {
  name: string;
  partitions: number;
  configs: Record<string, string>;
}

export class TopicManager {
  private readonly topics = new Map<string, TopicInfo>();
  private readonly creating = new Map<string, Promise<TopicInfo>>();
  private readonly deleting = new Map<string, Promise<void>>();
  /** Partitions (`topic-partition`) whose log failed on a storage error, with when. */
  private readonly failedAtMs = new Map<string, number>();
  private readonly reopening = new Map<string, Promise<Log>>();

  constructor(
    readonly logs: LogManager,
    private readonly logger?: Logger,
  ) {
    const file = join(logs.dataDir, TOPICS_FILE);
    const saved = readBrokerJsonFile(file) as TopicInfo[] | undefined;
    for (const t of saved ?? []) this.topics.set(t.name, t);
    for (const tp of logs.partitionsOnDisk()) {
      if (tp.topic === CLUSTER_METADATA_TOPIC) continue; // a Kafka data dir's KRaft log, not a topic
      const known = this.topics.get(tp.topic);
      if (!known) this.topics.set(tp.topic, { name: tp.topic, partitions: tp.partition + 1, configs: {} });
      else if (known.partitions <= tp.partition) known.partitions = tp.partition + 1;
    }
  }

  list(): TopicInfo[] {
    return [...this.topics.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): TopicInfo | undefined {
    return this.topics.get(name);
  }

  /** The log of an existing partition, or undefined when the topic or partition does not exist. */
  /**
   * Opens (and so recovers) every partition of every known topic with its own configs, as Kafka's
   * LogManager loads all logs at startup: retention and checkpoints then cover them all.
   */
  async openAll(): Promise<void> {
    for (const info of this.list()) for (let p = 0; p < info.partitions; p++) await this.log(info.name, p);
  }

  async log(topic: string, partition: number): Promise<Log | undefined> {
    const info = this.topics.get(topic);
    if (!info || partition < 0 || partition >= info.partitions) return undefined;
    const key = `${topic}-${partition}`;
    const pending = this.reopening.get(key);
    if (pending) return pending;
    const failedAt = this.failedAtMs.get(key);
    if (failedAt !== undefined && Date.now() - failedAt >= STORAGE_RETRY_BACKOFF_MS) return this.reopen(info, partition, key);
    return this.logs.getOrCreateLog(topic, partition, info.configs);
  }

  /** Called when an append or flush of this partition failed on a storage error. */
  noteStorageFailure(topic: string, partition: number, err: unknown): void {
    const key = `${topic}-${partition}`;
    if (this.failedAtMs.has(key)) return;
    this.failedAtMs.set(key, Date.now());
    this.logger?.error(`${key} failed on a storage error (${(err as Error).message}); answering KAFKA_STORAGE_ERROR, reopening it in ${STORAGE_RETRY_BACKOFF_MS} ms`);
  }

  /** Closes the failed log and opens it again (recovering it); others wait for it meanwhile. */
  private reopen(info: TopicInfo, partition: number, key: string): Promise<Log> {
    const reopened = (async () => {
      try {
        await this.logs.closeLog(info.name, partition);
      } catch {
        // a failed log's close still closes its files; recovery on open deals with the rest
      }
      const log = await this.logs.getOrCreateLog(info.name, partition, info.configs);
      this.failedAtMs.delete(key);
      this.logger?.info(`${key} reopened after a storage error: log end offset ${log.logEndOffset}`);
      return log;
    })();
    this.reopening.set(key, reopened);
    reopened.then(
      () => this.reopening.delete(key),
      (err: unknown) => {
        this.reopening.delete(key);
        this.failedAtMs.set(key, Date.now());
        this.logger?.error(`${key} could not be reopened yet: ${(err as Error).message}`);
      },
    );
    return reopened;
  }

  /**
   * Creates a topic with its partition logs. Throws StrataError INVALID_TOPIC / INVALID_CONFIG /
   * INVALID_ARGUMENT naming the problem; `exists` when the topic is already there.
   */
  async create(name: string, partitions: number, configs: Record<string, string> = {}, validateOnly = false): Promise<TopicInfo | 'exists'> {
    validateTopicName(name);
    if (isReservedTopic(name)) throw new StrataError('INVALID_TOPIC', `Creation of internal topic ${name} is prohibited.`); // Kafka's words
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > PARTITIONS_PER_TOPIC_MAX) {
      throw new StrataError('INVALID_ARGUMENT', `number of partitions must be between 1 and ${PARTITIONS_PER_TOPIC_MAX}, got ${partitions}`);
    }
    logConfigFrom(configs, this.logs.defaultConfig); // throws INVALID_CONFIG naming the key
    if (this.topics.has(name) || this.creating.has(name) || this.deleting.has(name)) return 'exists';
    const colliding = [...this.topics.keys(), ...this.creating.keys(), ...this.deleting.keys()].filter((t) => topicsCollide(t, name)).sort();
    if (colliding.length > 0) throw new StrataError('INVALID_TOPIC', `Topic '${name}' collides with existing topic: ${colliding[0]}`);
    if (validateOnly) return { name, partitions, configs };
    const info: TopicInfo = { name, partitions, configs };
    const done = (async () => {
      await this.openPartitions(name, partitions, configs);
      this.topics.set(name, info);
      this.save();
      return info;
    })();
    this.creating.set(name, done);
    try {
      return await done;
    } finally {
      this.creating.delete(name);
    }
  }

  /** For auto-creation: the topic, created with `partitions` when missing (concurrent calls share one create). */
  async getOrCreate(name: string, partitions: number): Promise<TopicInfo> {
    await this.deleting.get(name);
    const known = this.topics.get(name);
    if (known) return known;
    const pending = this.creating.get(name);
    if (pending) return pending;
    const created = await this.create(name, partitions);
    return created === 'exists' ? (this.topics.get(name) ?? (await this.creating.get(name)!)) : created;
  }

  /**
   * Deletes a topic and its partitions' logs; `beforeDelete` runs with each partition's open log
   * first (the broker drops what it holds for it). False when there is no such topic.
   */
  async delete(name: string, beforeDelete?: (log: Log) => void): Promise<boolean> {
    const info = this.topics.get(name);
    if (!info) return false;
    this.topics.delete(name);
    const done = (async () => {
      try {
        for (let p = 0; p < info.partitions; p++) {
          const key = `${name}-${p}`;
          const log = await (this.reopening.get(key) ?? this.logs.getLog(name, p)).catch(() => undefined);
          if (log) beforeDelete?.(log);
          await this.logs.deleteLog(name, p);
          this.failedAtMs.delete(key);
        }
      } finally {
        this.save();
      }
    })();
    this.deleting.set(name, done);
    try {
      await done;
    } finally {
      this.deleting.delete(name);
    }
    return true;
  }

  /**
   * Replaces a topic's config overrides (AlterConfigs / IncrementalAlterConfigs, which work out
   * `overrides`): checked as a whole first (INVALID_CONFIG naming the key), then recorded in the
   * topics file and applied to every partition's live log (Log.updateConfig). False when there is
   * no such topic.
   */
  async alterConfigs(name: string, overrides: Record<string, string>, validateOnly = false): Promise<boolean> {
    const info = this.topics.get(name);
    if (!info) return false;
    const next = logConfigFrom(overrides, this.logs.defaultConfig);
    const current = logConfigFrom(info.configs, this.logs.defaultConfig);
    if (next.cleanupPolicy !== current.cleanupPolicy) {
      throw new StrataError('INVALID_CONFIG', `cleanup.policy of topic ${name} cannot change (${current.cleanupPolicy} -> ${next.cleanupPolicy}): strata decides whether offsets may have gaps when a log is opened`);
    }
    if (validateOnly) return true;
    info.configs = { ...overrides };
    this.save();
    for (let p = 0; p < info.partitions; p++) (await this.log(name, p))?.updateConfig(next);
    return true;
  }

  /**
   * Raises a topic's partition count to `count` (Kafka's CreatePartitions: never lowered). Throws
   * INVALID_ARGUMENT with Kafka's words for a count not above the current one; false when there
   * is no such topic.
   */
  async addPartitions(name: string, count: number, validateOnly = false): Promise<boolean> {
    const info = this.topics.get(name);
    if (!info) return false;
    if (count < info.partitions) throw new StrataError('INVALID_ARGUMENT', `The topic ${name} currently has ${info.partitions} partition(s); ${count} would not be an increase.`);
    if (count === info.partitions) throw new StrataError('INVALID_ARGUMENT', `Topic already has ${info.partitions} partition(s).`);
    if (!Number.isInteger(count) || count > PARTITIONS_PER_TOPIC_MAX) {
      throw new StrataError('INVALID_ARGUMENT', `number of partitions must be between 1 and ${PARTITIONS_PER_TOPIC_MAX}, got ${count}`);
    }
    if (validateOnly) return true;
    await this.openPartitions(name, count, info.configs, info.partitions);
    info.partitions = count;
    this.save();
    return true;
  }

  /**
   * Opens partitions from..partitions-1, PARTITION_CREATE_CONCURRENCY at a time (their directory
   * syncs shared: LogManager); on the first failure starts no more, and closes and removes every
   * one of them it made.
   */
  private async openPartitions(name: string, partitions: number, configs: Record<string, string>, from = 0): Promise<void> {
    const numbers = Array.from({ length: partitions - from }, (_, i) => from + i);
    const failures = await runBounded(numbers, PARTITION_CREATE_CONCURRENCY, (p) => this.logs.getOrCreateLog(name, p, configs), { stopOnError: true });
    if (failures.length === 0) return;
    for (const q of numbers) {
      await this.logs.closeLog(name, q).catch(() => {});
      fs.rmSync(join(this.logs.dataDir, partitionDirName(name, q)), { recursive: true, force: true });
    }
    const { item: p, error: err } = failures[0]!;
    const io = (err as NodeJS.ErrnoException).code;
    throw new StrataError('STORAGE_ERROR', `creating topic ${name}: partition ${p} of ${partitions} failed (${io ?? ''} ${(err as Error).message}); the partitions made were removed`.replace('( ', '('), { cause: err });
  }

  /**
   * The temp file is synced before the rename and the directory after it: a rename can reach the
   * disk before the renamed file's bytes, and after a power cut an empty topics file stops the
   * broker from starting at all (test/crashfs/power-cut-broker.test.ts).
   */
  private save(): void {
    const file = join(this.logs.dataDir, TOPICS_FILE);
    const tmp = `${file}.tmp`;
    // a stray link or directory named like the temp file is refused, never written through
    const fd = openRegularFileSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC);
    try {
      fs.writeSync(fd, JSON.stringify(this.list(), null, 1));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    const dir = fs.openSync(this.logs.dataDir, 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  }
}
