/**
 * Kafka's Java client (kafka-clients 4.1.1) and Kafka's own tools against `strata serve`, with
 * their defaults: an AdminClient (createTopics, describeTopics, listOffsets), a producer with no
 * settings but the bootstrap (acks=all, enable.idempotence=true: InitProducerId and sequences), a
 * classic-protocol group consumer, the producer retrying through a proxy that cuts a Produce
 * response, and ProducerPerformance / ConsumerPerformance / EndToEndLatency.
 *
 * Needs Java 17 and the Kafka peer's jars (`npm run peer:kafka`); run alone with
 *   npx vitest run test/peers/java-client/java-client.test.ts
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPPORTED_APIS, apiName } from '../../../broker/protocol/api-keys.js';
import { OFFSETS_FILE } from '../../../broker/offset-store.js';
import { CuttingProxy } from '../../broker/cutting-proxy.js';
import { startTestBroker, type TestBroker } from '../../broker/helpers.js';
import { encodeSnapshot, readSnapshotFile, writeSnapshotFile } from '../../../core/log/producer-snapshot-file.js';
import { ProducerStateManager } from '../../../core/log/producer-state-manager.js';
import { tempDir } from '../../broker/helpers.js';
import { KAFKA_SNAPSHOT_SOURCE, javaClient, runJava } from './kafka-lib.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.close();
});

async function recordsInLog(topic: string, partition: number): Promise<{ records: number; idempotentBatches: number; batches: number }> {
  const log = (await broker.server.topics.log(topic, partition))!;
  const batches = await log.readBatches(0, 64 << 20);
  return {
    records: batches.reduce((n, b) => n + b.records.length, 0),
    idempotentBatches: batches.filter((b) => b.header.producerId >= 0 && b.header.baseSequence >= 0).length,
    batches: batches.length,
  };
}

describe('kafka-clients 4.1.1', () => {
  it('every API strata advertises overlaps the versions the 4.1 client sends (KIP-896 dropped the oldest)', async () => {
    const client = new Map((await javaClient(['versions', '-'])).map((v) => [v.apiKey as number, v as { min: number; max: number }]));
    for (const api of SUPPORTED_APIS) {
      const c = client.get(api.apiKey);
      expect(c, apiName(api.apiKey)).toBeDefined();
      expect(Math.min(api.maxVersion, c!.max) >= Math.max(api.minVersion, c!.min), `${apiName(api.apiKey)}: strata v${api.minVersion}-${api.maxVersion}, client v${c!.min}-${c!.max}`).toBe(true);
    }
  });

  it('AdminClient creates, describes and lists offsets; a default producer is idempotent; a classic group consumer gets everything', async () => {
    const [described, again, earliest, latest] = await javaClient(['admin', broker.bootstrap, 'java-orders', '3']);
    expect(described).toEqual({ described: 'java-orders', partitions: 3, leaders: [0, 0, 0] });
    expect(again).toEqual({ again: 'TopicExistsException' });
    expect(earliest).toEqual({ earliest: [0, 0, 0] });
    expect(latest).toEqual({ latest: [0, 0, 0] });

    const [produced] = await javaClient(['produce', broker.bootstrap, 'java-orders', '3000']);
    expect(produced!.acked).toBe(3000);
    let total = 0;
    for (let p = 0; p < 3; p++) {
      const onDisk = await recordsInLog('java-orders', p);
      total += onDisk.records;
      // enable.idempotence defaults to true: every batch carries a producer id and a sequence
      expect(onDisk.idempotentBatches).toBe(onDisk.batches);
      expect((produced!.lastOffsets as Record<string, number>)[String(p)]).toBe(onDisk.records - 1);
    }
    expect(total).toBe(3000);
    expect(broker.lines.some((l) => /InitProducerId/.test(l) && /refused/.test(l))).toBe(false);

    const [consumed] = await javaClient(['consume', broker.bootstrap, 'java-orders', 'java-group', '3000']);
    expect(consumed).toEqual({ received: 3000, distinct: 3000, assigned: 3 });
    const committed = JSON.parse(fs.readFileSync(join(broker.dataDir, OFFSETS_FILE), 'utf8')) as Record<string, Record<string, Record<string, { offset: number }>>>;
    const offsets = Object.values(committed['java-group']!['java-orders']!).map((o) => o.offset);
    expect(offsets.reduce((a, b) => a + b, 0)).toBe(3000);
  });

  it('a default producer whose Produce response is lost retries, and the log holds each record once', async () => {
    const proxy = await CuttingProxy.start();
    const behind = await startTestBroker({ advertisedPort: proxy.port });
    proxy.targetPort = behind.port;
    try {
      await behind.server.topics.create('java-retried', 1);
      proxy.cutsLeft = 1;
      const [produced] = await javaClient(['produce', `127.0.0.1:${proxy.port}`, 'java-retried', '500']);
      expect(produced!.acked).toBe(500);
      expect(proxy.cuts).toBe(1);
      expect(behind.lines.some((l) => /duplicate of the batch at offsets \d+-\d+ \(a retry\), not written again/.test(l))).toBe(true);
      const log = (await behind.server.topics.log('java-retried', 0))!;
      const values = (await log.readBatches(0, 64 << 20)).flatMap((b) => b.records.map((r) => r.value!.toString()));
      expect(values.length).toBe(500);
      expect(new Set(values).size).toBe(500);
    } finally {
      await behind.close();
      await proxy.close();
    }
  });
});

describe('producer snapshots, both ways', () => {
  it("Kafka's DumpLogSegments reads a snapshot strata wrote (CRC checked), field for field", async () => {
    const dir = tempDir('snap');
    const path = join(dir, '00000000000000001234.snapshot');
    writeSnapshotFile(path, [
      { producerId: 4001, epoch: 3, lastSequence: 99, lastOffset: 1233, offsetDelta: 4, timestamp: 1700000000000, coordinatorEpoch: -1, currentTxnFirstOffset: -1 },
      { producerId: 4002, epoch: 0, lastSequence: 7, lastOffset: 1200, offsetDelta: 0, timestamp: 1700000000001, coordinatorEpoch: -1, currentTxnFirstOffset: -1 },
    ]);
    const dump = await runJava(['kafka.tools.DumpLogSegments', '--files', path]);
    expect(dump.code, dump.stderr).toBe(0);
    const lines = dump.stdout.split('\n').filter((l) => l.startsWith('producerId:'));
    expect(lines).toEqual([
      'producerId: 4001 producerEpoch: 3 coordinatorEpoch: -1 currentTxnFirstOffset: OptionalLong.empty lastTimestamp: 1700000000000 firstSequence: 95 lastSequence: 99 lastOffset: 1233 offsetDelta: 4 timestamp: 1700000000000',
      'producerId: 4002 producerEpoch: 0 coordinatorEpoch: -1 currentTxnFirstOffset: OptionalLong.empty lastTimestamp: 1700000000001 firstSequence: 7 lastSequence: 7 lastOffset: 1200 offsetDelta: 0 timestamp: 1700000000001',
    ]);
  });

  it("strata reads a snapshot Kafka's ProducerStateManager.writeSnapshot wrote, byte for byte what strata writes, and answers its retry", async () => {
    const dir = tempDir('snap');
    const path = join(dir, '00000000000000000101.snapshot');
    const wrote = await runJava([KAFKA_SNAPSHOT_SOURCE, path]);
    expect(wrote.code, wrote.stderr).toBe(0);
    const entries = readSnapshotFile(path);
    expect(entries).toEqual([
      { producerId: 5001, epoch: 2, lastSequence: 14, lastOffset: 100, offsetDelta: 4, timestamp: 1700000000000, coordinatorEpoch: -1, currentTxnFirstOffset: -1 },
      { producerId: 5002, epoch: 0, lastSequence: -1, lastOffset: -1, offsetDelta: 0, timestamp: 1700000000001, coordinatorEpoch: 7, currentTxnFirstOffset: 90 },
    ]);
    expect(encodeSnapshot(entries).equals(fs.readFileSync(path))).toBe(true);
    const m = new ProducerStateManager(dir);
    await m.load({ logStartOffset: 0, logEndOffset: 101, segmentBaseOffsets: [0], batchHeaders: () => (async function* () {})() }, 1700000000000);
    expect(m.prepare([{ producerId: 5001, producerEpoch: 2, baseSequence: 10, lastOffsetDelta: 4, maxTimestamp: 0, relativeOffset: 0 }])).toMatchObject({ kind: 'duplicate', firstOffset: 96, lastOffset: 100 });
  });
});

describe("Kafka's tools", () => {
  it('ProducerPerformance (defaults: acks=all, idempotent), then ConsumerPerformance reads every record', async () => {
    const perf = await runJava(['org.apache.kafka.tools.ProducerPerformance', '--topic', 'perf', '--num-records', '20000', '--record-size', '100', '--throughput', '-1', '--producer-props', `bootstrap.servers=${broker.bootstrap}`]);
    expect(perf.code, perf.stderr).toBe(0);
    expect(perf.stdout).toMatch(/^20000 records sent, [\d.]+ records\/sec .* 99\.9th\.$/m);
    expect((await recordsInLog('perf', 0)).records).toBe(20000);

    const cons = await runJava(['org.apache.kafka.tools.ConsumerPerformance', '--bootstrap-server', broker.bootstrap, '--topic', 'perf', '--messages', '20000', '--timeout', '60000']);
    expect(cons.code, cons.stderr).toBe(0);
    // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, ...
    const row = cons.stdout.trim().split('\n').at(-1)!.split(', ');
    expect(Number(row[4])).toBe(20000);
  });

  it('EndToEndLatency creates its topic and measures 200 round trips with acks=all', async () => {
    const e2e = await runJava(['org.apache.kafka.tools.EndToEndLatency', broker.bootstrap, 'e2e-latency', '200', 'all', '100']);
    expect(e2e.code, e2e.stderr).toBe(0);
    expect(e2e.stdout).toMatch(/Avg latency: [\d.]+ ms/);
    expect(e2e.stdout).toMatch(/Percentiles: 50th = \d+, 99th = \d+, 99\.9th = \d+/);
    expect((await recordsInLog('e2e-latency', 0)).records).toBe(200);
  });
});
