/**
 * A produce/consume workload against any Kafka-protocol endpoint (`kafka://HOST:PORT`): strata
 * serve, or a real Kafka broker for comparison (`strata bench --target`, the vs-kafka workload's
 * fixed-rate end-to-end row). kcat runs through harness/clients/kcat.ts.
 *
 * Clients: `kcat` (librdkafka 2.0.2, every codec, the fast path: max-rate produce reads a prepared
 * file with `kcat -P -l`) and `kafkajs` (pure JS, none/gzip, a consumer group). End-to-end latency
 * runs kcat producer and consumer at a fixed rate: each value carries its send time (epoch
 * microseconds), written to the producer's stdin on schedule and compared with the time the line
 * comes out of the consumer. That latency includes both kcat processes and their pipes, so it is
 * an upper bound on the broker's share.
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { StrataError } from '../../core/errors.js';
import { percentile } from '../stats.js';
import { parseBootstrapUrl } from './kafka-admin.js';
import { kcatConfigArgs, kcatConsume, kcatProduce, startKcat } from './kcat.js';

export type TargetCodec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface KafkaTargetOptions {
  /** kafka://HOST:PORT, or a cluster's kafka://HOST:PORT,HOST:PORT,... */
  url: string;
  topic: string;
  records: number;
  /** Value bytes per record (>= 24: sequence and timestamp prefix). */
  recordBytes: number;
  codec?: TargetCodec;
  acks?: 0 | 1 | -1;
  client?: 'kcat' | 'kafkajs';
  /** Read everything back after producing and check the count. */
  consume?: boolean;
  /** Records per second for the end-to-end latency run (kcat only); 0 = no latency run. */
  endToEndRatePerSecond?: number;
  /** Records in the latency run (default: min(records, 20 s at the rate)). */
  endToEndRecords?: number;
  /** Extra librdkafka properties for kcat (-X key=value). */
  kcatConfig?: Record<string, string>;
  kcatPath?: string;
  /** Per child process; the run fails rather than hangs. */
  timeoutMs?: number;
}

export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export interface KafkaTargetResult {
  client: 'kcat' | 'kafkajs';
  records: number;
  recordBytes: number;
  codec: TargetCodec;
  acks: number;
  produceSeconds: number;
  produceRecordsPerSecond: number;
  produceMBPerSecond: number;
  consumedRecords?: number;
  consumeSeconds?: number;
  consumeRecordsPerSecond?: number;
  endToEnd?: LatencySummary & { ratePerSecond: number; achievedRatePerSecond: number };
}

export function parseKafkaUrl(url: string): { host: string; port: number; bootstrap: string } {
  const m = /^kafka:\/\/([^/:]+|\[[^\]]+\]):(\d{1,5})\/?$/.exec(url);
  if (!m || Number(m[2]) > 65535) throw new StrataError('INVALID_ARGUMENT', `target "${url}" is not kafka://HOST:PORT`);
  return { host: m[1]!, port: Number(m[2]), bootstrap: `${m[1]}:${m[2]}` };
}

/** Deterministic printable values: an 8-digit sequence, then filler from a sliding window. */
export function recordValue(i: number, recordBytes: number): string {
  const base = 'strata kafka target workload: the quick brown fox jumps over the lazy dog 0123456789 ';
  let s = String(i % 1e8).padStart(8, '0') + ' ';
  while (s.length < recordBytes) s += base.slice((i * 7) % base.length) + base;
  return s.slice(0, recordBytes);
}

function writeRecordsFile(records: number, recordBytes: number): string {
  const path = join(fs.mkdtempSync(join(tmpdir(), 'strata-kafka-target-')), 'records.txt');
  writeRecordValues(path, records, recordBytes);
  return path;
}

/** `records` lines of recordValue(i, recordBytes) into `path`: what `kcat -P -l` reads. */
export function writeRecordValues(path: string, records: number, recordBytes: number): void {
  const fd = fs.openSync(path, 'w');
  try {
    const chunk: string[] = [];
    for (let i = 0; i < records; i++) {
      chunk.push(recordValue(i, recordBytes));
      if (chunk.length === 10_000 || i === records - 1) {
        fs.writeSync(fd, chunk.join('\n') + '\n');
        chunk.length = 0;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

function summarizeLatencies(samples: Float64Array): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  return { samples: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), p999Ms: percentile(sorted, 99.9), maxMs: sorted[sorted.length - 1] ?? NaN };
}

/** Fixed-rate kcat producer into `topic` with a kcat consumer tailing it: latency per record. */
export async function kcatEndToEnd(kcat: string, bootstrap: string, topic: string, opts: { records: number; recordBytes: number; rate: number; codec: string; acks: number; config: Record<string, string>; timeoutMs: number }): Promise<KafkaTargetResult['endToEnd']> {
  const latencies = new Float64Array(opts.records);
  let received = 0;
  let partial = '';
  let finished: () => void = () => {};
  const allIn = new Promise<void>((resolve) => (finished = resolve));
  const nowMicros = () => (performance.timeOrigin + performance.now()) * 1000;
  // one record first: creates the topic (brokers auto-create on a producer's metadata request,
  // not a consumer's) so the consumer can start at its end
  const warm = startKcat(['-P', '-b', bootstrap, '-t', topic, '-X', `acks=${opts.acks}`], { kcat, timeoutMs: opts.timeoutMs });
  warm.child.stdin!.end('0000000000000000 warm-up\n');
  const warmed = await warm.done;
  if (warmed.code !== 0) throw new Error(`kcat warm-up producer exited ${warmed.code}: ${warmed.stderr.trim()}`);
  const consumer = startKcat(['-C', '-b', bootstrap, '-t', topic, '-o', 'end', '-q', '-u', '-X', 'fetch.wait.max.ms=100', '-X', 'fetch.error.backoff.ms=10', ...kcatConfigArgs(opts.config)], { kcat, timeoutMs: opts.timeoutMs, onStdout: (chunk) => {
    const at = nowMicros();
    const text = partial + chunk.toString('latin1');
    const parts = text.split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      const sent = Number(line.slice(0, 16));
      if (received < latencies.length && Number.isFinite(sent)) latencies[received++] = (at - sent) / 1000;
      if (received === latencies.length) finished();
    }
  } });
  // let the consumer reach the log end before the clock starts
  await new Promise((r) => setTimeout(r, 2000));
  const producer = startKcat(['-P', '-b', bootstrap, '-t', topic, '-z', opts.codec, '-X', `acks=${opts.acks}`, '-X', 'linger.ms=0', ...kcatConfigArgs(opts.config)], { kcat, timeoutMs: opts.timeoutMs });
  const filler = recordValue(0, opts.recordBytes).slice(17);
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(opts.records, Math.floor(((performance.now() - start) / 1000) * opts.rate));
      if (due > sent) {
        const lines: string[] = [];
        const ts = String(Math.floor(nowMicros())).padStart(16, '0');
        for (; sent < due; sent++) lines.push(ts + ' ' + filler);
        producer.child.stdin!.write(lines.join('\n') + '\n');
      }
      if (sent >= opts.records) resolve();
      // a 1 ms timer, not a busy loop: the machine is small and the broker needs the CPU
      else setTimeout(tick, 1);
    };
    tick();
  });
  const achievedRatePerSecond = opts.records / ((performance.now() - start) / 1000);
  producer.child.stdin!.end();
  // a loaded machine can leave the consumer behind; give it time to catch up (the lag is latency)
  let catchUp: NodeJS.Timeout | undefined;
  await Promise.race([allIn, new Promise((r) => (catchUp = setTimeout(r, 60_000)))]);
  clearTimeout(catchUp); // a pending 60 s timer would keep a CLI process alive that long
  consumer.child.kill('SIGTERM');
  await producer.done;
  await consumer.done;
  if (received < opts.records) throw new Error(`end-to-end run: the consumer received ${received} of ${opts.records} records`);
  return { ...summarizeLatencies(latencies.subarray(0, received)), ratePerSecond: opts.rate, achievedRatePerSecond };
}

async function runKafkajs(bootstrap: string, o: Required<Pick<KafkaTargetOptions, 'topic' | 'records' | 'recordBytes' | 'codec' | 'acks' | 'consume' | 'timeoutMs'>>): Promise<Omit<KafkaTargetResult, 'client' | 'records' | 'recordBytes' | 'codec' | 'acks'>> {
  if (o.codec !== 'none' && o.codec !== 'gzip') throw new StrataError('INVALID_ARGUMENT', `kafkajs has only none and gzip built in, not ${o.codec}; use client kcat`);
  const { Kafka, logLevel, CompressionTypes } = await import('kafkajs');
  const kafka = new Kafka({ clientId: 'strata-kafka-target', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const batch = 1000;
  const t0 = performance.now();
  for (let i = 0; i < o.records; i += batch) {
    const messages = [];
    for (let j = i; j < Math.min(o.records, i + batch); j++) messages.push({ value: recordValue(j, o.recordBytes) });
    await producer.send({ topic: o.topic, messages, acks: o.acks, compression: o.codec === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None });
  }
  const produceSeconds = (performance.now() - t0) / 1000;
  await producer.disconnect();
  const out: Omit<KafkaTargetResult, 'client' | 'records' | 'recordBytes' | 'codec' | 'acks'> = {
    produceSeconds,
    produceRecordsPerSecond: o.records / produceSeconds,
    produceMBPerSecond: (o.records * o.recordBytes) / 1e6 / produceSeconds,
  };
  if (o.consume) {
    const consumer = kafka.consumer({ groupId: `strata-kafka-target-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: [o.topic], fromBeginning: true });
    let n = 0;
    const c0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs consumer read ${n} of ${o.records} records in ${o.timeoutMs} ms`)), o.timeoutMs);
      void consumer.run({
        eachBatch: async ({ batch }) => {
          n += batch.messages.length;
          if (n >= o.records) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    out.consumeSeconds = (performance.now() - c0) / 1000;
    out.consumedRecords = n;
    out.consumeRecordsPerSecond = n / out.consumeSeconds;
    await consumer.disconnect();
  }
  return out;
}

export async function runKafkaTarget(options: KafkaTargetOptions): Promise<KafkaTargetResult> {
  // one server or a cluster's list (kcat -b takes a comma-separated list)
  const bootstrap = parseBootstrapUrl(options.url).map((s) => `${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`).join(',');
  if (!Number.isInteger(options.records) || options.records < 1) throw new StrataError('INVALID_ARGUMENT', `records must be a positive integer, got ${options.records}`);
  if (!Number.isInteger(options.recordBytes) || options.recordBytes < 24 || options.recordBytes > 1_000_000) {
    throw new StrataError('INVALID_ARGUMENT', `recordBytes must be between 24 and 1000000, got ${options.recordBytes}`);
  }
  const client = options.client ?? 'kcat';
  const codec = options.codec ?? 'none';
  const acks = options.acks ?? 1;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const base = { client, records: options.records, recordBytes: options.recordBytes, codec, acks };
  if (client === 'kafkajs') {
    return { ...base, ...(await runKafkajs(bootstrap, { topic: options.topic, records: options.records, recordBytes: options.recordBytes, codec, acks, consume: options.consume ?? false, timeoutMs })) };
  }
  const kcat = options.kcatPath ?? '/usr/bin/kcat';
  const file = writeRecordsFile(options.records, options.recordBytes);
  try {
    const produceSeconds = await kcatProduce({ bootstrap, topic: options.topic, file, codec, acks, config: options.kcatConfig, timeoutMs, kcat });
    const result: KafkaTargetResult = {
      ...base,
      produceSeconds,
      produceRecordsPerSecond: options.records / produceSeconds,
      produceMBPerSecond: (options.records * options.recordBytes) / 1e6 / produceSeconds,
    };
    if (options.consume) {
      result.consumeSeconds = await kcatConsume(bootstrap, options.topic, options.records, { timeoutMs, kcat });
      result.consumedRecords = options.records;
      result.consumeRecordsPerSecond = options.records / result.consumeSeconds;
    }
    if (options.endToEndRatePerSecond && options.endToEndRatePerSecond > 0) {
      result.endToEnd = await kcatEndToEnd(kcat, bootstrap, `${options.topic}-e2e`, {
        records: options.endToEndRecords ?? Math.min(options.records, options.endToEndRatePerSecond * 20),
        recordBytes: options.recordBytes,
        rate: options.endToEndRatePerSecond,
        codec,
        acks,
        config: options.kcatConfig ?? {},
        timeoutMs,
      });
    }
    return result;
  } finally {
    fs.rmSync(file, { force: true });
    fs.rmSync(join(file, '..'), { recursive: true, force: true });
  }
}
