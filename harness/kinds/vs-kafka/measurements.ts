/**
 * The workloads of the Kafka comparison, each run against one started server (Kafka or strata
 * serve) with the same clients, data and sizes; every measurement is one row of metrics with the
 * server process's CPU seconds (utime + stime from /proc, all its threads) around it.
 *
 *   (a) max-rate produce, 100-byte records, lz4, acks=1: kcat and ProducerPerformance
 *   (b) 1 KiB records, acks=all (-1), codec none: 1 kcat, 16 kcat instances at once, and
 *       ProducerPerformance (1 producer, for its latency percentiles)
 *   (c) end-to-end latency: kcat producer at a fixed 50,000 records/s, kcat consumer stamping
 *       arrival (harness/clients/kafka-target.ts); and Kafka's EndToEndLatency tool, one record in flight
 *   (d) Fetch of the whole topic (1 GB of 10,000-byte records): kcat -C -e and ConsumerPerformance,
 *       each cold (page cache dropped, residency checked with mincore) and then warm
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { runKafkaTarget } from '../../clients/kafka-target.js';
import { dropPages, residency } from '../../os-probes.js';
import { kcatConsume, kcatProduce } from '../../clients/kcat.js';
import { consumerPerformance, endToEndLatencyTool, producerPerformance, type RecordFiles } from './clients.js';
import { cpuSeconds, ensureTopics, exitedChildrenCpuSeconds, segmentFiles, type ServerUnderTest } from './servers.js';

export const WORKLOADS = ['a', 'b', 'c', 'd'] as const;
export type WorkloadId = (typeof WORKLOADS)[number];

export interface Sizes {
  warmupRecords: number;
  /** (a): 100-byte records per run, for kcat and for ProducerPerformance. */
  produceRecords: number;
  /** (b): 1 KiB records per run, in all (the 16 producers share them). */
  acksAllRecords: number;
  acksAllProducers: number;
  /** (c) */
  e2eRatePerSecond: number;
  e2eSeconds: number;
  e2eToolRecords: number;
  /** (d) */
  fetchBytes: number;
  fetchRecordBytes: number;
}

export const FULL_SIZES: Sizes = {
  warmupRecords: 400_000,
  produceRecords: 2_000_000,
  acksAllRecords: 200_000,
  acksAllProducers: 16,
  e2eRatePerSecond: 50_000,
  e2eSeconds: 20,
  e2eToolRecords: 5_000,
  fetchBytes: 1e9,
  fetchRecordBytes: 10_000,
};

/** Tiny: for development on a busy machine and for the test; the figures mean little. */
export const QUICK_SIZES: Sizes = {
  warmupRecords: 5_000,
  produceRecords: 20_000,
  acksAllRecords: 4_000,
  acksAllProducers: 16,
  e2eRatePerSecond: 50_000,
  e2eSeconds: 1,
  e2eToolRecords: 200,
  fetchBytes: 20e6,
  fetchRecordBytes: 10_000,
};

export interface Row {
  /** e.g. `a.kcat`; the same id on every target, so rows pair up into ratios. */
  id: string;
  metrics: Record<string, number>;
  notes?: string[];
}

export interface ColdCache {
  method: 'drop_caches' | 'posix_fadvise';
  /** Fraction of the topic's segment bytes in the page cache just before the cold read (mincore). */
  residentFraction: number;
}

export const CLIENTS = ['kcat', 'java'] as const;
export type ClientKind = (typeof CLIENTS)[number];

export interface WorkloadContext {
  server: ServerUnderTest;
  /** kcat, and/or Kafka's Java tools (ProducerPerformance, ConsumerPerformance, EndToEndLatency). */
  clients: readonly ClientKind[];
  files: RecordFiles;
  sizes: Sizes;
  coldMethod: 'drop_caches' | 'posix_fadvise';
  log: (line: string) => void;
}

/** Runs `fn`, returning its result, the server's CPU seconds over it and its clients' (exited children's). */
async function withServerCpu<T>(server: ServerUnderTest, fn: () => Promise<T>): Promise<{ value: T; cpu: number; clientCpu: number }> {
  const c0 = cpuSeconds(server.pid);
  const k0 = exitedChildrenCpuSeconds();
  const value = await fn();
  return { value, cpu: cpuSeconds(server.pid) - c0, clientCpu: exitedChildrenCpuSeconds() - k0 };
}

function produceMetrics(records: number, recordBytes: number, seconds: number, cpu: number, clientCpu: number): Record<string, number> {
  const bytes = records * recordBytes;
  return {
    recordsPerSecond: records / seconds,
    mbPerSecond: bytes / 1e6 / seconds,
    serverCpuSeconds: cpu,
    serverCpuSecondsPerGb: cpu / (bytes / 1e9),
    clientCpuSecondsPerGb: clientCpu / (bytes / 1e9),
  };
}

/** ProducerPerformance at max rate: the row's produce figures and the tool's latency percentiles. */
async function producerPerfRow(ctx: WorkloadContext, id: string, o: { topic: string; records: number; recordBytes: number; acks: '1' | 'all'; codec: 'none' | 'lz4' }): Promise<Row> {
  const { server } = ctx;
  const p = await withServerCpu(server, () => producerPerformance({ bootstrap: server.bootstrap, topic: o.topic, records: o.records, payloadFile: ctx.files.payloadFile(o.recordBytes), acks: o.acks, codec: o.codec }));
  const { records: _r, requests: _q, ...latency } = p.value;
  return { id, metrics: { ...produceMetrics(o.records, o.recordBytes, o.records / p.value.recordsPerSecond, p.cpu, p.clientCpu), ...latency } };
}

/** Not measured: a fresh server's first seconds are JIT compilation (JVM and V8 alike). */
export async function warmUp(ctx: WorkloadContext): Promise<void> {
  const file = ctx.files.get(ctx.sizes.warmupRecords, 100);
  await ensureTopics(ctx.server.bootstrap, ['warmup']);
  await kcatProduce({ bootstrap: ctx.server.bootstrap, topic: 'warmup', file, codec: 'lz4', acks: 1 });
  await kcatConsume(ctx.server.bootstrap, 'warmup', ctx.sizes.warmupRecords);
}

async function workloadA(ctx: WorkloadContext): Promise<Row[]> {
  const { server, sizes } = ctx;
  const n = sizes.produceRecords;
  const file = ctx.files.get(n, 100);
  await ensureTopics(server.bootstrap, ['a-kcat', 'a-perf']);
  const rows: Row[] = [];
  if (ctx.clients.includes('kcat')) {
    const k = await withServerCpu(server, () => kcatProduce({ bootstrap: server.bootstrap, topic: 'a-kcat', file, codec: 'lz4', acks: 1 }));
    rows.push({ id: 'a.kcat', metrics: produceMetrics(n, 100, k.value, k.cpu, k.clientCpu) });
  }
  if (ctx.clients.includes('java')) {
    rows.push(await producerPerfRow(ctx, 'a.producer-perf', { topic: 'a-perf', records: n, recordBytes: 100, acks: '1', codec: 'lz4' }));
  }
  return rows;
}

async function workloadB(ctx: WorkloadContext): Promise<Row[]> {
  const { server, sizes } = ctx;
  const n = sizes.acksAllRecords;
  const producers = sizes.acksAllProducers;
  await ensureTopics(server.bootstrap, ['b-kcat-1', `b-kcat-${producers}`, 'b-perf']);
  const rows: Row[] = [];
  if (ctx.clients.includes('kcat')) {
    const one = await withServerCpu(server, () => kcatProduce({ bootstrap: server.bootstrap, topic: 'b-kcat-1', file: ctx.files.get(n, 1024), codec: 'none', acks: -1 }));
    rows.push({ id: 'b.kcat-1', metrics: produceMetrics(n, 1024, one.value, one.cpu, one.clientCpu) });
    const each = Math.ceil(n / producers);
    const shared = ctx.files.get(each, 1024);
    const many = await withServerCpu(server, async () => {
      const t0 = performance.now();
      await Promise.all(Array.from({ length: producers }, () => kcatProduce({ bootstrap: server.bootstrap, topic: `b-kcat-${producers}`, file: shared, codec: 'none', acks: -1 })));
      return (performance.now() - t0) / 1000;
    });
    rows.push({ id: `b.kcat-${producers}`, metrics: produceMetrics(each * producers, 1024, many.value, many.cpu, many.clientCpu) });
  }
  if (ctx.clients.includes('java')) {
    rows.push(await producerPerfRow(ctx, 'b.producer-perf', { topic: 'b-perf', records: n, recordBytes: 1024, acks: 'all', codec: 'none' }));
  }
  return rows;
}

async function workloadC(ctx: WorkloadContext): Promise<Row[]> {
  const { server, sizes } = ctx;
  const rate = sizes.e2eRatePerSecond;
  const rows: Row[] = [];
  if (ctx.clients.includes('kcat')) {
    const e = await withServerCpu(server, () => runKafkaTarget({
      url: `kafka://${server.bootstrap}`, topic: 'c-kcat', records: 1, recordBytes: 100, codec: 'none', acks: 1,
      endToEndRatePerSecond: rate, endToEndRecords: rate * sizes.e2eSeconds, kcatConfig: { 'socket.nagle.disable': 'true' },
    }));
    const l = e.value.endToEnd!;
    const notes = l.achievedRatePerSecond < 0.95 * rate ? [`the producer reached ${Math.round(l.achievedRatePerSecond)} of ${rate} records/s`] : [];
    rows.push({ id: 'c.kcat-fixed-rate', metrics: { latencyMsP50: l.p50Ms, latencyMsP99: l.p99Ms, latencyMsP999: l.p999Ms, latencyMsMax: l.maxMs, achievedRecordsPerSecond: l.achievedRatePerSecond, serverCpuSeconds: e.cpu }, notes });
  }
  if (ctx.clients.includes('java')) {
    const tool = await withServerCpu(server, () => endToEndLatencyTool(server.bootstrap, 'c-e2e-tool', sizes.e2eToolRecords, 100));
    rows.push({ id: 'c.end-to-end-latency-tool', metrics: { ...tool.value, serverCpuSeconds: tool.cpu } });
  }
  return rows;
}

/**
 * Leaves the topic's segment files out of the page cache: `sync` (dirty pages are never dropped),
 * then `echo 3 > /proc/sys/vm/drop_caches` (root), or posix_fadvise(DONTNEED) on each segment file
 * (native addon, or dd iflag=nocache) when asked or when drop_caches cannot be written. The
 * residency left is measured with mincore and reported beside the figure.
 */
export async function makeCold(server: ServerUnderTest, topic: string, method: ColdCache['method']): Promise<ColdCache> {
  const { paths, bytes: dataBytes } = segmentFiles(server.logDir, topic);
  execFileSync('sync');
  let used = method;
  if (method === 'drop_caches') {
    try {
      fs.writeFileSync('/proc/sys/vm/drop_caches', '3\n');
    } catch {
      used = 'posix_fadvise';
    }
  }
  if (used === 'posix_fadvise') await dropPages(paths);
  const r = await residency(paths);
  // of the data, not of the file: a preallocated segment's unwritten tail has no pages
  return { method: used, residentFraction: dataBytes > 0 ? Math.min(1, r.residentBytes / dataBytes) : 0 };
}

async function workloadD(ctx: WorkloadContext): Promise<Row[]> {
  const { server, sizes } = ctx;
  const records = Math.round(sizes.fetchBytes / sizes.fetchRecordBytes);
  const topic = 'd-fetch';
  await ensureTopics(server.bootstrap, [topic]);
  const produced = await withServerCpu(server, () => kcatProduce({ bootstrap: server.bootstrap, topic, file: ctx.files.get(records, sizes.fetchRecordBytes), codec: 'none', acks: 1 }));
  const { bytes: logBytes } = segmentFiles(server.logDir, topic);
  const rows: Row[] = [{ id: 'd.produce', metrics: produceMetrics(records, sizes.fetchRecordBytes, produced.value, produced.cpu, produced.clientCpu) }];
  const fetchMetrics = (seconds: number, cpu: number, clientCpu: number, cold?: ColdCache) => ({
    recordsPerSecond: records / seconds,
    mbPerSecond: logBytes / 1e6 / seconds,
    serverCpuSeconds: cpu,
    serverCpuSecondsPerGb: cpu / (logBytes / 1e9),
    clientCpuSecondsPerGb: clientCpu / (logBytes / 1e9),
    logBytes,
    ...(cold ? { residentFractionBefore: cold.residentFraction } : {}),
  });
  const consumers: [string, () => Promise<number>][] = [];
  if (ctx.clients.includes('kcat')) consumers.push(['kcat', () => kcatConsume(server.bootstrap, topic, records)]);
  if (ctx.clients.includes('java')) consumers.push(['consumer-perf', async () => (await consumerPerformance(server.bootstrap, topic, records)).fetchSeconds]);
  for (const [name, consume] of consumers) {
    const cold = await makeCold(server, topic, ctx.coldMethod);
    const c = await withServerCpu(server, consume);
    const notes = [`page cache dropped by ${cold.method}`];
    // pages mapped by the server (the mmap engine's segments) are neither dropped nor advised away
    if (cold.residentFraction > 0.05) notes.push(`not cold: ${(cold.residentFraction * 100).toFixed(0)}% of the data stayed resident (pages mapped by the server are not dropped)`);
    rows.push({ id: `d.${name}-cold`, metrics: fetchMetrics(c.value, c.cpu, c.clientCpu, cold), notes });
    const w = await withServerCpu(server, consume);
    rows.push({ id: `d.${name}-warm`, metrics: fetchMetrics(w.value, w.cpu, w.clientCpu) });
  }
  return rows;
}

const RUNNERS: Record<WorkloadId, (ctx: WorkloadContext) => Promise<Row[]>> = { a: workloadA, b: workloadB, c: workloadC, d: workloadD };

export function parseClients(list: string): ClientKind[] {
  const ids = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const id of ids) if (!(CLIENTS as readonly string[]).includes(id)) throw new Error(`--clients: unknown client "${id}" (known: ${CLIENTS.join(', ')})`);
  if (ids.length === 0) throw new Error('--clients: name at least one client');
  return CLIENTS.filter((c) => ids.includes(c));
}

export function parseWorkloads(list: string): WorkloadId[] {
  const ids = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const id of ids) if (!(WORKLOADS as readonly string[]).includes(id)) throw new Error(`--workloads: unknown workload "${id}" (known: ${WORKLOADS.join(', ')})`);
  return WORKLOADS.filter((w) => ids.includes(w));
}

export async function runWorkload(id: WorkloadId, ctx: WorkloadContext): Promise<Row[]> {
  return RUNNERS[id](ctx);
}
