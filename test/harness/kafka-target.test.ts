/** The harness target: kcat and kafkajs workloads against kafka://127.0.0.1:PORT of an in-process broker. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKafkaUrl, recordValue, runKafkaTarget } from '../../harness/clients/kafka-target.js';
import { startTestBroker, type TestBroker } from '../broker/helpers.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker.close();
});

describe('kafka target', () => {
  it('parses kafka:// URLs and refuses anything else', () => {
    expect(parseKafkaUrl('kafka://127.0.0.1:9092')).toEqual({ host: '127.0.0.1', port: 9092, bootstrap: '127.0.0.1:9092' });
    expect(() => parseKafkaUrl('http://127.0.0.1:9092')).toThrow(/not kafka:\/\/HOST:PORT/);
    expect(() => parseKafkaUrl('kafka://127.0.0.1:99999')).toThrow(/not kafka:\/\/HOST:PORT/);
    expect(recordValue(5, 100)).toHaveLength(100);
  });

  it('kcat: produces, reads everything back, and measures end-to-end latency at a fixed rate', async () => {
    const r = await runKafkaTarget({ url: `kafka://${broker.bootstrap}`, topic: 'target-kcat', records: 4000, recordBytes: 100, consume: true, endToEndRatePerSecond: 2000 });
    expect(r.consumedRecords).toBe(4000);
    expect(r.produceRecordsPerSecond).toBeGreaterThan(0);
    expect(r.endToEnd!.samples).toBe(4000);
    expect(r.endToEnd!.p50Ms).toBeGreaterThan(0);
    expect(r.endToEnd!.p50Ms).toBeLessThanOrEqual(r.endToEnd!.p99Ms);
  }, 60_000);

  it('kafkajs: produces and a group consumer reads everything back', async () => {
    const r = await runKafkaTarget({ url: `kafka://${broker.bootstrap}`, topic: 'target-kafkajs', records: 3000, recordBytes: 50, client: 'kafkajs', consume: true, acks: -1 });
    expect(r.consumedRecords).toBe(3000);
    await expect(runKafkaTarget({ url: `kafka://${broker.bootstrap}`, topic: 'x', records: 1, recordBytes: 50, client: 'kafkajs', codec: 'lz4' })).rejects.toThrow(/only none and gzip/);
  }, 60_000);
});
