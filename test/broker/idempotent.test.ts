/**
 * The idempotent producer against `strata serve`: InitProducerId, duplicates answered with the
 * original offset and written once, out-of-order sequences and fenced epochs refused, the state
 * kept across a restart (snapshot at clean close; rebuilt from the log without one), and a real
 * retry: kafkajs with `idempotent: true` behind a proxy that cuts the first Produce response.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { buildBatch } from '../../core/format/records.js';
import { listSnapshotOffsets, readSnapshotFile } from '../../core/log/producer-snapshot-file.js';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { ErrorCode } from '../../broker/protocol/errors.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { PRODUCER_IDS_FILE, ProducerIdManager } from '../../broker/producer-id-manager.js';
import { CuttingProxy } from './cutting-proxy.js';
import { startTestBroker, tempDir, validateSegments, type TestBroker } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function broker(dataDir: string, extra: Parameters<typeof startTestBroker>[0] = {}): Promise<TestBroker> {
  const b = await startTestBroker({ dataDir, ...extra });
  let closed = false;
  const close = b.close;
  b.close = async () => {
    if (!closed) await close();
    closed = true;
  };
  cleanups.push(() => b.close());
  return b;
}

async function connect(b: TestBroker): Promise<RawKafkaClient> {
  const c = await RawKafkaClient.connect(b.port);
  cleanups.push(() => c.close());
  return c;
}

async function initProducerId(c: RawKafkaClient, version: number): Promise<{ errorCode: number; producerId: number; producerEpoch: number }> {
  const flexible = version >= 2;
  const r = await c.request(
    ApiKey.InitProducerId,
    version,
    (w) => {
      w.nullableStr(null, flexible).int32(60_000);
      if (version >= 3) w.int64(-1).int16(-1);
      w.tags(flexible);
    },
    { flexibleResponse: flexible },
  );
  r.int32(); // throttle
  return { errorCode: r.int16(), producerId: r.int64(), producerEpoch: r.int16() };
}

/** Produce v8 of one batch with producer fields; returns the partition's error code and base offset. */
async function produce(c: RawKafkaClient, topic: string, producerId: number, producerEpoch: number, baseSequence: number, records = 2): Promise<{ errorCode: number; baseOffset: number; message: string | null }> {
  const batch = buildBatch(
    Array.from({ length: records }, (_, i) => ({ value: Buffer.from(`seq-${baseSequence + i}`) })),
    { producerId, producerEpoch, baseSequence },
  );
  const r = await c.request(ApiKey.Produce, 8, (w) => {
    w.nullableString(null).int16(-1).int32(5000).arrayLength(1).string(topic).arrayLength(1).int32(0).nullableBytes(batch);
  });
  r.int32();
  r.string();
  r.int32();
  r.int32();
  const errorCode = r.int16();
  const baseOffset = r.int64();
  r.int64();
  r.int64();
  r.int32(); // record errors
  return { errorCode, baseOffset, message: r.nullableString() };
}

function batchesOnDisk(b: TestBroker, topic: string): number {
  return validateSegments(join(b.dataDir, `${topic}-0`)).batches;
}

describe('InitProducerId', () => {
  it('gives a new producer id with epoch 0 in v0 and flexible v4, never the same one twice, also after a restart', async () => {
    const dir = tempDir('pid');
    let b = await broker(dir);
    let c = await connect(b);
    const first = await initProducerId(c, 0);
    const second = await initProducerId(c, 4);
    expect(first).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    expect(second).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    expect(second.producerId).not.toBe(first.producerId);
    await c.close();
    await b.close();
    b = await broker(dir);
    c = await connect(b);
    const third = await initProducerId(c, 5);
    expect(third.producerId).toBeGreaterThan(second.producerId);
  });
});

describe('ProducerIdManager', () => {
  it('records a block before using it, skips the unused rest of a block after a restart, and names a bad file', () => {
    const dir = tempDir('pids');
    const a = new ProducerIdManager(dir);
    expect([a.generateProducerId(), a.generateProducerId()]).toEqual([0, 1]);
    expect(JSON.parse(fs.readFileSync(join(dir, PRODUCER_IDS_FILE), 'utf8'))).toEqual({ nextBlockStart: 1000 });
    expect(new ProducerIdManager(dir).generateProducerId()).toBe(1000);
    fs.writeFileSync(join(dir, PRODUCER_IDS_FILE), '{"nextBlockStart": -5}');
    expect(() => new ProducerIdManager(dir)).toThrow(`${join(dir, PRODUCER_IDS_FILE)}: nextBlockStart must be a non-negative integer, got -5`);
  });
});

describe('idempotent produce', () => {
  it('answers a duplicate with the original offset and writes it once; refuses gaps (45) and fenced epochs (47)', async () => {
    const b = await broker(tempDir('dup'));
    await b.server.topics.create('idem', 1);
    const c = await connect(b);
    const { producerId } = await initProducerId(c, 4);
    expect(await produce(c, 'idem', producerId, 0, 0)).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await produce(c, 'idem', producerId, 0, 2)).toMatchObject({ errorCode: 0, baseOffset: 2 });
    // retries of both: the offsets they got, nothing written
    expect(await produce(c, 'idem', producerId, 0, 0)).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await produce(c, 'idem', producerId, 0, 2)).toMatchObject({ errorCode: 0, baseOffset: 2 });
    expect(batchesOnDisk(b, 'idem')).toBe(2);
    const gap = await produce(c, 'idem', producerId, 0, 7);
    expect(gap.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(gap.message).toMatch(/out of order sequence number for producer \d+ in idem-0: 7 \(incoming seq\. number\), 3/);
    // a bumped epoch starts at 0; the old epoch is fenced from then on
    expect(await produce(c, 'idem', producerId, 1, 0)).toMatchObject({ errorCode: 0, baseOffset: 4 });
    expect((await produce(c, 'idem', producerId, 0, 4)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(batchesOnDisk(b, 'idem')).toBe(3);
    // a producer without ids is untouched by all this
    expect(await produce(c, 'idem', -1, -1, -1)).toMatchObject({ errorCode: 0, baseOffset: 6 });
  });

  it('keeps the state across a clean restart (a snapshot at the log end) and an unclean one (rebuilt from the log)', async () => {
    const dir = tempDir('restart');
    let b = await broker(dir);
    await b.server.topics.create('idem', 1);
    let c = await connect(b);
    const { producerId } = await initProducerId(c, 4);
    for (let seq = 0; seq < 10; seq += 2) await produce(c, 'idem', producerId, 0, seq);
    await c.close();
    await b.close();
    const partitionDir = join(dir, 'idem-0');
    expect(listSnapshotOffsets(partitionDir)).toEqual([10]);
    expect(fs.existsSync(join(dir, '.kafka_cleanshutdown'))).toBe(true); // Kafka's place: the log dir root
    expect(readSnapshotFile(join(partitionDir, '00000000000000000010.snapshot'))).toMatchObject([{ producerId, epoch: 0, lastSequence: 9, lastOffset: 9, offsetDelta: 1 }]);

    b = await broker(dir);
    c = await connect(b);
    expect(await produce(c, 'idem', producerId, 0, 8)).toMatchObject({ errorCode: 0, baseOffset: 8 });
    expect((await produce(c, 'idem', producerId, 0, 12)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(batchesOnDisk(b, 'idem')).toBe(5);
    await c.close();
    await b.close();

    // no snapshot (as after a crash before any was written): the state comes from the batches
    for (const name of fs.readdirSync(partitionDir)) if (name.endsWith('.snapshot')) fs.rmSync(join(partitionDir, name));
    b = await broker(dir);
    c = await connect(b);
    expect(await produce(c, 'idem', producerId, 0, 6)).toMatchObject({ errorCode: 0, baseOffset: 6 });
    expect(await produce(c, 'idem', producerId, 0, 10)).toMatchObject({ errorCode: 0, baseOffset: 10 });
    expect(batchesOnDisk(b, 'idem')).toBe(6);
  });

  it('writes a snapshot at each roll: the state before the segment', async () => {
    const b = await broker(tempDir('roll'), { config: { 'segment.bytes': '300' } });
    await b.server.topics.create('idem', 1);
    const c = await connect(b);
    const { producerId } = await initProducerId(c, 4);
    for (let seq = 0; seq < 20; seq += 2) expect((await produce(c, 'idem', producerId, 0, seq)).errorCode).toBe(0);
    const partitionDir = join(b.dataDir, 'idem-0');
    const bases = fs.readdirSync(partitionDir).filter((n) => n.endsWith('.log')).map((n) => Number(n.slice(0, 20)));
    expect(bases.length).toBeGreaterThan(2);
    const snapshots = listSnapshotOffsets(partitionDir);
    expect(snapshots).toEqual(bases.slice(1));
    for (const offset of snapshots) {
      const [entry] = readSnapshotFile(join(partitionDir, `${String(offset).padStart(20, '0')}.snapshot`));
      expect(entry).toMatchObject({ producerId, lastOffset: offset - 1, lastSequence: offset - 1 });
    }
  });
});

describe('a real retry (kafkajs idempotent producer)', () => {
  it('the response to a written batch is lost, kafkajs sends it again, the log holds it once', async () => {
    const proxy = await CuttingProxy.start();
    cleanups.push(() => proxy.close());
    const b = await broker(tempDir('retry'), { advertisedPort: proxy.port });
    proxy.targetPort = b.port;
    await b.server.topics.create('retried', 1);
    const kafka = new Kafka({ clientId: 'strata-idem', brokers: [`127.0.0.1:${proxy.port}`], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    proxy.cutsLeft = 1;
    const [first] = await producer.send({ topic: 'retried', acks: -1, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    expect(proxy.cuts).toBe(1);
    const [second] = await producer.send({ topic: 'retried', acks: -1, messages: [{ value: 'd' }] });
    expect(first!.baseOffset).toBe('0');
    expect(second!.baseOffset).toBe('3');
    expect(b.lines.some((l) => /duplicate of the batch at offsets 0-2 \(a retry\), not written again/.test(l))).toBe(true);
    const log = (await b.server.topics.log('retried', 0))!;
    const values = (await log.readBatches(0, 1 << 20)).flatMap((batch) => batch.records.map((r) => r.value!.toString()));
    expect(values).toEqual(['a', 'b', 'c', 'd']);
  });
});
