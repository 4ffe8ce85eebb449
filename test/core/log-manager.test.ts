/** LogConfig keys, topic rules and the data-dir LogManager composed through the inversify container. */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LOG_CONFIG, LogManager, TOKENS, logConfigFrom, parsePartitionDirName, silentLogger, validateTopicName } from '../../core/index.js';
import { composeByName } from '../../engines/compose.js';

describe('LogConfig', () => {
  it("uses Kafka's keys and defaults and names bad keys and values", () => {
    expect(DEFAULT_LOG_CONFIG).toMatchObject({ segmentBytes: 1073741824, indexIntervalBytes: 4096, segmentIndexBytes: 10485760, retentionBytes: -1, retentionMs: 604800000, messageMaxBytes: 1048588 });
    expect(logConfigFrom({ 'segment.bytes': '1000', 'flush.messages': 1, preallocate: 'true' })).toMatchObject({ segmentBytes: 1000, flushMessages: 1, preallocate: true });
    expect(() => logConfigFrom({ 'segment.bytes': '10' })).toThrow(/segment.bytes must be between 14 and/);
    expect(() => logConfigFrom({ 'retention.ms': 'soon' })).toThrow(/retention.ms must be an integer, got "soon"/);
    expect(() => logConfigFrom({ 'segment.byte': '1' })).toThrow(/unknown config key "segment.byte"/);
  });
});

describe('topic names', () => {
  it("enforces Kafka's rules, which also keep names inside the data dir", () => {
    for (const ok of ['a', 'my.topic_1-x', 'x'.repeat(249)]) expect(() => validateTopicName(ok)).not.toThrow();
    for (const bad of ['', '.', '..', '../x', 'a/b', 'a b', 'x'.repeat(250), 'é']) expect(() => validateTopicName(bad)).toThrow(/topic name/);
    expect(parsePartitionDirName('my-topic-12')).toEqual({ topic: 'my-topic', partition: 12 });
    expect(parsePartitionDirName('nodash')).toBeUndefined();
  });
});

describe('LogManager', () => {
  it('opens DATA_DIR/TOPIC-PARTITION logs once, lists them and closes them cleanly', async () => {
    const dataDir = fs.mkdtempSync(join(os.tmpdir(), 'strata-mgr-'));
    const container = await composeByName({ dataDir, engine: 'fsync-group', logger: silentLogger, config: { 'segment.bytes': '4096' } });
    const manager = container.get<LogManager>(TOKENS.LogManager);
    expect(manager.engine.name).toBe('fsync-group');
    const [a, b] = await Promise.all([manager.getOrCreateLog('orders', 0), manager.getOrCreateLog('orders', 0)]);
    expect(a).toBe(b);
    await a.appendRecords([{ value: Buffer.from('x') }]);
    const p3 = await manager.getOrCreateLog('orders', 3, { 'retention.bytes': '100000' });
    expect(p3.config.retentionBytes).toBe(100000);
    expect(p3.config.segmentBytes).toBe(4096);
    expect(manager.partitionsOnDisk()).toEqual([{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 3 }]);
    expect(await manager.getLog('nothing', 0)).toBeUndefined();
    expect(() => manager.getOrCreateLog('../up', 0)).toThrow(/topic name/);
    await manager.close();
    // Kafka's layout: the marker and the checkpoints at the log dir root, not per partition
    expect(fs.existsSync(join(dataDir, '.kafka_cleanshutdown'))).toBe(true);
    expect(fs.existsSync(join(dataDir, 'orders-0', '.kafka_cleanshutdown'))).toBe(false);
    expect(fs.readFileSync(join(dataDir, 'recovery-point-offset-checkpoint'), 'utf8')).toBe('0\n2\norders 0 1\norders 3 0\n');
    expect(fs.readFileSync(join(dataDir, 'log-start-offset-checkpoint'), 'utf8')).toBe('0\n0\n');
    const again = (await composeByName({ dataDir, logger: silentLogger })).get<LogManager>(TOKENS.LogManager);
    expect((await again.getLog('orders', 0))!.logEndOffset).toBe(1);
    await again.close();
  });
});
