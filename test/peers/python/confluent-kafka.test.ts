/**
 * confluent-kafka 2.16.2 for Python (librdkafka 2.16 in its wheel) against `strata serve`
 * (confluent_calls.py): an idempotent producer with every codec (none, gzip, snappy, lz4, zstd),
 * a group consumer that commits, and the admin calls test suites make — list_offsets with
 * OffsetSpec.max_timestamp() (ListOffsets v7), describe_configs (value, source, synonyms),
 * incremental_alter_configs (SET, an unknown key refused),
 * create_partitions (a decrease refused), delete_records (past the high watermark refused),
 * delete_topics (an unknown topic refused) — plus a record 50 years ahead refused and a
 * LogAppendTime topic's records read back with the broker's time.
 *
 * Needs the Python peers (bash test/peers/python/install.sh; .ci/run does it).
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../broker/helpers.js';
import { runProgram } from '../../support/running-program.js';
import { peerPython } from './python-peer.js';

const SCRIPT = join(fileURLToPath(new URL('.', import.meta.url)), 'confluent_calls.py');

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.close();
});

describe('confluent-kafka 2.16.2 (Python)', () => {
  it('produces with every codec idempotently, consumes in a group, and its admin calls get Kafka answers', async () => {
    const lines = await runProgram('confluent_calls.py', peerPython(), [SCRIPT, broker.bootstrap, 'cfk'], { timeoutMs: 180_000 });
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) expect(lines).toContainEqual({ codec, delivered: 10, errors: [] });
    const steps = Object.assign({}, ...lines) as Record<string, unknown>;
    expect(steps).toMatchObject({ consumed: 50, distinct: 50, committed: 50 });
    expect(steps.maxTimestamp).toEqual({ offset: 5, timestamp: 5000 });
    // librdkafka's ConfigSource numbers: 1 DYNAMIC_TOPIC_CONFIG, 5 DEFAULT_CONFIG
    expect(steps.retention).toEqual({ value: '123456', source: 1, synonyms: ['retention.ms=123456 1', 'log.retention.ms=604800000 5'] });
    expect(steps.cleanup).toEqual({ value: 'delete', source: 5 });
    expect(steps.brokerNumPartitions).toBe('1');
    expect(steps).toMatchObject({ altered: 'none', retentionAfter: '99999 1', unknownKey: 'INVALID_CONFIG' });
    expect(steps).toMatchObject({ grown: 'none', partitions: 3, decrease: 'INVALID_PARTITIONS' });
    expect(steps).toMatchObject({ lowWatermark: 4, past: 'OFFSET_OUT_OF_RANGE', earliest: 4 });
    expect(steps).toMatchObject({ future: ['INVALID_TIMESTAMP'], stampedType: true, stampedOk: true });
    expect(steps).toMatchObject({ listed: false, deleteUnknown: 'UNKNOWN_TOPIC_OR_PART' });
    expect(fs.readdirSync(broker.dataDir).filter((n) => /^cfk-main-\d\.[0-9a-f]{32}-delete$/.test(n))).toHaveLength(3);
  });
});
