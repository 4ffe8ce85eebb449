/**
 * Kafka's own directories in a data dir: `__cluster_metadata-0` (the KRaft metadata log) is not a
 * topic — Kafka's LogManager skips it and no Metadata answer lists it — and cannot be created;
 * Kafka's internal topics are flagged as such. (test/peers/kafka/strata-reads-kafka.test.ts checks
 * the same against a real Kafka data dir and Kafka's own Metadata answer.)
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TopicManager } from '../../broker/topic-manager.js';
import { isInternalTopic } from '../../core/topic.js';
import { openLogManager } from '../../engines/compose.js';

describe('Kafka internal topics', () => {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'strata-internal-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('__cluster_metadata-0 on disk is not listed, and __cluster_metadata cannot be created', async () => {
    fs.mkdirSync(join(dir, '__cluster_metadata-0'));
    fs.mkdirSync(join(dir, '__consumer_offsets-0'));
    fs.mkdirSync(join(dir, 'events-0'));
    const logs = await openLogManager({ dataDir: dir });
    try {
      const topics = new TopicManager(logs);
      expect(topics.list().map((t) => t.name)).toEqual(['__consumer_offsets', 'events']);
      expect(topics.get('__cluster_metadata')).toBeUndefined();
      await expect(topics.create('__cluster_metadata', 1)).rejects.toThrow('Creation of internal topic __cluster_metadata is prohibited.');
    } finally {
      await logs.close();
    }
  });

  it("is_internal follows Kafka's Topic.INTERNAL_TOPICS", () => {
    expect(['__consumer_offsets', '__transaction_state', '__share_group_state', '__cluster_metadata', 'events', '_x'].map(isInternalTopic))
      .toEqual([true, true, true, false, false, false]);
  });
});
