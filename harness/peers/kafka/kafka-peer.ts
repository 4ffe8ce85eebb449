/**
 * Apache Kafka (the version pom.xml pins) as a test peer: formats and starts a KRaft broker —
 * one node, or a cluster of several on this machine — on free 127.0.0.1 ports in a directory of
 * its own, waits until a Metadata request answers, and stops it cleanly.
 *
 *   const kafka = await startKafka();            // kafka.bootstrap = '127.0.0.1:PORT'
 *   ...                                          // kcat -b kafka.bootstrap, kafka.logDir
 *   await kafka.stop();                          // SIGTERM; SIGKILL only after stopTimeoutMs
 *   await kafka.start();                         // same dirs, ports, ids: a restart
 *
 * Each node is `process.roles=broker,controller` (combined mode) with static
 * `controller.quorum.voters`, so formatting is one StorageTool run per node with the cluster's id.
 * A stop must be a clean shutdown: only then does Kafka write its clean-shutdown marker
 * (`.kafka_cleanshutdown` in the log dir) and skip recovery on the next start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawKafkaClient } from '../../../broker/raw-client.js';
import { KAFKA_MAIN, KAFKA_PEER_DIR, jvmFlags, kafkaClasspath, kafkaScriptJvmFlags, runKafkaToolOk } from './kafka-tools.js';

export { KAFKA_MAIN, KAFKA_VERSION, kafkaScriptJvmFlags, runKafkaTool, runKafkaToolOk } from './kafka-tools.js';

const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 60_000;
const BROKER_HEAP_MB = 512;
const SERVER_LOG_TAIL_BYTES = 4000;
/** Kafka's LogLoader.CLEAN_SHUTDOWN_FILE, written at the root of each log dir. */
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';

export interface KafkaOptions {
  /** Directory for the node(s); default a new temp dir, removed by `cleanup()`. */
  dir?: string;
  /** Extra server.properties entries (Kafka's keys), applied to every node. */
  config?: Record<string, string | number | boolean>;
  readyTimeoutMs?: number;
  stopTimeoutMs?: number;
  heapMb?: number;
  /**
   * A second, SSL listener on each node (`SSL://127.0.0.1:PORT`, its own free port) beside the
   * PLAINTEXT one, which stays the inter-broker listener; the node's `sslBootstrap` names it.
   */
  ssl?: { keystoreFile: string; password: string; keystoreType?: 'PKCS12' | 'JKS' };
  /**
   * Replaces the short-run test flags (C1 only, serial GC, `heapMb`): a benchmark passes what
   * kafka-server-start.sh runs with (kafkaScriptJvmFlags / KAFKA_SERVER_JVM_FLAGS), since C1 alone
   * lacks the JIT intrinsics (AES-GCM, CRC32C, array copies) Kafka's throughput relies on.
   */
  jvmFlags?: readonly string[];
}

/** kafka-server-start.sh's heap (-Xmx1G -Xms1G) and kafka-run-class.sh's KAFKA_JVM_PERFORMANCE_OPTS (Kafka 4.1). */
export const KAFKA_SERVER_JVM_FLAGS: readonly string[] = [...kafkaScriptJvmFlags({ xmx: '1G', xms: '1G' }), '-Djava.net.preferIPv4Stack=true'];

export interface StopResult {
  /**
   * True when the JVM exited on SIGTERM within the timeout and Kafka wrote its clean-shutdown
   * marker (a JVM ends its shutdown hooks with exit code 143, 128 + SIGTERM).
   */
  clean: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Every JVM this process started and has not seen exit: killed if the test process exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class KafkaNode {
  private child: ChildProcess | undefined;
  private exited: Promise<StopResult> | undefined;

  constructor(
    readonly nodeId: number,
    readonly port: number,
    readonly controllerPort: number,
    /** The node's own directory: server.properties, server.log, and `data/` (its log.dirs). */
    readonly dir: string,
    private readonly properties: string,
    private readonly opts: KafkaOptions,
    /** The SSL listener's port (KafkaOptions.ssl), else undefined. */
    readonly sslPort?: number,
  ) {}

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  get sslBootstrap(): string {
    if (this.sslPort === undefined) throw new Error(`Kafka node ${this.nodeId} has no SSL listener (KafkaOptions.ssl)`);
    return `127.0.0.1:${this.sslPort}`;
  }

  /** `log.dirs`: meta.properties, the checkpoints, TOPIC-PARTITION directories. */
  get logDir(): string {
    return join(this.dir, 'data');
  }

  get serverLog(): string {
    return join(this.dir, 'server.log');
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Writes server.properties and runs StorageTool format (once, before the first start). */
  async format(clusterId: string): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, 'server.properties');
    writeFileSync(file, this.properties);
    await runKafkaToolOk(KAFKA_MAIN.storage, ['format', '-t', clusterId, '-c', file]);
  }

  /** Starts the JVM; resolves once the node answers a Metadata request listing itself. */
  async start(): Promise<void> {
    if (this.child) throw new Error(`Kafka node ${this.nodeId} already running (pid ${this.child.pid})`);
    const logFd = openSync(this.serverLog, 'a');
    const child = spawn('java', [
      ...(this.opts.jvmFlags ?? jvmFlags(this.opts.heapMb ?? BROKER_HEAP_MB)),
      `-Dlog4j2.configurationFile=${join(KAFKA_PEER_DIR, 'log4j2-broker.properties')}`,
      '-cp', kafkaClasspath(), KAFKA_MAIN.server, join(this.dir, 'server.properties'),
    ], { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    this.child = child;
    running.add(child);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        const marker = existsSync(join(this.logDir, CLEAN_SHUTDOWN_FILE));
        resolve({ clean: signal === null && (code === 0 || code === 143) && marker, code, signal });
      });
    });
    await this.waitReady(this.opts.readyTimeoutMs ?? READY_TIMEOUT_MS);
  }

  /** SIGTERM (Kafka's clean shutdown), then SIGKILL if it has not exited after the timeout. */
  async stop(timeoutMs = this.opts.stopTimeoutMs ?? STOP_TIMEOUT_MS): Promise<StopResult> {
    const child = this.child;
    const exited = this.exited;
    if (!child || !exited) return { clean: true, code: 0, signal: null };
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), timeoutMs); });
    const first = await Promise.race([exited, late]);
    clearTimeout(timer);
    this.child = undefined;
    this.exited = undefined;
    if (first !== 'late') return first;
    child.kill('SIGKILL');
    const r = await exited;
    return { ...r, clean: false };
  }

  /** SIGKILL at once: a crash, no clean-shutdown marker. */
  async kill(): Promise<StopResult> {
    this.child?.kill('SIGKILL');
    return this.stop(10_000);
  }

  /** The last part of server.log, for error messages. */
  logTail(bytes = SERVER_LOG_TAIL_BYTES): string {
    try {
      const text = readFileSync(this.serverLog, 'utf8');
      return text.slice(-bytes);
    } catch {
      return '(no server.log)';
    }
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      const exitedEarly = await Promise.race([this.exited, sleep(500).then(() => undefined)]);
      if (exitedEarly) {
        this.child = undefined;
        throw new Error(`Kafka node ${this.nodeId} exited during startup (${exitedEarly.code ?? exitedEarly.signal}); ${this.serverLog}:\n${this.logTail()}`);
      }
      try {
        const brokers = await metadataBrokerIds(this.port);
        if (brokers.includes(this.nodeId)) return;
        last = `Metadata lists brokers [${brokers.join(', ')}], not yet ${this.nodeId}`;
      } catch (e) {
        last = (e as Error).message;
      }
    }
    await this.kill();
    throw new Error(`Kafka node ${this.nodeId} not ready on ${this.bootstrap} after ${timeoutMs} ms (${last}); killed; ${this.serverLog}:\n${this.logTail()}`);
  }
}

/** One KRaft cluster of `nodes.length` combined broker+controller nodes sharing one cluster id. */
export class KafkaCluster {
  constructor(readonly clusterId: string, readonly nodes: KafkaNode[], readonly dir: string, private readonly ownsDir: boolean) {}

  get bootstrap(): string {
    return this.nodes.map((n) => n.bootstrap).join(',');
  }

  /** Starts every node together: a controller quorum needs a majority before any broker is ready. */
  async start(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.start()));
  }

  /** Stops every node together (one by one, the last ones would wait for a lost quorum). */
  async stop(timeoutMs?: number): Promise<StopResult[]> {
    return Promise.all(this.nodes.map((n) => n.stop(timeoutMs)));
  }

  /** Stops what runs, then removes the directory if this helper made it. */
  async cleanup(): Promise<void> {
    await this.stop();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A single-node Kafka, formatted and started. */
export async function startKafka(opts: KafkaOptions = {}): Promise<KafkaNode & { cleanup(): Promise<void>; cluster: KafkaCluster }> {
  const cluster = await startKafkaCluster(1, opts);
  const node = cluster.nodes[0]!;
  return Object.assign(node, { cluster, cleanup: () => cluster.cleanup() });
}

/** A cluster of `size` nodes (ids 1..size), each with its own ports and log dir, one cluster id. */
export async function startKafkaCluster(size: number, opts: KafkaOptions = {}): Promise<KafkaCluster> {
  const cluster = await prepareKafkaCluster(size, opts);
  try {
    await cluster.start();
  } catch (e) {
    await cluster.cleanup();
    throw e;
  }
  return cluster;
}

/** Formats the nodes without starting them (a test may lay files in their log dirs first). */
export async function prepareKafkaCluster(size: number, opts: KafkaOptions = {}): Promise<KafkaCluster> {
  if (!Number.isInteger(size) || size < 1 || size > 9) throw new Error(`cluster size ${size}: 1 to 9 nodes`);
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'strata-kafka-'));
  const ports = await freePorts(size * (opts.ssl ? 3 : 2));
  const ids = Array.from({ length: size }, (_, i) => i + 1);
  const voters = ids.map((id, i) => `${id}@127.0.0.1:${ports[size + i]}`).join(',');
  const nodes = ids.map((id, i) => {
    const nodeDir = join(dir, `node-${id}`);
    const sslPort = opts.ssl ? ports[2 * size + i]! : undefined;
    const extra = { ...(opts.ssl && sslPort !== undefined ? sslListenerProperties(ports[i]!, ports[size + i]!, sslPort, opts.ssl) : {}), ...opts.config };
    const props = serverProperties(id, ports[i]!, ports[size + i]!, voters, join(nodeDir, 'data'), size, extra);
    return new KafkaNode(id, ports[i]!, ports[size + i]!, nodeDir, props, opts, sslPort);
  });
  const cluster = new KafkaCluster(newClusterId(), nodes, dir, opts.dir === undefined);
  // formats run one JVM each; two at a time is what two cores carry
  for (let i = 0; i < nodes.length; i += 2) {
    await Promise.all(nodes.slice(i, i + 2).map((n) => n.format(cluster.clusterId)));
  }
  return cluster;
}

function serverProperties(nodeId: number, port: number, controllerPort: number, voters: string, logDir: string, size: number,
  extra: KafkaOptions['config'] = {}): string {
  const replication = Math.min(3, size);
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': nodeId,
    'controller.quorum.voters': voters,
    'listeners': `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': logDir,
    'offsets.topic.replication.factor': replication,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': replication,
    'transaction.state.log.min.isr': Math.min(2, replication),
    'share.coordinator.state.topic.replication.factor': replication,
    'share.coordinator.state.topic.min.isr': Math.min(2, replication),
    'group.initial.rebalance.delay.ms': 0,
    // two cores shared by everything: Kafka's defaults (3 network, 8 I/O threads) only add contention
    'num.network.threads': 2,
    'num.io.threads': 2,
    'background.threads': 2,
    'num.recovery.threads.per.data.dir': 1,
    // A peer cluster stops as a whole: a broker's controlled shutdown waits for the controller
    // quorum to move its leaderships, and that quorum is itself stopping, so some node would wait
    // out its shutdown deadline and be killed. Without it Kafka still closes its logs and writes
    // the clean-shutdown marker (LogManager.shutdown). A single node's own controller stays up.
    'controlled.shutdown.enable': size === 1,
    ...extra,
  };
  return Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}

/** Kafka's keys for an SSL listener beside PLAINTEXT (which stays the inter-broker listener). */
function sslListenerProperties(port: number, controllerPort: number, sslPort: number, ssl: NonNullable<KafkaOptions['ssl']>): Record<string, string> {
  return {
    'listeners': `PLAINTEXT://127.0.0.1:${port},SSL://127.0.0.1:${sslPort},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port},SSL://127.0.0.1:${sslPort}`,
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL',
    'ssl.keystore.location': ssl.keystoreFile,
    'ssl.keystore.password': ssl.password,
    'ssl.key.password': ssl.password,
    'ssl.keystore.type': ssl.keystoreType ?? 'PKCS12',
  };
}

/** A Kafka Uuid for a cluster id: 16 random bytes, base64url without padding (Uuid.toString). */
export function newClusterId(): string {
  const b = randomBytes(16);
  // Kafka's Uuid.randomUuid draws again when the string starts with '-' (it would read as a
  // command-line flag); a clear top bit keeps the first base64url digit below 32, never '-' or '_'
  b[0]! &= 0x7f;
  return b.toString('base64url');
}

/** Ports the kernel hands out for 127.0.0.1, all distinct. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * Sends Metadata v4 for no topics and returns the broker ids in the answer (Metadata v4 is in
 * every broker from 1.0 to 4.x; the body is topics (int32 count 0) and allow_auto_topic_creation).
 */
export async function metadataBrokerIds(port: number, timeoutMs = 5000): Promise<number[]> {
  const client = await withTimeout(RawKafkaClient.connect(port), timeoutMs, `connect to 127.0.0.1:${port}`);
  try {
    const r = await withTimeout(client.request(3, 4, (w) => { w.int32(0); w.bool(false); }), timeoutMs, 'Metadata');
    r.int32(); // throttle_time_ms
    const count = r.int32();
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      ids.push(r.int32());
      r.string(); // host
      r.int32(); // port
      r.nullableString(); // rack
    }
    return ids;
  } finally {
    client.socket.destroy();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms); }),
  ]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
