/**
 * Topics as the broker sees them: a name, a partition count and topic config overrides, over the
 * LogManager's TOPIC-PARTITION directories. The LogManager knows partitions but not topics, and it
 * keeps no per-topic configs across restarts (Kafka keeps them in its metadata log), so the broker
 * records each topic's partition count and overrides in DATA_DIR/strata-topics.json, written
 * atomically (temp file + rename) on every create. Topics found on disk without an entry there
 * (written by `strata produce`, say) get the count of their partition directories and no overrides.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { logConfigFrom } from '../core/config/log-config.js';
import { StrataError } from '../core/errors.js';
import type { Log } from '../core/log/log.js';
import type { LogManager } from '../core/log/log-manager.js';
import { validateTopicName } from '../core/topic.js';

export const TOPICS_FILE = 'strata-topics.json';
/** Bounds a CreateTopics request: partitions per topic (each is a directory and open files). */
export const PARTITIONS_PER_TOPIC_MAX = 10_000;

export interface TopicInfo {
  name: string;
  partitions: number;
  configs: Record<string, string>;
}

export class TopicManager {
  private readonly topics = new Map<string, TopicInfo>();
  private readonly creating = new Map<string, Promise<TopicInfo>>();

  constructor(readonly logs: LogManager) {
    const file = join(logs.dataDir, TOPICS_FILE);
    if (fs.existsSync(file)) {
      let saved: TopicInfo[];
      try {
        saved = JSON.parse(fs.readFileSync(file, 'utf8')) as TopicInfo[];
      } catch (err) {
        throw new StrataError('STORAGE_ERROR', `${file} is not valid JSON: ${(err as Error).message}`);
      }
      for (const t of saved) this.topics.set(t.name, t);
    }
    for (const tp of logs.partitionsOnDisk()) {
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
  async log(topic: string, partition: number): Promise<Log | undefined> {
    const info = this.topics.get(topic);
    if (!info || partition < 0 || partition >= info.partitions) return undefined;
    return this.logs.getOrCreateLog(topic, partition, info.configs);
  }

  /**
   * Creates a topic with its partition logs. Throws StrataError INVALID_TOPIC / INVALID_CONFIG /
   * INVALID_ARGUMENT naming the problem; `exists` when the topic is already there.
   */
  async create(name: string, partitions: number, configs: Record<string, string> = {}, validateOnly = false): Promise<TopicInfo | 'exists'> {
    validateTopicName(name);
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > PARTITIONS_PER_TOPIC_MAX) {
      throw new StrataError('INVALID_ARGUMENT', `number of partitions must be between 1 and ${PARTITIONS_PER_TOPIC_MAX}, got ${partitions}`);
    }
    logConfigFrom(configs, this.logs.defaultConfig); // throws INVALID_CONFIG naming the key
    if (this.topics.has(name) || this.creating.has(name)) return 'exists';
    if (validateOnly) return { name, partitions, configs };
    const info: TopicInfo = { name, partitions, configs };
    const done = (async () => {
      for (let p = 0; p < partitions; p++) await this.logs.getOrCreateLog(name, p, configs);
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
    const known = this.topics.get(name);
    if (known) return known;
    const pending = this.creating.get(name);
    if (pending) return pending;
    const created = await this.create(name, partitions);
    return created === 'exists' ? (this.topics.get(name) ?? (await this.creating.get(name)!)) : created;
  }

  /**
   * The temp file is synced before the rename and the directory after it: a rename can reach the
   * disk before the renamed file's bytes, and after a power cut an empty topics file stops the
   * broker from starting at all (test/crashfs/power-cut-broker.test.ts).
   */
  private save(): void {
    const file = join(this.logs.dataDir, TOPICS_FILE);
    const tmp = `${file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
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
