/**
 * The servers of the scale workload: `strata serve` (the built CLI, harness/serve-process.ts) and
 * Apache Kafka (one KRaft node, harness/peers/kafka), each on a directory of its own that outlives
 * a stop, so the same node can be stopped cleanly, killed and started again on its own logs. A
 * start is timed from the spawn until Metadata lists every partition of the topic with a leader,
 * polled on the port the server was given before it was spawned (the same for both servers).
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clusterMetadata } from '../../clients/kafka-admin.js';
import { freePorts, kafkaScriptJvmFlags, prepareKafkaCluster, type KafkaNode } from '../../peers/kafka/kafka-peer.js';
import { startServe, stopServe, type ServeProcess } from '../../serve-process.js';
import { KAFKA_DEFAULT_THREADS } from '../vs-kafka/servers.js';

export const SCALE_TARGETS = ['strata', 'kafka'] as const;
export type ScaleTarget = (typeof SCALE_TARGETS)[number];

/** How often a start polls Metadata: the precision of a startup time. */
const METADATA_POLL_MS = 50;

export interface Stopped {
  seconds: number;
  /** Exited on SIGTERM by itself (strata: exit code 0; Kafka: its clean-shutdown marker written). */
  clean: boolean;
  how: string;
}

/** One node under test; `pid` is the server process (the java process itself for Kafka). */
export interface ScaleServer {
  readonly target: ScaleTarget;
  readonly port: number;
  readonly logDir: string;
  pid(): number;
  /** Spawns the server; resolves once it accepts connections. */
  start(): Promise<void>;
  /** SIGTERM; resolves once the process has exited (SIGKILL after `timeoutMs`, then not clean). */
  stop(timeoutMs: number): Promise<Stopped>;
  /** SIGKILL: a crash, nothing flushed or marked. */
  kill(): Promise<void>;
  /** Stops what runs and removes the directory. */
  remove(): Promise<void>;
}

export interface ScaleServerOptions {
  dir: string;
  kafkaHeap: string;
  /** strata serve's engine. */
  engine: string;
  /** The longest a start may take (strata: until it listens; Kafka: until it answers Metadata). */
  readyTimeoutMs: number;
}

export async function makeServer(target: ScaleTarget, o: ScaleServerOptions): Promise<ScaleServer> {
  fs.mkdirSync(o.dir, { recursive: true });
  return target === 'kafka' ? kafkaServer(o) : strataServer(o);
}

async function strataServer(o: ScaleServerOptions): Promise<ScaleServer> {
  const [port] = await freePorts(1);
  const logDir = join(o.dir, 'data');
  fs.mkdirSync(logDir, { recursive: true });
  // the topic is made by CreateTopics, never by a Metadata request that polls for it
  const args = ['--data-dir', logDir, '--listen', `127.0.0.1:${port}`, '--no-auto-create-topics', '--engine', o.engine];
  let served: ServeProcess | undefined;
  const running = () => served !== undefined && served.child.exitCode === null && served.child.signalCode === null;
  const server: ScaleServer = {
    target: 'strata',
    port: port!,
    logDir,
    pid: () => {
      if (!served || !running()) throw new Error(`strata serve on port ${port} is not running`);
      return served.child.pid!;
    },
    async start() {
      if (running()) throw new Error(`strata serve on port ${port} already runs (pid ${served!.child.pid})`);
      served = await startServe(args, { built: true, listenTimeoutMs: o.readyTimeoutMs });
      if (served.port === 0) throw new Error(`strata serve (${logDir}) did not start: ${served.stderr().slice(-2000)}`);
    },
    async stop(timeoutMs) {
      if (!served || !running()) return { seconds: 0, clean: true, how: 'not running' };
      const t0 = performance.now();
      await stopServe(served, timeoutMs);
      const { code, signal } = await served.exited;
      return { seconds: (performance.now() - t0) / 1000, clean: code === 0 && signal === null, how: signal ? `killed by ${signal} after ${timeoutMs} ms` : `exit code ${code}` };
    },
    async kill() {
      if (!served || !running()) return;
      served.child.kill('SIGKILL');
      await served.exited;
    },
    async remove() {
      await server.kill();
      fs.rmSync(o.dir, { recursive: true, force: true });
    },
  };
  return server;
}

async function kafkaServer(o: ScaleServerOptions): Promise<ScaleServer> {
  const cluster = await prepareKafkaCluster(1, {
    dir: o.dir,
    jvmFlags: kafkaScriptJvmFlags({ xmx: o.kafkaHeap, xms: o.kafkaHeap }),
    config: { ...KAFKA_DEFAULT_THREADS },
    readyTimeoutMs: o.readyTimeoutMs,
  });
  const node: KafkaNode = cluster.nodes[0]!;
  let up = false;
  const server: ScaleServer = {
    target: 'kafka',
    port: node.port,
    logDir: node.logDir,
    pid: () => {
      if (!up || node.pid === undefined) throw new Error(`Kafka on port ${node.port} is not running`);
      return node.pid;
    },
    async start() {
      await node.start();
      up = true;
    },
    async stop(timeoutMs) {
      if (!up) return { seconds: 0, clean: true, how: 'not running' };
      const t0 = performance.now();
      const r = await node.stop(timeoutMs);
      up = false;
      return { seconds: (performance.now() - t0) / 1000, clean: r.clean, how: r.signal ? `killed by ${r.signal}` : `exit code ${r.code}${r.clean ? '' : ', no clean-shutdown marker'}` };
    },
    async kill() {
      if (!up) return;
      await node.kill();
      up = false;
    },
    async remove() {
      await server.kill();
      fs.rmSync(o.dir, { recursive: true, force: true });
    },
  };
  return server;
}

/**
 * Polls Metadata on `port` until it lists `partitions` partitions of `topic`, each with a leader
 * and no error; connection refused and a partial answer are retried until `deadlineMs`
 * (performance.now() clock). Resolves with performance.now() when it did.
 */
export async function waitAllListed(port: number, topic: string, partitions: number, deadlineMs: number, gaveUp: () => boolean = () => false): Promise<number> {
  let last = 'no answer yet';
  for (;;) {
    if (gaveUp()) throw new Error(`Metadata on 127.0.0.1:${port}: the server did not start (last: ${last})`);
    try {
      const md = await clusterMetadata([{ host: '127.0.0.1', port }], [topic]);
      const t = md.topics.find((x) => x.name === topic);
      const led = t ? t.partitions.filter((p) => p.errorCode === 0 && p.leader >= 0).length : 0;
      if (t && t.errorCode === 0 && t.partitions.length === partitions && led === partitions) return performance.now();
      last = t ? `topic error ${t.errorCode}, ${led} of ${partitions} partitions with a leader` : 'topic not listed';
    } catch (e) {
      last = (e as Error).message;
    }
    if (performance.now() > deadlineMs) throw new Error(`Metadata on 127.0.0.1:${port} did not list all ${partitions} partitions of ${topic} in time (last: ${last})`);
    await new Promise((r) => setTimeout(r, METADATA_POLL_MS));
  }
}

/**
 * Starts `server` and times it until Metadata lists every partition: the poll runs beside the
 * start from the spawn on, so neither server's own readiness check (strata's listening line,
 * Kafka's 500 ms broker poll) adds to the figure.
 */
export async function timedStart(server: ScaleServer, topic: string | null, partitions: number, deadlineMs: number): Promise<number> {
  const t0 = performance.now();
  if (topic === null) {
    await server.start();
    return (performance.now() - t0) / 1000;
  }
  let failed = false;
  const started = server.start().catch((e: unknown) => {
    failed = true;
    throw e;
  });
  const [, listed] = await Promise.all([started, waitAllListed(server.port, topic, partitions, deadlineMs, () => failed)]);
  return (listed - t0) / 1000;
}

/** The number of TOPIC-N partition directories in a log dir (the logs a server has made). */
export function partitionDirs(logDir: string, topic: string): number {
  const prefix = `${topic}-`;
  let n = 0;
  for (const name of fs.readdirSync(logDir)) if (name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length))) n++;
  return n;
}
