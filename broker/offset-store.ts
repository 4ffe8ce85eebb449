/**
 * Committed consumer-group offsets for one node. Kafka keeps them in the __consumer_offsets topic;
 * strata keeps them in memory and in DATA_DIR/strata-consumer-offsets.json, rewritten (temp file,
 * fsync, rename) before an OffsetCommit is acknowledged, so an acknowledged commit survives a
 * crash. Concurrent commits share one write: a commit waits for the next write to START after it.
 */
import fs from 'node:fs';
import { rename } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { readBrokerJsonFile } from './broker-file.js';
import { openRegularFile } from '../core/regular-file.js';

const writeAt = promisify(fs.write);
const fsyncFd = promisify(fs.fsync);
const closeFd = promisify(fs.close);

export const OFFSETS_FILE = 'strata-consumer-offsets.json';
/** Bounds the state: groups, and partitions per group. */
export const GROUPS_WITH_OFFSETS_MAX = 10_000;
export const OFFSETS_PER_GROUP_MAX = 100_000;

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string;
}

type Saved = Record<string, Record<string, Record<string, CommittedOffset>>>;

export class OffsetStore {
  private readonly groups = new Map<string, Map<string, Map<number, CommittedOffset>>>();
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, OFFSETS_FILE);
    const saved = readBrokerJsonFile(this.file) as Saved | undefined;
    if (saved === undefined) return;
    for (const [group, topics] of Object.entries(saved)) {
      const g = new Map<string, Map<number, CommittedOffset>>();
      for (const [topic, partitions] of Object.entries(topics)) {
        g.set(topic, new Map(Object.entries(partitions).map(([p, o]) => [Number(p), o])));
      }
      this.groups.set(group, g);
    }
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(group)?.get(topic)?.get(partition);
  }

  /** Every committed partition of a group, by topic. */
  all(group: string): Map<string, Map<number, CommittedOffset>> {
    return this.groups.get(group) ?? new Map();
  }

  /** Groups with at least one committed offset. */
  groupIds(): Iterable<string> {
    return this.groups.keys();
  }

  hasGroup(group: string): boolean {
    return this.groups.has(group);
  }

  /**
   * Forgets one committed offset in memory (persist() writes it); true when there was one. The
   * group stays known without offsets, as Kafka's does until DeleteGroups or its cleanup.
   */
  delete(group: string, topic: string, partition: number): boolean {
    const t = this.groups.get(group)?.get(topic);
    if (!t?.delete(partition)) return false;
    if (t.size === 0) this.groups.get(group)!.delete(topic);
    return true;
  }

  /** Forgets every committed offset of a group in memory; true when it had any. */
  deleteGroup(group: string): boolean {
    return this.groups.delete(group);
  }

  /** Records a commit in memory; returns false when a bound would be exceeded. */
  put(group: string, topic: string, partition: number, value: CommittedOffset): boolean {
    let g = this.groups.get(group);
    if (!g) {
      if (this.groups.size >= GROUPS_WITH_OFFSETS_MAX) return false;
      this.groups.set(group, (g = new Map()));
    }
    let t = g.get(topic);
    if (!t) g.set(topic, (t = new Map()));
    if (!t.has(partition)) {
      let n = 0;
      for (const m of g.values()) n += m.size;
      if (n >= OFFSETS_PER_GROUP_MAX) return false;
    }
    t.set(partition, value);
    return true;
  }

  /**
   * Forgets every group's offsets of a deleted topic (Kafka's GroupCoordinator.onPartitionsDeleted),
   * so a topic created again under the name starts without them; true when any went (persist then).
   */
  removeTopic(topic: string): boolean {
    let removed = false;
    for (const [group, g] of this.groups) {
      removed = g.delete(topic) || removed;
      if (g.size === 0) this.groups.delete(group);
    }
    return removed;
  }

  /** Resolves once a write that started after this call has reached the disk. */
  persist(): Promise<void> {
    if (!this.running) {
      this.running = this.write();
      return this.running;
    }
    this.next ??= this.running.then(
      () => this.startNext(),
      () => this.startNext(),
    );
    return this.next;
  }

  private startNext(): Promise<void> {
    this.next = undefined;
    this.running = this.write();
    return this.running;
  }

  private async write(): Promise<void> {
    try {
      const saved: Saved = {};
      for (const [group, topics] of this.groups) {
        saved[group] = {};
        for (const [topic, partitions] of topics) saved[group][topic] = Object.fromEntries(partitions);
      }
      const tmp = `${this.file}.tmp`;
      // a stray link or directory named like the temp file is refused, never written through
      const fd = await openRegularFile(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC);
      try {
        const bytes = Buffer.from(JSON.stringify(saved));
        for (let at = 0; at < bytes.length; ) at += (await writeAt(fd, bytes, at, bytes.length - at, at)).bytesWritten;
        await fsyncFd(fd);
      } finally {
        await closeFd(fd);
      }
      await rename(tmp, this.file);
    } finally {
      if (!this.next) this.running = undefined;
    }
  }
}
