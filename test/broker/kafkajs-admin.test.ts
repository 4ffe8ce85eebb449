/**
 * kafkajs 2.2.4's admin calls against the broker: createPartitions (and a decrease refused with
 * INVALID_PARTITIONS), deleteTopicRecords (the low watermark moves, reads below it are refused, -1
 * deletes up to the high watermark, past it OFFSET_OUT_OF_RANGE), describeConfigs of a topic and of
 * the broker with sources and synonyms, alterConfigs applied to the live log, deleteTopics (the directories renamed to `-delete`), and
 * the produce-side topic configs: a record 50 years ahead refused with INVALID_TIMESTAMP, and a
 * LogAppendTime topic whose records read back with the broker's time.
 */
import fs from 'node:fs';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from './helpers.js';

const YEAR_MS = 365 * 24 * 3600 * 1000;

let broker: TestBroker;
let kafka: Kafka;
beforeAll(async () => {
  broker = await startTestBroker({ config: { 'file.delete.delay.ms': '30000' } });
  kafka = new Kafka({ clientId: 'strata-admin-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 } });
});
afterAll(async () => {
  await broker.close();
});

async function withAdmin<T>(fn: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

async function produce(topic: string, n: number, extra: { timestamp?: string } = {}): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ value: `m${i}`, partition: 0, ...extra })) });
  } finally {
    await producer.disconnect();
  }
}

describe('kafkajs admin', () => {
  it('createPartitions raises the count and refuses a decrease with INVALID_PARTITIONS', async () => {
    await withAdmin(async (admin) => {
      await admin.createTopics({ topics: [{ topic: 'grow', numPartitions: 1 }] });
      await admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 3 }] });
      expect((await admin.fetchTopicMetadata({ topics: ['grow'] })).topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
      expect(fs.existsSync(`${broker.dataDir}/grow-2`)).toBe(true);
      await expect(admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 2 }] })).rejects.toMatchObject({ type: 'INVALID_PARTITIONS' });
      await expect(admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 3 }] })).rejects.toMatchObject({ type: 'INVALID_PARTITIONS' });
    });
  });

  it('deleteTopicRecords moves the low watermark; -1 deletes up to the high watermark; past it is OFFSET_OUT_OF_RANGE', async () => {
    await withAdmin(async (admin) => {
      await admin.createTopics({ topics: [{ topic: 'trim', numPartitions: 1 }] });
      await produce('trim', 10);
      // kafkajs finds the leader in its cached metadata only (as against Kafka): fetch it first
      await admin.fetchTopicMetadata({ topics: ['trim'] });
      await admin.deleteTopicRecords({ topic: 'trim', partitions: [{ partition: 0, offset: '4' }] });
      expect(await admin.fetchTopicOffsets('trim')).toEqual([expect.objectContaining({ partition: 0, low: '4', high: '10' })]);
      const past = await admin.deleteTopicRecords({ topic: 'trim', partitions: [{ partition: 0, offset: '11' }] }).catch((err: unknown) => err);
      expect(past).toMatchObject({ cause: { partitions: [{ partition: 0, error: { type: 'OFFSET_OUT_OF_RANGE' } }] } });
      await admin.deleteTopicRecords({ topic: 'trim', partitions: [{ partition: 0, offset: '-1' }] });
      expect(await admin.fetchTopicOffsets('trim')).toEqual([expect.objectContaining({ partition: 0, low: '10', high: '10' })]);
    });
  });

  it('describeConfigs gives topic values with TOPIC_CONFIG / DEFAULT_CONFIG sources and synonyms, and the broker configs', async () => {
    await withAdmin(async (admin) => {
      await admin.createTopics({ topics: [{ topic: 'described', configEntries: [{ name: 'retention.ms', value: '123456' }] }] });
      const { resources } = await admin.describeConfigs({
        includeSynonyms: true,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: 'described', configNames: ['retention.ms', 'cleanup.policy', 'max.message.bytes', 'file.delete.delay.ms'] },
          { type: ConfigResourceTypes.BROKER, name: '0', configNames: ['log.retention.ms', 'num.partitions'] },
        ],
      });
      const topic = Object.fromEntries(resources[0]!.configEntries.map((e) => [e.configName, e]));
      expect(topic['retention.ms']).toMatchObject({ configValue: '123456', isDefault: false, configSource: 1 });
      expect(topic['retention.ms']!.configSynonyms).toEqual([
        { configName: 'retention.ms', configValue: '123456', configSource: 1 },
        { configName: 'log.retention.ms', configValue: '604800000', configSource: 5 },
      ]);
      expect(topic['cleanup.policy']).toMatchObject({ configValue: 'delete', isDefault: true, configSource: 5 });
      expect(topic['max.message.bytes']).toMatchObject({ configValue: '1048588', configSource: 5 });
      // set on the broker's command line (startTestBroker's config): STATIC_BROKER_CONFIG
      expect(topic['file.delete.delay.ms']).toMatchObject({ configValue: '30000', configSource: 4 });
      expect(topic['file.delete.delay.ms']!.configSynonyms).toEqual([
        { configName: 'log.segment.delete.delay.ms', configValue: '30000', configSource: 4 },
        { configName: 'log.segment.delete.delay.ms', configValue: '60000', configSource: 5 },
      ]);
      const brokerEntries = Object.fromEntries(resources[1]!.configEntries.map((e) => [e.configName, e]));
      expect(brokerEntries['num.partitions']).toMatchObject({ configValue: '1', readOnly: true });
      expect(brokerEntries['log.retention.ms']).toMatchObject({ configValue: '604800000' });
      await expect(admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'no-such-topic' }] })).rejects.toThrow(/does not host this topic-partition/);
    });
  });

  it('alterConfigs replaces the overrides, applies them to the live log at once, and refuses an unknown key', async () => {
    await withAdmin(async (admin) => {
      await admin.createTopics({ topics: [{ topic: 'altered', configEntries: [{ name: 'retention.ms', value: '123456' }] }] });
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'altered', configEntries: [{ name: 'segment.bytes', value: '2000000' }] }] });
      const log = (await broker.server.topics.log('altered', 0))!;
      // AlterConfigs replaces every override: retention.ms is back to its default
      expect([log.config.segmentBytes, log.config.retentionMs]).toEqual([2_000_000, 604_800_000]);
      const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'altered', configNames: ['segment.bytes', 'retention.ms'] }] });
      expect(Object.fromEntries(resources[0]!.configEntries.map((e) => [e.configName, [e.configValue, e.configSource]]))).toEqual({ 'segment.bytes': ['2000000', 1], 'retention.ms': ['604800000', 5] });
      await expect(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'altered', configEntries: [{ name: 'no.such.key', value: '1' }] }] })).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
      await expect(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'altered', configEntries: [{ name: 'segment.bytes', value: '1' }] }] })).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
      expect(log.config.segmentBytes).toBe(2_000_000);
    });
  });

  it('deleteTopics removes the topic: gone from metadata, its directories renamed to -delete, its committed offsets forgotten, the name free again', async () => {
    await withAdmin(async (admin) => {
      await admin.createTopics({ topics: [{ topic: 'doomed', numPartitions: 2 }] });
      await produce('doomed', 3);
      // a group commits its offsets of the topic (setOffsets would need DescribeGroups)
      const consumer = kafka.consumer({ groupId: 'doomed-group' });
      await consumer.connect();
      await consumer.subscribe({ topics: ['doomed'], fromBeginning: true });
      let seen = 0;
      await new Promise<void>((resolve) => void consumer.run({ autoCommit: false, eachMessage: async () => void (++seen === 3 && resolve()) }));
      await consumer.commitOffsets([{ topic: 'doomed', partition: 0, offset: '3' }]);
      await consumer.disconnect();
      expect(await admin.fetchOffsets({ groupId: 'doomed-group', topics: ['doomed'] })).toEqual([{ topic: 'doomed', partitions: expect.arrayContaining([expect.objectContaining({ partition: 0, offset: '3' })]) }]);
      await admin.deleteTopics({ topics: ['doomed'] });
      expect(await admin.listTopics()).not.toContain('doomed');
      const names = fs.readdirSync(broker.dataDir);
      expect(names.filter((n) => /^doomed-\d$/.test(n))).toEqual([]);
      expect(names.filter((n) => /^doomed-[01]\.[0-9a-f]{32}-delete$/.test(n))).toHaveLength(2);
      expect(await admin.createTopics({ topics: [{ topic: 'doomed', numPartitions: 1 }] })).toBe(true);
      expect(await admin.fetchTopicOffsets('doomed')).toEqual([expect.objectContaining({ partition: 0, low: '0', high: '0' })]);
      // the group's committed offsets went with the topic, as in Kafka
      expect(await admin.fetchOffsets({ groupId: 'doomed-group', topics: ['doomed'] })).toEqual([{ topic: 'doomed', partitions: [expect.objectContaining({ partition: 0, offset: '-1' })] }]);
    });
  });

  it('refuses a record 50 years ahead with INVALID_TIMESTAMP (message.timestamp.after.max.ms), and stamps LogAppendTime topics', async () => {
    await withAdmin((admin) =>
      admin.createTopics({
        topics: [
          { topic: 'future', numPartitions: 1 },
          { topic: 'stamped', numPartitions: 1, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] },
        ],
      }),
    );
    await expect(produce('future', 1, { timestamp: String(Date.now() + 50 * YEAR_MS) })).rejects.toMatchObject({ type: 'INVALID_TIMESTAMP' });
    await produce('future', 1, { timestamp: String(Date.now() - 50 * YEAR_MS) }); // before.max.ms is unbounded by default
    const before = Date.now();
    await produce('stamped', 2, { timestamp: '1000' });
    const consumer = kafka.consumer({ groupId: 'stamped-reader' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['stamped'], fromBeginning: true });
    const timestamps: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no records within 30 s')), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          timestamps.push(Number(message.timestamp));
          if (timestamps.length === 2) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    for (const ts of timestamps) {
      expect(ts).toBeGreaterThanOrEqual(before);
      expect(ts).toBeLessThanOrEqual(Date.now());
    }
  });
});
