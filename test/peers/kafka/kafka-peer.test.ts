/**
 * The Kafka peer itself: a single KRaft node and a three-node cluster start on free ports, answer
 * Metadata, shut down cleanly (Kafka's clean-shutdown marker written) and restart on the same
 * directories; Kafka's tools run from the jars.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLEAN_SHUTDOWN_FILE, KAFKA_MAIN, KAFKA_VERSION, metadataBrokerIds, runKafkaTool, runKafkaToolOk, startKafka, startKafkaCluster,
  type KafkaCluster,
} from '../../../harness/peers/kafka/kafka-peer.js';

/** Starting Kafka and producing with its tools takes minutes on a loaded two-core machine. */
const HOOK_TIMEOUT_MS = 600_000;

describe(`Apache Kafka ${KAFKA_VERSION} peer`, { timeout: 300_000 }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => { for (const c of cleanups) await c(); }, HOOK_TIMEOUT_MS);
  // one node for the file (the tests below run in order: the tool test, then stop and restart)
  let kafka: Awaited<ReturnType<typeof startKafka>>;
  beforeAll(async () => {
    kafka = await startKafka();
    cleanups.push(() => kafka.cleanup());
  }, HOOK_TIMEOUT_MS);

  it('runKafkaTool runs TopicCommand against the node: create, list, describe', async () => {
    await runKafkaToolOk(KAFKA_MAIN.topics, ['--bootstrap-server', kafka.bootstrap, '--create', '--topic', 'peer-t', '--partitions', '2']);
    const list = await runKafkaToolOk(KAFKA_MAIN.topics, ['--bootstrap-server', kafka.bootstrap, '--list']);
    expect(list.stdout.split('\n')).toContain('peer-t');
    const described = await runKafkaToolOk(KAFKA_MAIN.topics, ['--bootstrap-server', kafka.bootstrap, '--describe', '--topic', 'peer-t']);
    expect(described.stdout).toMatch(/PartitionCount: 2/);
    // a failing tool is reported as such, not as success
    const bad = await runKafkaTool(KAFKA_MAIN.topics, ['--bootstrap-server', kafka.bootstrap, '--describe', '--topic', 'no-such-topic']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr + bad.stdout).toMatch(/no-such-topic/);
  });

  it("Kafka's perf tools run from the jars: ProducerPerformance, ConsumerPerformance, EndToEndLatency", async () => {
    const produced = await runKafkaToolOk(KAFKA_MAIN.producerPerformance, ['--topic', 'perf', '--num-records', '2000', '--record-size', '100',
      '--throughput', '-1', '--producer-props', `bootstrap.servers=${kafka.bootstrap}`]);
    expect(produced.stdout).toMatch(/^2000 records sent, /m);
    const consumed = await runKafkaToolOk(KAFKA_MAIN.consumerPerformance, ['--bootstrap-server', kafka.bootstrap, '--topic', 'perf',
      '--messages', '2000', '--timeout', '60000']);
    // the data line: start time, end time, MB, MB/s, records (nMsg), ...
    const data = consumed.stdout.trim().split('\n').at(-1)!.split(',').map((x) => x.trim());
    expect(Number(data[4])).toBe(2000);
    // EndToEndLatency: broker_list topic num_messages producer_acks message_size_bytes
    const e2e = await runKafkaToolOk(KAFKA_MAIN.endToEndLatency, [kafka.bootstrap, 'e2e', '200', 'all', '100']);
    expect(e2e.stdout).toMatch(/Avg latency: [\d.]+ ms/);
  });

  it('a single node answers Metadata, stops cleanly with the marker, restarts on the same log dir', async () => {
    expect(await metadataBrokerIds(kafka.port)).toEqual([1]);
    const meta = readFileSync(join(kafka.logDir, 'meta.properties'), 'utf8');
    expect(meta).toContain(`cluster.id=${kafka.cluster.clusterId}`);
    expect(meta).toContain('node.id=1');

    const stopped = await kafka.stop();
    expect(stopped).toMatchObject({ clean: true, signal: null });
    expect(existsSync(join(kafka.logDir, CLEAN_SHUTDOWN_FILE))).toBe(true);
    await expect(metadataBrokerIds(kafka.port, 2000)).rejects.toThrow();

    await kafka.start();
    // Kafka removes the marker once it has loaded the logs: the next unclean stop must recover
    expect(existsSync(join(kafka.logDir, CLEAN_SHUTDOWN_FILE))).toBe(false);
    expect(await metadataBrokerIds(kafka.port)).toEqual([1]);
    const killed = await kafka.kill();
    expect(killed).toMatchObject({ clean: false, signal: 'SIGKILL' });
    expect(existsSync(join(kafka.logDir, CLEAN_SHUTDOWN_FILE))).toBe(false);
  });

  it('a three-node cluster: one cluster id, three log dirs, every node lists all three brokers', async () => {
    const cluster: KafkaCluster = await startKafkaCluster(3);
    cleanups.push(() => cluster.cleanup());
    expect(new Set(cluster.nodes.map((n) => n.port)).size).toBe(3);
    for (const node of cluster.nodes) {
      expect((await metadataBrokerIds(node.port)).sort()).toEqual([1, 2, 3]);
      const meta = readFileSync(join(node.logDir, 'meta.properties'), 'utf8');
      expect(meta).toContain(`cluster.id=${cluster.clusterId}`);
      expect(meta).toContain(`node.id=${node.nodeId}`);
    }
    await runKafkaToolOk(KAFKA_MAIN.topics, ['--bootstrap-server', cluster.bootstrap, '--create', '--topic', 'replicated',
      '--partitions', '1', '--replication-factor', '3']);
    const described = await runKafkaToolOk(KAFKA_MAIN.topics, ['--bootstrap-server', cluster.bootstrap, '--describe', '--topic', 'replicated']);
    expect(described.stdout).toMatch(/Replicas: \d,\d,\d/);
    const stopped = await cluster.stop();
    expect(stopped.map((s) => [s.signal, s.clean])).toEqual([[null, true], [null, true], [null, true]]);
  });
});
