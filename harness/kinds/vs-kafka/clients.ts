/**
 * The clients of the Kafka comparison, the same binaries against both servers: kcat (librdkafka
 * 2.0.2, Debian's; harness/clients/kcat.ts) producing from the record files made here and
 * consuming to a line counter, and Apache Kafka's own ProducerPerformance / ConsumerPerformance / EndToEndLatency (the pinned peer's jars,
 * run with the JVM flags of Kafka's perf-test scripts). Every run is bounded by a timeout and a
 * non-zero exit (or kcat's error lines) fails it with the tool's stderr.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { writeRecordValues } from '../../clients/kafka-target.js';
import { KAFKA_MAIN, kafkaScriptJvmFlags, runKafkaTool } from '../../peers/kafka/kafka-peer.js';

const CLIENT_TIMEOUT_MS = 900_000;
/** Values in ProducerPerformance's --payload-file: it draws one of them at random per record. */
const PAYLOAD_VALUES = 10_000;
/** Kafka's perf-test scripts run with KAFKA_HEAP_OPTS="-Xmx512M". */
const TOOL_JVM_FLAGS = kafkaScriptJvmFlags({ xmx: '512M' });

/**
 * A file of `records` values of `recordBytes` each, one per line (kcat -P -l reads it; the first
 * PAYLOAD_VALUES lines are ProducerPerformance's --payload-file), made once per run and shape.
 */
export class RecordFiles {
  private readonly made = new Map<string, string>();
  constructor(private readonly dir: string) {}

  get(records: number, recordBytes: number): string {
    const key = `${records}x${recordBytes}`;
    let path = this.made.get(key);
    if (path) return path;
    fs.mkdirSync(this.dir, { recursive: true });
    path = join(this.dir, `records-${key}.txt`);
    writeRecordValues(path, records, recordBytes);
    this.made.set(key, path);
    return path;
  }

  payloadFile(recordBytes: number): string {
    return this.get(PAYLOAD_VALUES, recordBytes);
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface ProducerPerfResult {
  records: number;
  recordsPerSecond: number;
  latencyMsAvg: number;
  latencyMsMax: number;
  latencyMsP50: number;
  latencyMsP95: number;
  latencyMsP99: number;
  latencyMsP999: number;
  /** producer-metrics request-total, with --print-metrics. */
  requests?: number;
}

/** ProducerPerformance's summary line, e.g. `2000 records sent, 512.3 records/sec (0.05 MB/sec), 1.20 ms avg latency, ...`. */
export function parseProducerPerformance(stdout: string): ProducerPerfResult {
  const m = /^(\d+) records sent, ([\d.]+) records\/sec \([\d.]+ MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$/m.exec(stdout);
  if (!m) throw new Error(`ProducerPerformance: no summary line in its output: ${stdout.slice(-1000)}`);
  const n = m.slice(1).map(Number);
  const requests = /^producer-metrics:request-total:\{[^}]*\}\s*:\s*([\d.]+)/m.exec(stdout);
  return {
    records: n[0]!, recordsPerSecond: n[1]!, latencyMsAvg: n[2]!, latencyMsMax: n[3]!,
    latencyMsP50: n[4]!, latencyMsP95: n[5]!, latencyMsP99: n[6]!, latencyMsP999: n[7]!,
    ...(requests ? { requests: Number(requests[1]) } : {}),
  };
}

export interface ProducerPerf {
  bootstrap: string;
  topic: string;
  records: number;
  payloadFile: string;
  acks: '1' | 'all';
  codec: 'none' | 'lz4';
  throughput?: number;
  printMetrics?: boolean;
}

/** ProducerPerformance --throughput -1 (or a rate), values drawn from the payload file. */
export async function producerPerformance(p: ProducerPerf): Promise<ProducerPerfResult> {
  const args = ['--topic', p.topic, '--num-records', String(p.records), '--payload-file', p.payloadFile, '--throughput', String(p.throughput ?? -1),
    '--producer-props', `bootstrap.servers=${p.bootstrap}`, `acks=${p.acks}`, `compression.type=${p.codec}`];
  if (p.printMetrics) args.push('--print-metrics');
  const r = await runKafkaTool(KAFKA_MAIN.producerPerformance, args, { jvmFlags: TOOL_JVM_FLAGS, timeoutMs: CLIENT_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`ProducerPerformance exited ${r.code ?? r.signal}: ${(r.stderr || r.stdout).slice(-2000)}`);
  const out = parseProducerPerformance(r.stdout);
  if (out.records !== p.records) throw new Error(`ProducerPerformance sent ${out.records} of ${p.records} records`);
  return out;
}

export interface ConsumerPerfResult {
  records: number;
  /** fetch.time.ms: the consuming, without the group join (rebalance.time.ms). */
  fetchSeconds: number;
  rebalanceSeconds: number;
  /** Fetch requests sent (consumer-fetch-manager-metrics fetch-total), with --print-metrics. */
  requests?: number;
}

/** The data line of ConsumerPerformance: start, end, MB, MB/s, nMsg, nMsg/s, rebalance ms, fetch ms, ... */
export function parseConsumerPerformance(stdout: string): ConsumerPerfResult {
  const lines = stdout.split('\n');
  const header = lines.findIndex((l) => l.startsWith('start.time,'));
  const row = header >= 0 ? lines[header + 1]?.split(',').map((x) => x.trim()) : undefined;
  if (!row || row.length < 8) throw new Error(`ConsumerPerformance: no data line in its output: ${stdout.slice(-1000)}`);
  // the Java consumer prints no request-total; its Fetch requests are what a consumer sends (the
  // group's join, sync, heartbeat and commit requests are a handful)
  const requests = /^consumer-fetch-manager-metrics:fetch-total:\{[^}]*\}\s*:\s*([\d.]+)/m.exec(stdout);
  return {
    records: Number(row[4]),
    rebalanceSeconds: Number(row[6]) / 1000,
    fetchSeconds: Number(row[7]) / 1000,
    ...(requests ? { requests: Number(requests[1]) } : {}),
  };
}

export async function consumerPerformance(bootstrap: string, topic: string, records: number, printMetrics = false): Promise<ConsumerPerfResult> {
  const args = ['--bootstrap-server', bootstrap, '--topic', topic, '--messages', String(records), '--timeout', '120000', '--group', `vs-kafka-${topic}-${Date.now()}`];
  if (printMetrics) args.push('--print-metrics');
  const r = await runKafkaTool(KAFKA_MAIN.consumerPerformance, args, { jvmFlags: TOOL_JVM_FLAGS, timeoutMs: CLIENT_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`ConsumerPerformance exited ${r.code ?? r.signal}: ${(r.stderr || r.stdout).slice(-2000)}`);
  const out = parseConsumerPerformance(r.stdout);
  if (out.records !== records) throw new Error(`ConsumerPerformance read ${out.records} of ${records} records`);
  return out;
}

export interface EndToEndToolResult {
  latencyMsAvg: number;
  latencyMsP50: number;
  latencyMsP99: number;
  latencyMsP999: number;
}

/** EndToEndLatency: `Avg latency: X ms` and `Percentiles: 50th = A, 99th = B, 99.9th = C` (whole ms). */
export function parseEndToEndLatency(stdout: string): EndToEndToolResult {
  const avg = /Avg latency: ([\d.]+) ms/.exec(stdout);
  const p = /Percentiles: 50th = (\d+), 99th = (\d+), 99\.9th = (\d+)/.exec(stdout);
  if (!avg || !p) throw new Error(`EndToEndLatency: no latency lines in its output: ${stdout.slice(-1000)}`);
  return { latencyMsAvg: Number(avg[1]), latencyMsP50: Number(p[1]), latencyMsP99: Number(p[2]), latencyMsP999: Number(p[3]) };
}

/** EndToEndLatency: one record in flight at a time, produced then polled back (acks=1). */
export async function endToEndLatencyTool(bootstrap: string, topic: string, records: number, recordBytes: number): Promise<EndToEndToolResult> {
  const r = await runKafkaTool(KAFKA_MAIN.endToEndLatency, [bootstrap, topic, String(records), '1', String(recordBytes)], { jvmFlags: TOOL_JVM_FLAGS, timeoutMs: CLIENT_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`EndToEndLatency exited ${r.code ?? r.signal}: ${(r.stderr || r.stdout).slice(-2000)}`);
  return parseEndToEndLatency(r.stdout);
}
