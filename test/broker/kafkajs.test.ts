/**
 * kafkajs 2.2.4 against the broker: a producer (none and gzip, keys and headers) and a consumer in
 * a group (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, OffsetFetch, OffsetCommit,
 * LeaveGroup), then a second consumer of the same group that resumes after the committed offsets.
 */
import { CompressionTypes, Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, validateSegments, type TestBroker } from './helpers.js';
import { join } from 'node:path';
import { builtinCodecs } from '../../codecs/index.js';

// gzip comes from codecs/ (another branch until merged); without it the broker answers
// UNSUPPORTED_COMPRESSION_TYPE, so the second send is compressed only when gzip is registered
const gzip = builtinCodecs.some((c) => c.name === 'gzip');

let broker: TestBroker;
let kafka: Kafka;
beforeAll(async () => {
  broker = await startTestBroker();
  kafka = new Kafka({ clientId: 'strata-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
});
afterAll(async () => {
  await broker.close();
});

interface Seen {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

async function consumeUntil(consumer: Consumer, topic: string, count: number, timeoutMs = 30_000): Promise<Seen[]> {
  const seen: Seen[] = [];
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  await consumer.run({
    eachMessage: async ({ partition, message }: { partition: number; message: KafkaMessage }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      seen.push({ partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, headers });
      if (seen.length >= count) done();
    },
  });
  const timer = new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`only ${seen.length} of ${count} messages within ${timeoutMs} ms`)), timeoutMs).unref());
  await Promise.race([finished, timer]);
  return seen;
}

describe('kafkajs', () => {
  it('creates a topic, produces with keys and headers, and a group consumer receives everything in order', async () => {
    const topic = 'kafkajs-orders';
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })).toBe(true);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]!.partitions.length).toBe(2);
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: 200 }, (_, i) => ({
      key: `key-${i % 7}`,
      value: `value-${i}`,
      headers: { seq: String(i), source: 'kafkajs' },
      partition: i % 2,
    }));
    await producer.send({ topic, messages: messages.slice(0, 100), acks: -1 });
    await producer.send({ topic, messages: messages.slice(100), acks: 1, compression: gzip ? CompressionTypes.GZIP : CompressionTypes.None });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'g-orders', sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
    await consumer.connect();
    const seen = await consumeUntil(consumer, topic, 200);
    await consumer.disconnect();

    expect(seen.length).toBe(200);
    for (const p of [0, 1]) {
      const mine = seen.filter((s) => s.partition === p);
      expect(mine.map((s) => s.value)).toEqual(messages.filter((m) => m.partition === p).map((m) => m.value));
      expect(mine.map((s) => Number(s.offset))).toEqual(mine.map((_, i) => i));
    }
    for (const s of seen) {
      const i = Number(s.value!.slice('value-'.length));
      expect(s.key).toBe(`key-${i % 7}`);
      expect(s.headers).toEqual({ seq: String(i), source: 'kafkajs' });
    }
    expect(validateSegments(join(broker.dataDir, `${topic}-0`)).batches).toBeGreaterThan(0);
    expect(validateSegments(join(broker.dataDir, `${topic}-1`)).batches).toBeGreaterThan(0);

    // the group committed its offsets: a new member resumes after them and sees only new messages
    const producer2 = kafka.producer();
    await producer2.connect();
    await producer2.send({ topic, messages: [{ key: 'late', value: 'after-commit', partition: 1 }] });
    await producer2.disconnect();
    const admin2 = kafka.admin();
    await admin2.connect();
    const committed = await admin2.fetchOffsets({ groupId: 'g-orders', topics: [topic] });
    await admin2.disconnect();
    expect(committed[0]!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset)).toEqual(['100', '100']);
    const again = kafka.consumer({ groupId: 'g-orders', sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
    await again.connect();
    const resumed = await consumeUntil(again, topic, 1);
    await again.disconnect();
    expect(resumed.map((s) => [s.partition, s.offset, s.value])).toEqual([[1, '100', 'after-commit']]);
  }, 60_000);

  it('two members of one group split the partitions between them', async () => {
    const topic = 'kafkajs-split';
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ value: `m${i}`, partition: i % 4 })) });
    await producer.disconnect();

    const a = kafka.consumer({ groupId: 'g-split', sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 100, rebalanceTimeout: 5_000 });
    const b = kafka.consumer({ groupId: 'g-split', sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 100, rebalanceTimeout: 5_000 });
    const assigned = new Map<string, number[]>();
    for (const [name, c] of [['a', a], ['b', b]] as const) {
      c.on(c.events.GROUP_JOIN, (e) => assigned.set(name, (e.payload.memberAssignment[topic] ?? []).slice().sort()));
      await c.connect();
    }
    const seenA: string[] = [];
    const seenB: string[] = [];
    await a.subscribe({ topics: [topic], fromBeginning: true });
    await b.subscribe({ topics: [topic], fromBeginning: true });
    await a.run({ eachMessage: async ({ message }) => void seenA.push(message.value!.toString()) });
    await b.run({ eachMessage: async ({ message }) => void seenB.push(message.value!.toString()) });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const both = assigned.get('a')?.length && assigned.get('b')?.length;
      if (both && new Set([...seenA, ...seenB]).size === 40) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await Promise.all([a.disconnect(), b.disconnect()]);
    const pa = assigned.get('a') ?? [];
    const pb = assigned.get('b') ?? [];
    expect(pa.length).toBeGreaterThan(0);
    expect(pb.length).toBeGreaterThan(0);
    expect([...pa, ...pb].sort()).toEqual([0, 1, 2, 3]);
    expect(new Set([...seenA, ...seenB]).size).toBe(40);
    expect(broker.server.groups.groupState('g-split')?.members).toBe(0);
  }, 60_000);

  it('answers UNSUPPORTED_COMPRESSION_TYPE for a codec the broker does not know, and keeps serving', async () => {
    // kafkajs has no lz4 codec built in; a batch named lz4 needs a registered codec on the client, so
    // this checks the broker side with what kafkajs can send: gzip when codecs/ lacks it
    if (gzip) return; // covered by the kcat tests for every codec once codecs/ is merged
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    await expect(producer.send({ topic: 'kafkajs-gzip', messages: [{ value: 'x' }], compression: CompressionTypes.GZIP })).rejects.toThrow(/compression type/);
    await producer.send({ topic: 'kafkajs-gzip', messages: [{ value: 'y' }] });
    await producer.disconnect();
  });
});
