/**
 * One size of the scale workload on one server: a fresh node, a topic of N partitions made by
 * CreateTopics over the wire, the node idle, kcat producing over every partition, then a clean
 * stop, a start, a SIGKILL and a start. Every figure is of the server process alone (/proc of its
 * pid, harness/proc.ts); the harness's own process and kcat's are never counted as the server's.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { createTopic } from '../../clients/kafka-admin.js';
import { cpuSeconds, exitedChildrenCpuSeconds, machineBusySeconds, openDescriptors, rssBytes } from '../../proc.js';
import { round } from '../../stats.js';
import type { Metrics } from '../../results.js';
import { kcatProduce } from '../../clients/kcat.js';
import type { RecordFiles } from '../vs-kafka/clients.js';
import { makeServer, partitionDirs, timedStart, waitAllListed, type ScaleServer, type ScaleTarget } from './servers.js';

export const TOPIC = 'scale';

export interface ScaleSizes {
  /** Records the timed produce writes, spread over every partition. */
  produceRecords: number;
  /** Records produced before it, not measured (JIT, the client's metadata, first segments). */
  warmupRecords: number;
  recordBytes: number;
  codec: 'none' | 'lz4';
  /** How long the node is left alone after the create before its memory and descriptors are read. */
  idleSeconds: number;
  /** The most one size may take on one server, every phase included; past it that server stops growing. */
  budgetSeconds: number;
}

export interface SizeRun {
  target: ScaleTarget;
  partitions: number;
  dir: string;
  sizes: ScaleSizes;
  files: RecordFiles;
  kafkaHeap: string;
  engine: string;
  log: (line: string) => void;
}

/** What the run noticed beside the figures (an unclean stop, the client at its limit). */
export interface SizeResult {
  metrics: Metrics;
  notes: string[];
}

/** The phase that took the size past its budget, or a server that failed, named for the report. */
export class SizeFailed extends Error {
  constructor(readonly phase: string, message: string) {
    super(`${phase}: ${message}`);
  }
}

/** A process that used at least this share of one core over a phase was that phase's limit. */
const BUSY_LIMIT = 0.9;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measureSize(r: SizeRun): Promise<SizeResult> {
  const deadline = performance.now() + r.sizes.budgetSeconds * 1000;
  const left = () => Math.max(1000, deadline - performance.now());
  const server = await makeServer(r.target, { dir: r.dir, kafkaHeap: r.kafkaHeap, engine: r.engine, readyTimeoutMs: r.sizes.budgetSeconds * 1000 });
  const m: Metrics = {};
  const notes: string[] = [];
  let phase = 'start';
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    phase = name;
    const value = await fn();
    if (performance.now() > deadline) throw new SizeFailed(name, `the size took longer than its budget of ${r.sizes.budgetSeconds} s`);
    r.log(`    ${r.target} ${r.partitions}: ${name} done (load ${os.loadavg()[0]!.toFixed(1)})`);
    return value;
  };
  try {
    await step('start', () => timedStart(server, null, 0, deadline));
    await step('idle empty', () => sleep(r.sizes.idleSeconds * 1000));
    const empty = { rss: rssBytes(server.pid()), fds: openDescriptors(server.pid()) };
    await step('create', () => create(server, r.partitions, deadline, left, m));
    await step('idle', () => sleep(r.sizes.idleSeconds * 1000));
    idle(server, r.partitions, empty, m);
    await step('produce', () => produce(server, r, m, notes));
    await step('stop', async () => {
      const s = await server.stop(left());
      m['shutdown.seconds'] = round(s.seconds);
      if (!s.clean) notes.push(`shutdown was not clean: ${s.how}`);
    });
    m['startup.clean.seconds'] = round(await step('start after clean stop', () => timedStart(server, TOPIC, r.partitions, deadline)));
    await step('kill', () => server.kill());
    m['startup.afterKill.seconds'] = round(await step('start after SIGKILL', () => timedStart(server, TOPIC, r.partitions, deadline)));
    await server.stop(left());
    return { metrics: m, notes };
  } catch (e) {
    if (e instanceof SizeFailed) throw e;
    throw new SizeFailed(phase, (e as Error).message.slice(0, 1500));
  } finally {
    await server.remove();
  }
}

/** CreateTopics answered, Metadata listing every partition, and every partition directory on disk. */
async function create(server: ScaleServer, partitions: number, deadline: number, left: () => number, m: Metrics): Promise<void> {
  const t0 = performance.now();
  await createTopic([{ host: '127.0.0.1', port: server.port }], { name: TOPIC, partitions, replicationFactor: 1, configs: {} }, Math.min(left(), 2 ** 31 - 1));
  const answered = performance.now();
  const listed = await waitAllListed(server.port, TOPIC, partitions, deadline);
  // Kafka answers once the controller has the topic and makes the logs behind the answer
  while (partitionDirs(server.logDir, TOPIC) < partitions) {
    if (performance.now() > deadline) throw new Error(`${partitionDirs(server.logDir, TOPIC)} of ${partitions} partition directories in ${server.logDir}`);
    await sleep(50);
  }
  const onDisk = performance.now();
  m['create.seconds'] = round((answered - t0) / 1000);
  m['create.listed.seconds'] = round((listed - t0) / 1000);
  m['create.onDisk.seconds'] = round((onDisk - t0) / 1000);
  m['create.msPerPartition'] = round((Math.max(answered, listed, onDisk) - t0) / partitions);
}

/** The idle node's resident set and descriptors, absolute and per partition over the empty node's. */
function idle(server: ScaleServer, partitions: number, empty: { rss: number; fds: number }, m: Metrics): void {
  const pid = server.pid();
  const rss = rssBytes(pid);
  const fds = openDescriptors(pid);
  m['idle.rssBytes'] = rss;
  m['idle.descriptors'] = fds;
  m['idle.rssBytesPerPartition'] = round((rss - empty.rss) / partitions);
  m['idle.descriptorsPerPartition'] = round((fds - empty.fds) / partitions);
}

/**
 * kcat over every partition: no key and sticky partitioning off, so librdkafka's partitioner
 * picks a partition per record at random. A warm-up first, then the timed run; the server's CPU
 * (its /proc) and kcat's (this process's exited children) over the timed run say which was busy.
 */
async function produce(server: ScaleServer, r: SizeRun, m: Metrics, notes: string[]): Promise<void> {
  const bootstrap = `127.0.0.1:${server.port}`;
  const config = { 'sticky.partitioning.linger.ms': '0' };
  const p = { bootstrap, topic: TOPIC, codec: r.sizes.codec, acks: 1 as const, config };
  await kcatProduce({ ...p, file: r.files.get(r.sizes.warmupRecords, r.sizes.recordBytes) });
  const file = r.files.get(r.sizes.produceRecords, r.sizes.recordBytes);
  const pid = server.pid();
  const s0 = cpuSeconds(pid);
  const c0 = exitedChildrenCpuSeconds();
  const b0 = machineBusySeconds();
  const seconds = await kcatProduce({ ...p, file });
  const serverCpu = cpuSeconds(pid) - s0;
  const clientCpu = exitedChildrenCpuSeconds() - c0;
  const machineBusy = machineBusySeconds() - b0;
  const gb = (r.sizes.produceRecords * r.sizes.recordBytes) / 1e9;
  m['produce.seconds'] = round(seconds);
  m['produce.recordsPerSec'] = round(r.sizes.produceRecords / seconds);
  m['produce.mbPerSec'] = round((gb * 1000) / seconds);
  m['server.cpuSecondsPerGb'] = round(serverCpu / gb);
  m['client.cpuSecondsPerGb'] = round(clientCpu / gb);
  m['server.busyCores'] = round(serverCpu / seconds);
  m['client.busyCores'] = round(clientCpu / seconds);
  m['machine.busyCores'] = round(machineBusy / seconds);
  m['produce.descriptors'] = openDescriptors(pid);
  notes.push(produceLimit(clientCpu / seconds, serverCpu / seconds, machineBusy / seconds, os.cpus().length));
}

/** Which process held the produce back: kcat or the server at a full core, or the machine's cores all busy. */
function produceLimit(client: number, server: number, machine: number, cores: number): string {
  const f = (x: number) => x.toFixed(2);
  if (client >= BUSY_LIMIT) return `produce limit: kcat (${f(client)} of a core)`;
  if (server >= BUSY_LIMIT) return `produce limit: the server (${f(server)} cores; strata's event loop is one thread)`;
  if (machine >= BUSY_LIMIT * cores) return `produce limit: the machine (${f(machine)} of ${cores} cores busy; kcat ${f(client)}, server ${f(server)})`;
  return `produce limit: neither process at a full core (kcat ${f(client)}, server ${f(server)}, machine ${f(machine)} of ${cores}): waits for acknowledgements`;
}
