/**
 * The servers under test of the Kafka comparison: Apache Kafka (one KRaft node, the peer of
 * harness/peers/kafka, started with the flags and heap of Kafka's own scripts) and `strata serve` as
 * a child process (`node bin/strata.js serve`, the built CLI a user runs), each on a directory of
 * its own under the run's data directory, and what /proc says about the server process alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawKafkaClient } from '../../../broker/raw-client.js';
import { kafkaScriptJvmFlags, startKafka } from '../../peers/kafka/kafka-peer.js';

const REPO_DIR = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
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
const KAFKA_DEFAULT_THREADS = {
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

const STRATA_READY_TIMEOUT_MS = 60_000;
const STRATA_STOP_TIMEOUT_MS = 60_000;

/** Every strata child not yet seen to exit: killed if this process exits first. */
const strataChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of strataChildren) c.kill('SIGKILL');
});

async function startStrata(target: TargetSpec, opts: StartOptions): Promise<ServerUnderTest> {
  if (!fs.existsSync(join(REPO_DIR, 'dist', 'cli', 'main.js'))) throw new Error(`strata is not built (${REPO_DIR}/dist missing): run \`npm run build\``);
  const logDir = join(opts.dir, 'data');
  fs.mkdirSync(logDir, { recursive: true });
  const nodeFlags = opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir] : [];
  const args = [...nodeFlags, STRATA_BIN, 'serve', '--data-dir', logDir, '--listen', '127.0.0.1:0', '--auto-create-topics',
    // no --event-loop-stats: its 1 ms histogram timer wakes the loop a thousand times a second
    '--engine', target.engine!, '--transfer', target.transfer!,
    ...Object.entries(COMMON_CONFIG).flatMap(([k, v]) => ['--config', `${k}=${v}`])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  strataChildren.add(child);
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    if (stderr.length < 256 * 1024) stderr += b.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    strataChildren.delete(child);
    resolve();
  }));
  const deadline = Date.now() + STRATA_READY_TIMEOUT_MS;
  let port: number | undefined;
  while (port === undefined) {
    const m = /serving Kafka protocol on 127\.0\.0\.1:(\d+)/.exec(stderr);
    if (m) port = Number(m[1]);
    else if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`strata serve (${target.id}) did not start: ${stderr.slice(-2000)}`);
    } else await new Promise((r) => setTimeout(r, 50));
  }
  return {
    target,
    bootstrap: `127.0.0.1:${port}`,
    pid: child.pid!,
    logDir,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STRATA_STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
      fs.rmSync(opts.dir, { recursive: true, force: true });
    },
  };
}

const CLK_TCK = 100; // Linux USER_HZ, what /proc/PID/stat counts in

/** /proc/PID/stat's fields after the command name (which is in parentheses and may hold spaces): [0] is field 3, state. */
function statFields(pid: number | 'self'): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** utime and stime of the process (all its threads), seconds. */
export function cpuTimes(pid: number): { userSeconds: number; systemSeconds: number } {
  const fields = statFields(pid);
  return { userSeconds: Number(fields[11]) / CLK_TCK, systemSeconds: Number(fields[12]) / CLK_TCK };
}

/** utime + stime of the process (all its threads), seconds. */
export function cpuSeconds(pid: number): number {
  const t = cpuTimes(pid);
  return t.userSeconds + t.systemSeconds;
}

/**
 * CPU seconds of this process's children that have exited and been waited for (cutime + cstime of
 * /proc/self/stat): around a client run (kcat, a Kafka tool), the client's own CPU. The servers
 * are children too but still running, so they do not count until they exit.
 */
export function exitedChildrenCpuSeconds(): number {
  const fields = statFields('self');
  return (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
}

/** CPU seconds the whole machine was busy (every state of /proc/stat's cpu line but idle and iowait). */
export function machineBusySeconds(): number {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (f.reduce((a, b) => a + b, 0) - f[3]! - f[4]!) / CLK_TCK;
}

/** VmHWM: the process's peak resident set so far, MB (10^6 bytes). */
export function rssPeakMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`/proc/${pid}/status has no VmHWM line`);
  return (Number(m[1]) * 1024) / 1e6;
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

const BATCH_HEADER_BYTES = 12;

function batchBytes(path: string): number {
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(BATCH_HEADER_BYTES);
    let pos = 0;
    while (pos + BATCH_HEADER_BYTES <= size && fs.readSync(fd, head, 0, BATCH_HEADER_BYTES, pos) === BATCH_HEADER_BYTES) {
      const length = head.readInt32BE(8);
      if (length <= 0 || pos + BATCH_HEADER_BYTES + length > size) break;
      pos += BATCH_HEADER_BYTES + length;
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
