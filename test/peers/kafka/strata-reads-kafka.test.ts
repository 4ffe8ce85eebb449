/**
 * The other way: a real Kafka broker (4.1.1) writes one topic per codec — kcat (librdkafka,
 * `-z CODEC`), Kafka's ConsoleProducer (the Java producer with its defaults: idempotence on, so
 * producer ids and sequences) and ProducerPerformance (`compression.type=CODEC`), one after the
 * other — and is stopped. Then on Kafka's own files:
 *  - `strata verify` passes on (a copy of) Kafka's data directory;
 *  - Kafka's DumpLogSegments and `strata dump` print the same lines for every segment and index;
 *  - `strata consume` prints the values Kafka served;
 *  - `strata serve` on a copy of the data directory serves the records to kcat and to Kafka's
 *    ConsoleConsumer exactly as Kafka served them (offsets, timestamps, keys, values), lists the
 *    topics Kafka listed, and leaves Kafka's segments byte for byte as they were — the indexes too,
 *    though strata (finding no clean-shutdown marker of its own) recovers and rebuilds them.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KAFKA_MAIN, KAFKA_VERSION, runKafkaToolOk, startKafka } from '../../../harness/peers/kafka/kafka-peer.js';
import { CODECS, kcat, kcatConsume, metadataTopics, parseDumpLine, segmentFiles, startStrata, strataCli, withoutLogLines } from './helpers.js';

/** Starting Kafka and producing with its tools takes minutes on a loaded two-core machine. */
const HOOK_TIMEOUT_MS = 600_000;

type Kafka = Awaited<ReturnType<typeof startKafka>>;
type Consumed = ReturnType<typeof kcatConsume>;
const PER_PRODUCER = 150;
const topicOf = (codec: string) => `from-kafka-${codec}`;
const noise = (s: string) => createHash('sha1').update(s).digest('hex').slice(0, 8 + (s.length % 24));

/** `count` key:value lines of one producer. */
function lines(producer: string, codec: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${producer}-k${i % 7}:${producer}/${codec}/${i} ${noise(`${producer}${codec}${i}`)}`);
}

async function produceWithKafkaClients(kafka: Kafka, codec: string): Promise<void> {
  const topic = topicOf(codec);
  // Kafka's default topic configs: strata cannot know a per-topic override (Kafka keeps those in its
  // metadata log), and with the defaults the indexes strata's recovery rebuilds are Kafka's exactly
  await runKafkaToolOk(KAFKA_MAIN.topics, ['--bootstrap-server', kafka.bootstrap, '--create', '--topic', topic, '--partitions', '1']);
  const k = kcat(['-P', '-b', kafka.bootstrap, '-t', topic, '-p', '0', '-z', codec, '-K', ':', '-X', 'linger.ms=5', '-X', 'batch.num.messages=40'],
    lines('kcat', codec, PER_PRODUCER).join('\n') + '\n');
  expect(k.code, k.stderr).toBe(0);
  await runKafkaToolOk(KAFKA_MAIN.consoleProducer, ['--bootstrap-server', kafka.bootstrap, '--topic', topic, '--compression-codec', codec,
    '--property', 'parse.key=true', '--property', 'key.separator=:', '--batch-size', '30'], { input: lines('java', codec, PER_PRODUCER).join('\n') + '\n' });
  await runKafkaToolOk(KAFKA_MAIN.producerPerformance, ['--topic', topic, '--num-records', String(PER_PRODUCER), '--payload-monotonic',
    '--throughput', '-1', '--producer-props', `bootstrap.servers=${kafka.bootstrap}`, `compression.type=${codec}`, 'linger.ms=5', 'batch.size=2048']);
}

/** What each producer sent, in order: the reference the broker's answer is checked against first. */
function expectedOf(codec: string): { key: string | null; value: string }[] {
  const kv = (l: string) => ({ key: l.slice(0, l.indexOf(':')), value: l.slice(l.indexOf(':') + 1) });
  return [...lines('kcat', codec, PER_PRODUCER).map(kv), ...lines('java', codec, PER_PRODUCER).map(kv),
    ...Array.from({ length: PER_PRODUCER }, (_, i) => ({ key: null, value: String(i) }))];
}

/** Kafka's ConsoleConsumer on one partition from the start (no group: assign mode). */
async function javaConsume(bootstrap: string, topic: string, count: number): Promise<Consumed> {
  const r = await runKafkaToolOk(KAFKA_MAIN.consoleConsumer, ['--bootstrap-server', bootstrap, '--topic', topic, '--partition', '0',
    '--offset', 'earliest', '--max-messages', String(count), '--timeout-ms', '30000',
    '--property', 'print.timestamp=true', '--property', 'print.offset=true', '--property', 'print.key=true']);
  // DefaultMessageFormatter: CreateTime:TS<TAB>Offset:O<TAB>KEY<TAB>VALUE ("null" for a null key)
  return r.stdout.split('\n').filter((l) => l.startsWith('CreateTime:')).map((l) => {
    const [ts, off, key, ...value] = l.split('\t');
    return { timestamp: Number(ts!.slice('CreateTime:'.length)), offset: Number(off!.slice('Offset:'.length)), key: key === 'null' ? null : key!, value: value.join('\t') };
  });
}

describe(`strata reads what Kafka ${KAFKA_VERSION} wrote`, { timeout: 900_000 }, () => {
  let kafka: Kafka;
  const served = new Map<string, Consumed>();
  let kafkaTopics: Awaited<ReturnType<typeof metadataTopics>> = [];
  const copyDir = fs.mkdtempSync(join(os.tmpdir(), 'strata-kafka-copy-'));
  const kafkaFiles = () => CODECS.flatMap((c) => {
    const f = segmentFiles(join(kafka.logDir, `${topicOf(c)}-0`));
    return [...f.log, ...f.index, ...f.timeIndex];
  });

  beforeAll(async () => {
    kafka = await startKafka();
    for (const codec of CODECS) {
      await produceWithKafkaClients(kafka, codec);
      const got = kcatConsume(kafka.bootstrap, topicOf(codec));
      expect(got.map(({ key, value }) => ({ key, value }))).toEqual(expectedOf(codec));
      served.set(codec, got);
    }
    // a consumer group, so the data dir also holds Kafka's internal __consumer_offsets-0
    const group = kcat(['-C', '-b', kafka.bootstrap, '-G', 'strata-interop', topicOf('lz4'), '-e', '-q', '-X', 'auto.offset.reset=earliest']);
    expect(group.stdout.trimEnd().split('\n')).toHaveLength(PER_PRODUCER * 3);
    kafkaTopics = await metadataTopics(kafka.bootstrap);
    expect(kafkaTopics.find((t) => t.name === '__consumer_offsets')?.isInternal).toBe(true);
    expect((await kafka.stop()).clean).toBe(true);
    expect(fs.existsSync(join(kafka.logDir, '__cluster_metadata-0'))).toBe(true);
    fs.cpSync(kafka.logDir, copyDir, { recursive: true });
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await kafka?.cleanup();
    fs.rmSync(copyDir, { recursive: true, force: true });
  }, HOOK_TIMEOUT_MS);

  it("Kafka's batches carry each codec and the Java producer's ids and sequences", async () => {
    const dump = strataCli(['dump', '--files', kafkaFiles().filter((f) => f.endsWith('.log')).join(',')]);
    expect(dump.code, dump.stderr).toBe(0);
    for (const codec of CODECS) expect(dump.stdout).toMatch(new RegExp(`compresscodec: ${codec} `));
    expect(dump.stdout).toMatch(/baseSequence: \d+ lastSequence: \d+ producerId: \d+ producerEpoch: 0 /);
  });

  it('strata verify passes on the data directory Kafka wrote', () => {
    const v = strataCli(['verify', '--data-dir', copyDir]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^ok: \d+ partitions, \d+ segments, \d+ batches, \d+ records$/m);
  });

  for (const [mode, args, which] of [
    ['deep iteration with data', ['--deep-iteration', '--print-data-log'], 'all'],
    ['index sanity check', ['--index-sanity-check'], 'indexes'],
    ['verify index only', ['--verify-index-only'], 'indexes'],
  ] as const) {
    it(`${mode}: strata dump prints what DumpLogSegments prints for Kafka's own files`, async () => {
      const files = kafkaFiles().filter((f) => which === 'all' || !f.endsWith('.log')).join(',');
      const theirs = await runKafkaToolOk(KAFKA_MAIN.dumpLog, [...args, '--files', files]);
      expect(withoutLogLines(theirs.stderr)).toEqual([]);
      const ours = strataCli(['dump', ...args, '--files', files]);
      expect(ours.code, ours.stderr).toBe(0);
      const a = ours.stdout.trimEnd().split('\n');
      const b = theirs.stdout.trimEnd().split('\n');
      expect(a.length).toBe(b.length);
      for (let i = 0; i < b.length; i++) expect(parseDumpLine(a[i]!), `line ${i + 1}`).toEqual(parseDumpLine(b[i]!));
      expect(a).toEqual(b);
    });
  }

  it('strata consume prints the values Kafka served', () => {
    for (const codec of CODECS) {
      const c = strataCli(['consume', '--data-dir', copyDir, '--topic', topicOf(codec)]);
      expect(c.code, c.stderr).toBe(0);
      expect(c.stdout.trimEnd().split('\n')).toEqual(served.get(codec)!.map((r) => r.value));
    }
  });

  it('strata serve on a copy of the data directory serves kcat and the Java consumer exactly what Kafka served', async () => {
    const server = await startStrata(['serve', '--data-dir', copyDir, '--listen', '127.0.0.1:0'], /serving Kafka protocol on 127\.0\.0\.1:\d+/);
    try {
      const bootstrap = /serving Kafka protocol on (127\.0\.0\.1:\d+)/.exec(server.output())![1]!;
      // the same topics as Kafka listed, internal ones flagged, and not Kafka's KRaft log __cluster_metadata
      expect(await metadataTopics(bootstrap)).toEqual(kafkaTopics);
      for (const codec of CODECS) {
        expect(kcatConsume(bootstrap, topicOf(codec))).toEqual(served.get(codec));
        expect(await javaConsume(bootstrap, topicOf(codec), PER_PRODUCER * 3)).toEqual(served.get(codec));
      }
    } finally {
      await server.stop();
    }
    // what strata consume and serve left of Kafka's files: the same bytes as Kafka's originals
    for (const file of kafkaFiles()) {
      const copy = join(copyDir, file.slice(kafka.logDir.length));
      expect(fs.readFileSync(copy).equals(fs.readFileSync(file)), `${copy} differs from Kafka's`).toBe(true);
    }
  });
});
