/**
 * The servers under test of the Kafka comparison: Apache Kafka (one KRaft node, the peer of
 * harness/peers/kafka, started with the flags and heap of Kafka's own scripts) and `strata serve` as
 * a child process (`node bin/strata.js serve`, the built CLI a user runs), each on a directory of
 * its own under the run's data directory, and what /proc says about the server process alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { RawKafkaClient } from '../../../broker/raw-client.js';
import { kafkaScriptJvmFlags, startKafka } from '../../peers/kafka/kafka-peer.js';
import { killServes, startServe, stopServe } from '../../serve-process.js';
import { repoRoot } from '../../fingerprint.js';
import { BatchCursor } from '../../../core/format/batch-cursor.js';
import { LOG_OVERHEAD_BYTES } from '../../../core/format/record-batch.js';
export { cpuSeconds, cpuTimes, exitedChildrenCpuSeconds, machineBusySeconds, rssPeakMb } from '../../proc.js';

const REPO_DIR = repoRoot();
export const STRATA_BIN = join(REPO_DIR, 'bin', 'strata.js');

export const STRATA_ENGINES = ['pwrite', 'fsync-group', 'fsync-per-write', 'mmap'] as const;
export const STRATA_TRANSFERS = ['sendfile', 'buffered'] as const;

/** When a produce is acknowledged (what each target's figures pay for). */
const ACKNOWLEDGED_WHEN: Record<string, string> = {
  kafka: 'in the page cache (Kafka default: no flush.messages / flush.ms)',
  pwrite: 'in the page cache',
  'fsync-group': 'after a shared fdatasync (group commit)',
  'fsync-per-write': 'after its own O_DSYNC write',
  mmap: 'copied into the mapped segment (page cache)',
};

export interface TargetSpec {
  /** `kafka` or `strata-ENGINE-TRANSFER`. */
  id: string;
  kind: 'kafka' | 'strata';
  engine?: string;
  transfer?: string;
  acknowledgedWhen: string;
}

export function allTargetIds(): string[] {
  return ['kafka', ...STRATA_ENGINES.flatMap((e) => STRATA_TRANSFERS.map((t) => `strata-${e}-${t}`))];
}

/** `kafka,strata-pwrite-sendfile,...`; Kafka is always included (every ratio needs it). */
export function parseTargets(list: string): TargetSpec[] {
  const ids = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (!ids.includes('kafka')) ids.unshift('kafka');
  const known = allTargetIds();
  return [...new Set(ids)].map((id) => {
    if (!known.includes(id)) throw new Error(`--targets: unknown target "${id}" (known: ${known.join(', ')})`);
    if (id === 'kafka') return { id, kind: 'kafka', acknowledgedWhen: ACKNOWLEDGED_WHEN.kafka! };
    const transfer = STRATA_TRANSFERS.find((t) => id.endsWith(`-${t}`))!;
    const engine = id.slice('strata-'.length, id.length - transfer.length - 1);
    return { id, kind: 'strata', engine, transfer, acknowledgedWhen: ACKNOWLEDGED_WHEN[engine]! };
  });
}

export interface ServerUnderTest {
  target: TargetSpec;
  bootstrap: string;
  /** The server process (for Kafka the java process itself: the peer spawns java directly). */
  pid: number;
  /** Where TOPIC-PARTITION directories are. */
  logDir: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** A directory of this run; the server's files go under it, removed after stop(). */
  dir: string;
  kafkaHeap: string;
  /** Node's --cpu-prof for strata serve, profiles written into this directory at exit. */
  cpuProfDir?: string;
}

/**
 * Broker settings both sides get: no 3 s wait for more group members before ConsumerPerformance's
 * first assignment (the peer sets it for Kafka; strata has the same key and default).
 */
const COMMON_CONFIG = { 'group.initial.rebalance.delay.ms': '0' };

/**
 * Kafka's own defaults for what the test peer lowers for a busy two-core test machine: the
 * comparison runs Kafka as it ships (KafkaConfig defaults of 4.1).
 */
export const KAFKA_DEFAULT_THREADS = {
  'num.network.threads': 3,
  'num.io.threads': 8,
  'background.threads': 10,
  'num.recovery.threads.per.data.dir': 2,
};

export async function startTarget(target: TargetSpec, opts: StartOptions): Promise<ServerUnderTest> {
  fs.mkdirSync(opts.dir, { recursive: true });
  if (target.kind === 'kafka') {
    const kafka = await startKafka({
      dir: opts.dir,
      jvmFlags: kafkaScriptJvmFlags({ xmx: opts.kafkaHeap, xms: opts.kafkaHeap }),
      config: { ...KAFKA_DEFAULT_THREADS, ...COMMON_CONFIG },
    });
    return {
      target,
      bootstrap: kafka.bootstrap,
      pid: kafka.pid!,
      logDir: kafka.logDir,
      stop: async () => {
        await kafka.stop();
        fs.rmSync(opts.dir, { recursive: true, force: true });
      },
    };
  }
  return startStrata(target, opts);
}

const STRATA_STOP_TIMEOUT_MS = 60_000;

// a strata child must not outlive a comparison that failed or was stopped
process.once('exit', killServes);

async function startStrata(target: TargetSpec, opts: StartOptions): Promise<ServerUnderTest> {
  const logDir = join(opts.dir, 'data');
  fs.mkdirSync(logDir, { recursive: true });
  const args = ['--data-dir', logDir, '--listen', '127.0.0.1:0', '--auto-create-topics',
    // no --event-loop-stats: its 1 ms histogram timer wakes the loop a thousand times a second
    '--engine', target.engine!, '--transfer', target.transfer!,
    ...Object.entries(COMMON_CONFIG).flatMap(([k, v]) => ['--config', `${k}=${v}`])];
  const served = await startServe(args, { built: true, nodeFlags: opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir] : [] });
  if (served.port === 0) throw new Error(`strata serve (${target.id}) did not start: ${served.stderr().slice(-2000)}`);
  const port = served.port;
  return {
    target,
    bootstrap: `127.0.0.1:${port}`,
    pid: served.child.pid!,
    logDir,
    stop: async () => {
      await stopServe(served, STRATA_STOP_TIMEOUT_MS);
      fs.rmSync(opts.dir, { recursive: true, force: true });
    },
  };
}

/**
 * A topic partition's segment (.log) files and the bytes of record batches in them: walked batch
 * header by batch header (baseOffset int64, batchLength int32), because a preallocated segment
 * (strata's mmap engine) is larger than its data and the zeros after the data are not fetched.
 */
export function segmentFiles(logDir: string, topic: string, partition = 0): { paths: string[]; bytes: number } {
  const dir = join(logDir, `${topic}-${partition}`);
  const paths = fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort().map((n) => join(dir, n));
  return { paths, bytes: paths.reduce((s, p) => s + batchBytes(p), 0) };
}

function batchBytes(path: string): number {
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    // the log overhead alone (base offset, length) of each batch: the walk reads no more of a segment
    const head = Buffer.alloc(LOG_OVERHEAD_BYTES);
    let pos = 0;
    while (pos + LOG_OVERHEAD_BYTES <= size && fs.readSync(fd, head, 0, LOG_OVERHEAD_BYTES, pos) === LOG_OVERHEAD_BYTES) {
      const cursor = new BatchCursor(head, 0, LOG_OVERHEAD_BYTES, pos);
      if (cursor.isZeroed()) break;
      const sizeBytes = cursor.sizeBytes();
      if (sizeBytes <= LOG_OVERHEAD_BYTES || pos + sizeBytes > size) break;
      pos += sizeBytes;
    }
    return pos;
  } finally {
    fs.closeSync(fd);
  }
}

const TOPIC_READY_TIMEOUT_MS = 60_000;

/**
 * Creates the topics before a timed run, on both servers the same way: Metadata v4 with
 * allow_auto_topic_creation (Kafka's auto.create.topics.enable default, strata's
 * --auto-create-topics), repeated until every partition has a leader. Otherwise the first timed
 * records wait for the topic to be created and its leader elected, which Kafka takes a good part
 * of a second for and strata does not.
 */
export async function ensureTopics(bootstrap: string, topics: readonly string[]): Promise<void> {
  const port = Number(bootstrap.split(':').at(-1));
  const client = await RawKafkaClient.connect(port);
  const deadline = Date.now() + TOPIC_READY_TIMEOUT_MS;
  try {
    for (;;) {
      const r = await client.request(3, 4, (w) => {
        w.arrayLength(topics.length);
        for (const t of topics) w.string(t);
        w.bool(true);
      });
      r.int32(); // throttle_time_ms
      for (let i = r.int32(); i > 0; i--) { r.int32(); r.string(); r.int32(); r.nullableString(); } // brokers
      r.nullableString(); // cluster_id
      r.int32(); // controller_id
      const notReady: string[] = [];
      for (let i = r.int32(); i > 0; i--) {
        const error = r.int16();
        const name = r.string();
        r.bool(); // is_internal
        let ready = error === 0;
        const partitions = r.int32();
        if (partitions === 0) ready = false;
        for (let p = 0; p < partitions; p++) {
          const pError = r.int16();
          r.int32(); // partition_index
          const leader = r.int32();
          for (let n = r.int32(); n > 0; n--) r.int32(); // replica_nodes
          for (let n = r.int32(); n > 0; n--) r.int32(); // isr_nodes
          if (pError !== 0 || leader < 0) ready = false;
        }
        if (!ready) notReady.push(`${name} (error ${error})`);
      }
      if (notReady.length === 0) return;
      if (Date.now() > deadline) throw new Error(`topics not ready on ${bootstrap} after ${TOPIC_READY_TIMEOUT_MS} ms: ${notReady.join(', ')}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  } finally {
    client.socket.destroy();
  }
}
