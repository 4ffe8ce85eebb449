/**
 * Retention runs by itself in `strata serve` (issue 13.9): every log.retention.check.interval.ms
 * the LogManager applies retention.bytes / retention.ms to every open log, as Kafka does; and
 * partitions on disk are opened (recovered) at startup with their topic's configs, so retention
 * covers them before anyone produces to them.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { buildBatch } from '../../core/format/records.js';
import { startTestBroker, tempDir, type TestBroker } from './helpers.js';

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

async function produce(client: RawKafkaClient, topic: string, batches: number): Promise<void> {
  for (let i = 0; i < batches; i++) {
    const batch = buildBatch(Array.from({ length: 10 }, (_, j) => ({ value: Buffer.alloc(200, i + j) })));
    const r = await client.request(ApiKey.Produce, 7, (w) => {
      w.nullableString(null).int16(1).int32(5000).arrayLength(1).string(topic).arrayLength(1).int32(0).nullableBytes(batch);
    });
    r.int32();
    r.string();
    r.int32();
    r.int32();
    expect(r.int16()).toBe(0);
  }
}

const segmentsOf = (dataDir: string, topic: string) => fs.readdirSync(join(dataDir, `${topic}-0`)).filter((n) => n.endsWith('.log')).length;

async function until(what: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!what() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return what();
}

describe('retention in strata serve', () => {
  // retention.ms, not retention.bytes: a roll applies retention too, so only time passing with no
  // append at all shows the scheduler at work
  it('deletes segments past retention.ms on its schedule, with no append or call from anyone', async () => {
    broker = await startTestBroker({ config: { 'log.retention.check.interval.ms': '200', 'file.delete.delay.ms': '0' } });
    await broker.server.topics.create('kept', 1, { 'segment.bytes': '16384', 'retention.ms': '1500' });
    const client = await RawKafkaClient.connect(broker.port);
    await produce(client, 'kept', 60); // ~130 KB in ~16 KiB segments
    await client.close();
    const log = (await broker.server.topics.log('kept', 0))!;
    const segmentsBefore = log.segmentCount;
    expect(segmentsBefore).toBeGreaterThan(4);
    // only the active segment stays once every closed one is older than retention.ms
    expect(await until(() => log.segmentCount === 1, 8000)).toBe(true);
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(await until(() => segmentsOf(broker!.dataDir, 'kept') === 1, 5000)).toBe(true);
  });

  it('a partition on disk is opened at startup with its topic configs, and retention covers it untouched', async () => {
    const dataDir = tempDir('retention');
    broker = await startTestBroker({ dataDir, config: { 'log.retention.check.interval.ms': '100000' } });
    await broker.server.topics.create('old', 1, { 'segment.bytes': '16384', 'retention.ms': '1500' });
    const client = await RawKafkaClient.connect(broker.port);
    await produce(client, 'old', 60);
    await client.close();
    const before = segmentsOf(dataDir, 'old');
    expect(before).toBeGreaterThan(4);
    await broker.close();
    await new Promise((r) => setTimeout(r, 1600));
    // a restart with a short interval: nobody produces to or fetches from `old`
    broker = await startTestBroker({ dataDir, config: { 'log.retention.check.interval.ms': '200', 'file.delete.delay.ms': '0' } });
    expect(await until(() => segmentsOf(dataDir, 'old') === 1, 5000)).toBe(true);
    // the topic's own segment.bytes came back with it (opened with its configs, not the defaults)
    expect((await broker.server.topics.log('old', 0))!.config.segmentBytes).toBe(16384);
  });
});
