/**
 * Fetch at the frame level (Fetch v11 and v4, through RawKafkaClient): from offsets in the middle of
 * a batch and of a segment, across segment boundaries (segment.bytes small), at the log end (the
 * request waits up to max.wait.ms, or returns as soon as a produce arrives), and beyond it
 * (OFFSET_OUT_OF_RANGE). The record bytes come back as whole valid batches.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBatch } from '../../core/format/records.js';
import { buildBatch } from '../../core/format/records.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { ErrorCode } from '../../broker/protocol/errors.js';
import type { KafkaReader } from '../../broker/protocol/reader.js';
import { startTestBroker, type TestBroker } from './helpers.js';

let broker: TestBroker;
let client: RawKafkaClient;
const TOPIC = 'fetch-topic';
const BATCHES = 40;
const PER_BATCH = 10;

async function produce(c: RawKafkaClient, topic: string, batch: Buffer, acks = 1): Promise<{ errorCode: number; baseOffset: number }> {
  const r = await c.request(ApiKey.Produce, 7, (w) => {
    w.nullableString(null).int16(acks).int32(5000);
    w.arrayLength(1).string(topic).arrayLength(1).int32(0).nullableBytes(batch);
  });
  r.int32(); // topics
  r.string();
  r.int32(); // partitions
  r.int32();
  const errorCode = r.int16();
  const baseOffset = r.int64();
  return { errorCode, baseOffset };
}

interface FetchResult {
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  records: Buffer | null;
}

function readFetchV11(r: KafkaReader): FetchResult {
  r.int32(); // throttle
  expect(r.int16()).toBe(0);
  r.int32(); // session
  expect(r.int32()).toBe(1);
  r.string();
  expect(r.int32()).toBe(1);
  r.int32();
  const errorCode = r.int16();
  const highWatermark = r.int64();
  r.int64(); // last stable
  const logStartOffset = r.int64();
  r.nullableArray((r) => [r.int64(), r.int64()]);
  r.int32(); // preferred read replica
  const records = r.nullableBytes();
  r.expectEnd('fetch response');
  return { errorCode, highWatermark, logStartOffset, records };
}

async function fetch(c: RawKafkaClient, offset: number, opts: { maxWaitMs?: number; minBytes?: number; maxBytes?: number; topic?: string } = {}): Promise<FetchResult> {
  const r = await c.request(ApiKey.Fetch, 11, (w) => {
    w.int32(-1).int32(opts.maxWaitMs ?? 0).int32(opts.minBytes ?? 1).int32(opts.maxBytes ?? 1 << 20).int8(0).int32(0).int32(-1);
    w.arrayLength(1).string(opts.topic ?? TOPIC).arrayLength(1).int32(0).int32(-1).int64(offset).int64(-1).int32(opts.maxBytes ?? 1 << 20);
    w.arrayLength(0).string('');
  });
  return readFetchV11(r);
}

async function offsetsIn(records: Buffer | null): Promise<number[]> {
  const out: number[] = [];
  if (!records) return out;
  let p = 0;
  while (p < records.length) {
    const b = await decodeBatch(records, p);
    for (const rec of b.records) {
      expect(rec.value!.toString()).toBe(`v${rec.offset}`);
      out.push(rec.offset);
    }
    p += b.sizeBytes;
  }
  return out;
}

beforeAll(async () => {
  // small segments: each holds a few batches, so reads cross segment boundaries
  broker = await startTestBroker({ config: { 'segment.bytes': '1024' } });
  client = await RawKafkaClient.connect(broker.port);
  const created = await client.request(ApiKey.CreateTopics, 3, (w) => {
    w.arrayLength(1).string(TOPIC).int32(1).int16(1).arrayLength(0).arrayLength(0).int32(5000).bool(false);
  });
  created.int32();
  created.int32();
  expect(created.string()).toBe(TOPIC);
  expect(created.int16()).toBe(ErrorCode.NONE);
  for (let b = 0; b < BATCHES; b++) {
    const records = Array.from({ length: PER_BATCH }, (_, i) => ({ value: Buffer.from(`v${b * PER_BATCH + i}`) }));
    const res = await produce(client, TOPIC, buildBatch(records));
    expect(res).toEqual({ errorCode: 0, baseOffset: b * PER_BATCH });
  }
});
afterAll(async () => {
  await client.close();
  await broker.close();
});

describe('Fetch', () => {
  it('wrote several segments', () => {
    const segments = fs.readdirSync(join(broker.dataDir, `${TOPIC}-0`)).filter((n) => n.endsWith('.log'));
    expect(segments.length).toBeGreaterThan(3);
  });

  it('from an offset in the middle of a batch returns that whole batch onwards', async () => {
    const res = await fetch(client, 123, { maxBytes: 300 });
    expect(res.errorCode).toBe(0);
    expect(res.highWatermark).toBe(BATCHES * PER_BATCH);
    const offsets = await offsetsIn(res.records);
    expect(offsets[0]).toBe(120); // the batch holding 123 starts at 120; clients skip what they did not ask for
    expect(offsets).toContain(123);
  });

  it('reads across segment boundaries, every offset once, in order', async () => {
    const all: number[] = [];
    let next = 0;
    while (next < BATCHES * PER_BATCH) {
      const res = await fetch(client, next, { maxBytes: 700 });
      expect(res.errorCode).toBe(0);
      const offsets = (await offsetsIn(res.records)).filter((o) => o >= next);
      expect(offsets.length).toBeGreaterThan(0);
      all.push(...offsets);
      next = offsets[offsets.length - 1]! + 1;
    }
    expect(all).toEqual(Array.from({ length: BATCHES * PER_BATCH }, (_, i) => i));
    const one = await fetch(client, 0, { maxBytes: 64 * 1024 });
    const many = await offsetsIn(one.records);
    expect(many.length).toBe(BATCHES * PER_BATCH); // one fetch spanning every segment
  });

  it('returns at least one whole batch even when it is larger than maxBytes (KIP-74)', async () => {
    const res = await fetch(client, 0, { maxBytes: 10 });
    expect((await offsetsIn(res.records)).length).toBe(PER_BATCH);
  });

  it('at the log end waits max.wait.ms and returns empty', async () => {
    const t0 = Date.now();
    const res = await fetch(client, BATCHES * PER_BATCH, { maxWaitMs: 400 });
    const waitedMs = Date.now() - t0;
    expect(res.errorCode).toBe(0);
    expect(res.records?.length ?? 0).toBe(0);
    expect(waitedMs).toBeGreaterThanOrEqual(380);
  });

  it('at the log end returns as soon as a produce arrives', async () => {
    const other = await RawKafkaClient.connect(broker.port);
    const end = BATCHES * PER_BATCH;
    const t0 = Date.now();
    const pending = fetch(client, end, { maxWaitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    const produced = await produce(other, TOPIC, buildBatch([{ value: Buffer.from(`v${end}`) }]));
    expect(produced.baseOffset).toBe(end);
    const res = await pending;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await offsetsIn(res.records)).toEqual([end]);
    await other.close();
  });

  it('beyond the log end (and for an unknown partition) answers with the error for that partition', async () => {
    const beyond = await fetch(client, 1_000_000, { maxWaitMs: 1000 });
    expect(beyond.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const negative = await fetch(client, -5);
    expect(negative.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const unknown = await fetch(client, 0, { topic: 'no-such-topic' });
    expect(unknown.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('Fetch v4 (the oldest served: no session fields, no log start offset) reads the same batches', async () => {
    const r = await client.request(ApiKey.Fetch, 4, (w) => {
      w.int32(-1).int32(0).int32(1).int32(1 << 20).int8(0);
      w.arrayLength(1).string(TOPIC).arrayLength(1).int32(0).int64(50).int32(1 << 20);
    });
    r.int32(); // throttle
    expect(r.int32()).toBe(1);
    expect(r.string()).toBe(TOPIC);
    expect(r.int32()).toBe(1);
    expect(r.int32()).toBe(0);
    expect(r.int16()).toBe(0);
    expect(r.int64()).toBe(BATCHES * PER_BATCH + 1);
    r.int64(); // last stable offset
    expect(r.nullableArray((r) => [r.int64(), r.int64()])).toEqual([]);
    const records = r.nullableBytes();
    r.expectEnd('Fetch v4 response');
    const offsets = await offsetsIn(records);
    expect(offsets[0]).toBe(50);
    expect(offsets.at(-1)).toBe(BATCHES * PER_BATCH);
  });

  it('ListOffsets finds earliest, latest and by timestamp', async () => {
    const list = async (version: number, timestamp: number) => {
      const r = await client.request(ApiKey.ListOffsets, version, (w) => {
        w.int32(-1);
        if (version >= 2) w.int8(0);
        w.arrayLength(1).string(TOPIC).arrayLength(1).int32(0);
        if (version >= 4) w.int32(-1);
        w.int64(timestamp);
        if (version === 0) w.int32(1);
      });
      if (version >= 2) r.int32();
      r.int32();
      r.string();
      r.int32();
      r.int32();
      const errorCode = r.int16();
      if (version === 0) return { errorCode, offset: r.array((r) => r.int64())[0] };
      const ts = r.int64();
      return { errorCode, ts, offset: r.int64() };
    };
    expect((await list(1, -2)).offset).toBe(0);
    expect((await list(5, -1)).offset).toBe(BATCHES * PER_BATCH + 1);
    expect((await list(0, -1)).offset).toBe(BATCHES * PER_BATCH + 1);
    const t = Date.now();
    const future = await list(2, t + 3_600_000);
    expect(future).toEqual({ errorCode: 0, ts: -1, offset: -1 });
    const past = await list(2, 1);
    expect(past.offset).toBe(0);
  });
});

describe('Fetch through the buffered transfer with the user-lru cache', () => {
  it('is served from the cache on a re-read: the header scans and the transfer hit, nothing more is read', async () => {
    const cached = await startTestBroker({ transfer: 'buffered', cache: 'user-lru' });
    const c = await RawKafkaClient.connect(cached.port);
    try {
      const topic = 'cached-fetch';
      await cached.server.topics.create(topic, 1);
      // ~200 KiB in one segment: more than a header scan's 64 KiB window, so only the transfer's
      // own reads can bring the whole of it into the cache
      for (let b = 0; b < 20; b++) {
        const records = Array.from({ length: 10 }, (_, i) => ({ value: Buffer.from(`v${b * 10 + i}-${'x'.repeat(1000)}`) }));
        expect((await produce(c, topic, buildBatch(records))).errorCode).toBe(0);
      }
      const cache = cached.server.topics.logs.cache;
      const logBytes = (await cached.server.topics.log(topic, 0))!.sizeBytes;
      expect(cache.stats()).toEqual({ hits: 0, misses: 0, bytes: 0 }); // appends are not copied in
      const values = async (records: Buffer | null) => {
        const out: string[] = [];
        for (let p = 0; records && p < records.length; ) {
          const batch = await decodeBatch(records, p);
          out.push(...batch.records.map((r) => r.value!.toString().split('-')[0]!));
          p += batch.sizeBytes;
        }
        return out;
      };
      const expected = Array.from({ length: 200 }, (_, i) => `v${i}`);
      const first = await fetch(c, 0, { topic });
      expect(await values(first.records)).toEqual(expected);
      const afterFirst = cache.stats();
      expect(afterFirst.misses).toBeGreaterThan(0);
      expect(afterFirst.bytes).toBe(logBytes); // the transfer kept what it read past the scan's window
      const second = await fetch(c, 0, { topic });
      expect(second.records!.equals(first.records!)).toBe(true);
      const afterSecond = cache.stats();
      expect(afterSecond.misses).toBe(afterFirst.misses); // no read of the file at all
      expect(afterSecond.hits - afterFirst.hits).toBeGreaterThanOrEqual(2); // the scan's window and the transfer's
    } finally {
      await c.close();
      await cached.close();
    }
  });
});
