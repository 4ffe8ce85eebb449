/**
 * The few admin requests the harness's `kafka://` target needs against any Kafka-protocol cluster
 * (Apache Kafka, Redpanda, strata serve), spoken with RawKafkaClient so `strata bench` needs no
 * Kafka client library: Metadata (the cluster's brokers, a topic's replicas and ISR), CreateTopics
 * (partitions, replication factor, topic configs) and DeleteTopics.
 *
 * Versions: Metadata v4, CreateTopics v4, DeleteTopics v3: the newest non-flexible versions, which
 * every broker from Kafka 2.x to 4.x accepts (Kafka 4 dropped only versions below these, KIP-896).
 * A KRaft broker forwards CreateTopics and DeleteTopics to the controller itself.
 */
import { StrataError } from '../../core/errors.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { ErrorCode } from '../../broker/protocol/errors.js';

const API_METADATA = 3;
const API_CREATE_TOPICS = 19;
const API_DELETE_TOPICS = 20;
const REQUEST_TIMEOUT_MS = 30_000;

export interface BrokerAddress {
  host: string;
  port: number;
}

export interface ClusterBroker extends BrokerAddress {
  nodeId: number;
  rack: string | null;
}

export interface TopicPartitionState {
  partition: number;
  errorCode: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: ClusterBroker[];
  topics: { name: string; errorCode: number; partitions: TopicPartitionState[] }[];
}

/** `kafka://HOST:PORT[,HOST:PORT...]`: the bootstrap servers, in order. */
export function parseBootstrapUrl(url: string): BrokerAddress[] {
  const m = /^kafka:\/\/([^/]+?)\/?$/.exec(url);
  const servers = m ? m[1]!.split(',').map((s) => /^([^/:,]+|\[[^\]]+\]):(\d{1,5})$/.exec(s.trim())) : [null];
  if (!m || servers.some((s) => !s || Number(s[2]) < 1 || Number(s[2]) > 65535)) {
    throw new StrataError('INVALID_ARGUMENT', `target "${url}" is not kafka://HOST:PORT[,HOST:PORT...]`);
  }
  return servers.map((s) => ({ host: s![1]!.replace(/^\[|\]$/g, ''), port: Number(s![2]) }));
}

function withTimeout<T>(p: Promise<T>, what: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer in ${timeoutMs} ms`)), timeoutMs); }),
  ]);
}

/** Runs `fn` on a connection to the first bootstrap server that accepts one. */
async function onCluster<T>(servers: readonly BrokerAddress[], fn: (c: RawKafkaClient) => Promise<T>): Promise<T> {
  const errors: string[] = [];
  for (const s of servers) {
    let client: RawKafkaClient;
    try {
      client = await withTimeout(RawKafkaClient.connect(s.port, s.host), `connect to ${s.host}:${s.port}`);
    } catch (e) {
      errors.push(`${s.host}:${s.port}: ${(e as Error).message}`);
      continue;
    }
    try {
      return await fn(client);
    } finally {
      client.socket.destroy();
    }
  }
  throw new StrataError('INVALID_ARGUMENT', `no bootstrap server of the target answers (${errors.join('; ')})`);
}

/** Metadata v4 for `topics` (empty: brokers and controller only; null: every topic). */
export function clusterMetadata(servers: readonly BrokerAddress[], topics: readonly string[] | null = []): Promise<ClusterMetadata> {
  return onCluster(servers, async (client) => {
    const r = await withTimeout(client.request(API_METADATA, 4, (w) => {
      w.int32(topics === null ? -1 : topics.length);
      for (const t of topics ?? []) w.string(t);
      w.bool(false); // allow_auto_topic_creation
    }), 'Metadata');
    r.int32(); // throttle_time_ms
    const brokers: ClusterBroker[] = [];
    for (let i = r.int32(); i > 0; i--) brokers.push({ nodeId: r.int32(), host: r.string(), port: r.int32(), rack: r.nullableString() });
    const clusterId = r.nullableString();
    const controllerId = r.int32();
    const out: ClusterMetadata['topics'] = [];
    for (let i = r.int32(); i > 0; i--) {
      const errorCode = r.int16();
      const name = r.string();
      r.bool(); // is_internal
      const partitions: TopicPartitionState[] = [];
      for (let j = r.int32(); j > 0; j--) {
        const p = { errorCode: r.int16(), partition: r.int32(), leader: r.int32(), replicas: int32Array(r), isr: int32Array(r) };
        partitions.push(p);
      }
      out.push({ name, errorCode, partitions });
    }
    return { clusterId, controllerId, brokers: brokers.sort((a, b) => a.nodeId - b.nodeId), topics: out };
  });
}

function int32Array(r: { int32(): number }): number[] {
  const out: number[] = [];
  for (let n = r.int32(); n > 0; n--) out.push(r.int32());
  return out;
}

function errorName(code: number): string {
  return Object.entries(ErrorCode).find(([, v]) => v === code)?.[0] ?? `error ${code}`;
}

export interface CreateTopicSpec {
  name: string;
  partitions: number;
  /** -1: the cluster's default.replication.factor. */
  replicationFactor: number;
  configs: Record<string, string>;
}

/**
 * CreateTopics v4; rejects with the broker's error (name and message) for the topic. `timeoutMs`
 * is the request's timeout_ms and how long the answer is waited for (many partitions take long).
 */
export function createTopic(servers: readonly BrokerAddress[], spec: CreateTopicSpec, timeoutMs = REQUEST_TIMEOUT_MS): Promise<void> {
  return onCluster(servers, async (client) => {
    const r = await withTimeout(client.request(API_CREATE_TOPICS, 4, (w) => {
      w.int32(1);
      w.string(spec.name).int32(spec.partitions).int16(spec.replicationFactor);
      w.int32(0); // assignments: none, the controller places the replicas
      const configs = Object.entries(spec.configs);
      w.int32(configs.length);
      for (const [k, v] of configs) w.string(k).nullableString(v);
      w.int32(timeoutMs).bool(false); // timeout_ms, validate_only
    }), 'CreateTopics', timeoutMs);
    r.int32(); // throttle_time_ms
    for (let i = r.int32(); i > 0; i--) {
      const name = r.string();
      const code = r.int16();
      const message = r.nullableString();
      if (code !== 0) throw new StrataError('INVALID_ARGUMENT', `the target refused to create topic ${name} (partitions ${spec.partitions}, replication factor ${spec.replicationFactor}): ${errorName(code)}${message ? `: ${message}` : ''}`);
    }
  });
}

/** DeleteTopics v3; returns the error per topic that could not be deleted (empty: all gone). */
export function deleteTopics(servers: readonly BrokerAddress[], names: readonly string[]): Promise<string[]> {
  return onCluster(servers, async (client) => {
    const r = await withTimeout(client.request(API_DELETE_TOPICS, 3, (w) => {
      w.int32(names.length);
      for (const n of names) w.string(n);
      w.int32(REQUEST_TIMEOUT_MS);
    }), 'DeleteTopics');
    r.int32(); // throttle_time_ms
    const failed: string[] = [];
    for (let i = r.int32(); i > 0; i--) {
      const name = r.string();
      const code = r.int16();
      if (code !== 0) failed.push(`${name}: ${errorName(code)}`);
    }
    return failed;
  });
}

/**
 * Waits until every partition of `topic` has a leader and its full ISR (all replicas in sync),
 * so the first produce does not meet a topic still being placed; returns its partition states.
 */
export async function waitTopicReady(servers: readonly BrokerAddress[], topic: string, partitions: number, timeoutMs = 60_000): Promise<TopicPartitionState[]> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no metadata yet';
  while (Date.now() < deadline) {
    const md = await clusterMetadata(servers, [topic]);
    const t = md.topics.find((x) => x.name === topic);
    if (t && t.errorCode === 0 && t.partitions.length === partitions
      && t.partitions.every((p) => p.errorCode === 0 && p.leader >= 0 && p.isr.length === p.replicas.length)) {
      return t.partitions.sort((a, b) => a.partition - b.partition);
    }
    last = t ? `error ${errorName(t.errorCode)}, ${t.partitions.length} partition(s), ISR ${t.partitions.map((p) => `${p.isr.length}/${p.replicas.length}`).join(' ')}` : 'not in metadata';
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`topic ${topic} not ready after ${timeoutMs} ms (${last})`);
}
