/**
 * acks=-1 answers only after a flush that covers the batch (the log's recovery point, written by
 * Log.flush, has passed it when the response arrives); acks=1 does not wait for one; concurrent
 * acks=-1 producers share flushes instead of one each.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBatch } from '../../core/format/records.js';
import { FlushCoalescer } from '../../broker/flush-coalescer.js';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { startTestBroker, type TestBroker } from './helpers.js';

let broker: TestBroker;
let client: RawKafkaClient;

async function produce(topic: string, acks: number, records: number): Promise<number> {
  const batch = buildBatch(Array.from({ length: records }, (_, i) => ({ value: Buffer.from(`r${i}`) })));
  const r = await client.request(ApiKey.Produce, 7, (w) => {
    w.nullableString(null).int16(acks).int32(5000).arrayLength(1).string(topic).arrayLength(1).int32(0).nullableBytes(batch);
  });
  r.int32();
  r.string();
  r.int32();
  r.int32();
  expect(r.int16()).toBe(0);
  return r.int64();
}

/** The partition's recovery point: offsets below it were flushed. */
async function recoveryPoint(topic: string): Promise<number> {
  return (await broker.server.topics.log(topic, 0))!.recoveryPoint;
}

beforeAll(async () => {
  broker = await startTestBroker();
  client = await RawKafkaClient.connect(broker.port);
  await broker.server.topics.create('acks-all', 1);
  await broker.server.topics.create('acks-one', 1);
});
afterAll(async () => {
  await client.close();
  await broker.close();
});

describe('acks', () => {
  it('acks=-1: the response comes after a flush past the batch', async () => {
    for (let i = 0; i < 5; i++) {
      const base = await produce('acks-all', -1, 10);
      expect(await recoveryPoint('acks-all')).toBeGreaterThanOrEqual(base + 10);
    }
  });

  it('acks=1: no flush is waited for (flush.messages and flush.ms are unbounded by default)', async () => {
    await produce('acks-one', 1, 10);
    const base = await produce('acks-one', 1, 10);
    expect(await recoveryPoint('acks-one')).toBeLessThan(base + 10);
  });

  it('concurrent flushes of one log share runs: at most one running and one queued', async () => {
    const log = (await broker.server.topics.log('acks-all', 0))!;
    const flusher = new FlushCoalescer();
    await Promise.all(Array.from({ length: 50 }, () => flusher.flush(log)));
    expect(flusher.flushes).toBeGreaterThanOrEqual(1);
    expect(flusher.flushes).toBeLessThanOrEqual(2);
    // a flush asked for after the last one finished starts a new one
    await flusher.flush(log);
    expect(flusher.flushes).toBeLessThanOrEqual(3);
  });
});
