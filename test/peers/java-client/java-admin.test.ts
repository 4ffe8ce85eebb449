/**
 * Kafka's Java AdminClient and producer (kafka-clients 4.1.1, default settings) making the admin
 * calls test suites make against `strata serve`: listOffsets with OffsetSpec.maxTimestamp() (v7)
 * and earliestLocal() (v8), describeConfigs of a topic (value, source, synonyms) and the broker,
 * createPartitions (a decrease refused), deleteRecords (past the high watermark refused),
 * deleteTopics (an unknown topic refused), a record 50 years ahead refused, a LogAppendTime
 * topic's time in the producer's RecordMetadata; incrementalAlterConfigs (SET, DELETE, APPEND on a
 * non-list key refused, broker configs refused).
 *
 * Needs Java 17 and the Kafka peer's jars (`npm run peer:kafka`); run alone with
 *   npx vitest run test/peers/java-client/java-admin.test.ts
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../broker/helpers.js';
import { javaLines } from './kafka-lib.js';

const SOURCE = join(fileURLToPath(new URL('.', import.meta.url)), 'JavaAdminCalls.java');

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.close();
});

describe('kafka-clients 4.1.1 AdminClient', () => {
  it('maxTimestamp, describeConfigs, createPartitions, deleteRecords, deleteTopics and the timestamp configs work with Kafka semantics', async () => {
    const steps = Object.assign({}, ...(await javaLines(SOURCE, [broker.bootstrap, 'jadmin'], 180_000))) as Record<string, unknown>;
    expect(steps.maxTimestamp).toEqual({ offset: 5, timestamp: 5000 });
    expect(steps.retention).toEqual({ value: '123456', source: 'DYNAMIC_TOPIC_CONFIG', synonyms: ['retention.ms=123456 DYNAMIC_TOPIC_CONFIG', 'log.retention.ms=604800000 DEFAULT_CONFIG'] });
    expect(steps.cleanup).toEqual({ value: 'delete', source: 'DEFAULT_CONFIG', type: 'LIST' });
    expect(steps.brokerNumPartitions).toBe('1');
    expect(steps.unknownTopicConfigs).toBe('UnknownTopicOrPartitionException');
    expect(steps.altered).toEqual({ retention: '99999 DYNAMIC_TOPIC_CONFIG', maxMessageBytes: '2000000' });
    expect(steps.reverted).toEqual({ retention: '99999', maxMessageBytes: '1048588 DEFAULT_CONFIG' });
    expect(steps).toMatchObject({ append: 'InvalidConfigurationException', unknownKey: 'InvalidConfigurationException', brokerAlter: 'InvalidRequestException' });
    expect(steps).toMatchObject({ partitions: 3, decrease: 'InvalidPartitionsException', unknown: 'UnknownTopicOrPartitionException' });
    expect(steps).toMatchObject({ lowWatermark: 4, past: 'OffsetOutOfRangeException', earliest: 4, earliestLocal: 4 });
    expect(steps).toMatchObject({ future: 'InvalidTimestampException', logAppendTimeOk: true });
    expect(steps).toMatchObject({ deletedListed: false, deleteUnknown: 'UnknownTopicOrPartitionException' });
    expect(fs.readdirSync(broker.dataDir).filter((n) => /^jadmin-main-\d\.[0-9a-f]{32}-delete$/.test(n))).toHaveLength(3);
  });
});
