/**
 * @platformatic/kafka 2.12.1 on Node 24 (test/peers/node24) against `strata serve`
 * (platformatic-calls.mjs): an idempotent producer with every codec (none, gzip, snappy, lz4,
 * zstd), a group consumer that commits (listConsumerGroupOffsets reads it back), and its admin
 * calls — listOffsets with -3 (max timestamp), describeConfigs (value, source, synonyms) of a topic
 * and the broker, incrementalAlterConfigs / alterConfigs, createPartitions (a decrease refused), deleteRecords (past the high watermark
 * refused), deleteTopics (an unknown topic refused) — plus a record 50 years ahead refused and a
 * LogAppendTime topic stamped by the broker.
 *
 * Needs Node 24 and the client (bash test/peers/node24/install.sh; .ci/run does it).
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBatchHeader, timestampTypeOf } from '../../../core/format/record-batch.js';
import { startTestBroker, type TestBroker } from '../../broker/helpers.js';
import { runProgram } from '../../support/running-program.js';
import { NODE24_DIR, node24 } from './node24.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.close();
});

describe('@platformatic/kafka 2.12.1 (Node 24)', () => {
  it('produces with every codec idempotently, consumes in a group, and its admin calls get Kafka answers', async () => {
    const lines = await runProgram('platformatic-calls.mjs', node24(), [join(NODE24_DIR, 'platformatic-calls.mjs'), broker.bootstrap, 'pfk'], { timeoutMs: 180_000 });
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) expect(lines).toContainEqual({ codec, offsets: 1 });
    const steps = Object.assign({}, ...lines) as Record<string, unknown>;
    expect(steps).toMatchObject({ consumed: 50, distinct: 50 });
    expect(steps.committed).toEqual([{ groupId: 'pfk-group', topics: [{ name: 'pfk-main', partitions: [expect.objectContaining({ partitionIndex: 0, committedOffset: 50 })] }] }]);
    expect(steps.maxTimestamp).toEqual({ offset: 5, timestamp: 5000 });
    expect(steps.retention).toEqual({ value: '123456', source: 1, synonyms: ['retention.ms=123456 1', 'log.retention.ms=604800000 5'] });
    expect(steps.brokerNumPartitions).toBe('1');
    expect(steps).toMatchObject({ altered: ['none'], retentionAfter: '99999 1', unknownKey: ['INVALID_CONFIG'] });
    expect(steps).toMatchObject({ grown: ['none'], decrease: ['INVALID_PARTITIONS'] });
    expect(steps).toMatchObject({ lowWatermark: 4, past: ['OFFSET_OUT_OF_RANGE'], earliest: 4 });
    expect(steps).toMatchObject({ future: ['INVALID_TIMESTAMP'], stampedSeen: 1000 });
    expect(steps).toMatchObject({ listed: false, deleteUnknown: ['UNKNOWN_TOPIC_OR_PARTITION'] });
    // the client shows the producer's timestamp; the log holds the broker's stamp
    const stamped = await (await broker.server.topics.log('pfk-stamped', 0))!.read(0, 1 << 20);
    const batch = await (await broker.server.topics.log('pfk-stamped', 0))!.readSlice(stamped.slices[0]!);
    expect(timestampTypeOf(readBatchHeader(batch, 0).attributes)).toBe('LogAppendTime');
    expect(readBatchHeader(batch, 0).maxTimestamp).toBeGreaterThan(Date.now() - 120_000);
    expect(fs.readdirSync(broker.dataDir).filter((n) => /^pfk-main-\d\.[0-9a-f]{32}-delete$/.test(n))).toHaveLength(3);
  });
});
