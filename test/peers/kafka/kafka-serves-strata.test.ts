/**
 * A real Kafka broker (4.1.1, KRaft, one node) serves segments strata wrote. The topics are
 * created in Kafka (so the cluster metadata and partition.metadata know them), Kafka is stopped,
 * the partition directories' segment files are replaced with strata's, and Kafka restarts:
 *  - round 1 keeps Kafka's clean-shutdown marker, so Kafka trusts the files as they are;
 *  - round 2 removes it, so Kafka's own recovery (LogLoader) re-reads and re-validates every batch
 *    and rebuilds the indexes of the replaced partitions.
 * kcat then reads back exactly the records strata wrote, for every codec.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEAN_SHUTDOWN_FILE, KAFKA_MAIN, KAFKA_VERSION, runKafkaToolOk, startKafka } from '../../../harness/peers/kafka/kafka-peer.js';
import { CODECS, kcatConsume, segmentFiles, writeStrataTopic, type WrittenRecord } from './helpers.js';

type Kafka = Awaited<ReturnType<typeof startKafka>>;
const INDEX_INTERVAL_BYTES = 200;

/** Replaces the segment files of Kafka's partition directory with strata's (nothing else). */
function replaceSegments(kafkaPartitionDir: string, strataPartitionDir: string): void {
  for (const name of fs.readdirSync(kafkaPartitionDir)) {
    // Kafka's own segments, indexes and producer snapshots of the (empty) topic go; its
    // partition.metadata (the topic id) and leader-epoch-checkpoint stay
    if (/^\d{20}\.(log|index|timeindex|snapshot|txnindex)$/.test(name)) fs.rmSync(join(kafkaPartitionDir, name));
  }
  const f = segmentFiles(strataPartitionDir);
  for (const file of [...f.log, ...f.index, ...f.timeIndex]) fs.copyFileSync(file, join(kafkaPartitionDir, file.split('/').pop()!));
}

function expectSameRecords(got: ReturnType<typeof kcatConsume>, written: WrittenRecord[]): void {
  expect(got.map((r) => r.offset)).toEqual(written.map((w) => w.offset));
  expect(got.map((r) => r.value)).toEqual(written.map((w) => w.value));
  expect(got.map((r) => r.key)).toEqual(written.map((w) => w.key));
  expect(got.map((r) => r.timestamp)).toEqual(written.map((w) => w.timestamp));
}

describe(`Kafka ${KAFKA_VERSION} serves segments strata wrote`, { timeout: 600_000 }, () => {
  let kafka: Kafka;
  const strataDir = fs.mkdtempSync(join(os.tmpdir(), 'strata-for-kafka-'));
  const written = new Map<string, WrittenRecord[]>();
  const topics = (round: 'trusted' | 'recovered') => CODECS.map((c) => `${round}-${c}`);

  beforeAll(async () => {
    kafka = await startKafka();
    for (const topic of [...topics('trusted'), ...topics('recovered')]) {
      // strata's index interval, so Kafka's recovery rebuilds the indexes strata wrote, entry for entry
      await runKafkaToolOk(KAFKA_MAIN.topics, ['--bootstrap-server', kafka.bootstrap, '--create', '--topic', topic, '--partitions', '1',
        '--config', `index.interval.bytes=${INDEX_INTERVAL_BYTES}`]);
    }
    for (const topic of [...topics('trusted'), ...topics('recovered')]) {
      const codec = topic.split('-').pop() as (typeof CODECS)[number];
      written.set(topic, await writeStrataTopic(strataDir, topic, codec, { rich: true, config: { 'index.interval.bytes': String(INDEX_INTERVAL_BYTES) } }));
    }
  });
  afterAll(async () => {
    await kafka?.cleanup();
    fs.rmSync(strataDir, { recursive: true, force: true });
  });

  it("with Kafka's clean-shutdown marker: Kafka trusts strata's files and kcat reads every record back", async () => {
    expect((await kafka.stop()).clean).toBe(true);
    expect(fs.existsSync(join(kafka.logDir, CLEAN_SHUTDOWN_FILE))).toBe(true);
    for (const topic of topics('trusted')) replaceSegments(join(kafka.logDir, `${topic}-0`), join(strataDir, `${topic}-0`));
    const logBefore = fs.readFileSync(kafka.serverLog, 'utf8').length;
    await kafka.start();
    expect(fs.readFileSync(kafka.serverLog, 'utf8').slice(logBefore)).not.toMatch(/Recovering unflushed segment \d+.* for trusted-/);
    for (const topic of topics('trusted')) expectSameRecords(kcatConsume(kafka.bootstrap, topic), written.get(topic)!);
  });

  it("without the marker: Kafka's recovery re-validates strata's batches, rebuilds the indexes, and kcat reads every record back", async () => {
    expect((await kafka.stop()).clean).toBe(true);
    for (const topic of topics('recovered')) replaceSegments(join(kafka.logDir, `${topic}-0`), join(strataDir, `${topic}-0`));
    fs.rmSync(join(kafka.logDir, CLEAN_SHUTDOWN_FILE));
    const logBefore = fs.readFileSync(kafka.serverLog, 'utf8').length;
    await kafka.start();
    const log = fs.readFileSync(kafka.serverLog, 'utf8').slice(logBefore);
    // Kafka says it recovered every segment (LogLoader) and found nothing invalid
    expect(log).toMatch(/since no clean shutdown file was found/);
    for (const topic of topics('recovered')) {
      for (const file of segmentFiles(join(strataDir, `${topic}-0`)).log) {
        const base = Number(file.split('/').pop()!.slice(0, 20));
        expect(log).toMatch(new RegExp(`Recovering unflushed segment ${base}\\. .* for ${topic}-0`));
      }
    }
    expect(log).not.toMatch(/Found invalid messages|CorruptRecordException|InvalidRecordException/);
    for (const topic of topics('recovered')) expectSameRecords(kcatConsume(kafka.bootstrap, topic), written.get(topic)!);
    // the round-1 topics are still served, now from Kafka's own checkpointed state
    for (const topic of topics('trusted')) expectSameRecords(kcatConsume(kafka.bootstrap, topic), written.get(topic)!);

    // Kafka's recovery rebuilt both indexes of every segment from the batches alone: once Kafka
    // has trimmed them (a clean stop), they are byte for byte the ones strata wrote
    expect((await kafka.stop()).clean).toBe(true);
    for (const topic of topics('recovered')) {
      const ours = segmentFiles(join(strataDir, `${topic}-0`));
      for (const file of [...ours.log, ...ours.index, ...ours.timeIndex]) {
        const theirs = join(kafka.logDir, `${topic}-0`, file.split('/').pop()!);
        expect(fs.readFileSync(theirs).equals(fs.readFileSync(file)), `${theirs} differs from strata's`).toBe(true);
      }
    }
  });
});
