/**
 * Pieces of the hostile-client tests (issue 13): batches with any records section (bombs, garbage,
 * numbers past 2^53), multi-partition Produce v8 requests at the frame level, and `strata serve` as
 * a child process whose RSS and CPU time can be read from /proc.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { requestFrame } from '../../broker/raw-frames.js';
import { startServeListening } from '../../harness/serve-process.js';
import { BATCH_HEADER_BYTES, CRC_OFFSET, MAGIC_V2, computeBatchCrc, type CompressionType } from '../../core/format/record-batch.js';

/** A RecordBatch v2 around `section` (any bytes), with a correct CRC over what it holds. */
export function rawBatch(section: Buffer, opts: { compression?: CompressionType; recordsCount?: number; baseOffset?: bigint; timestamp?: bigint; producerId?: bigint } = {}): Buffer {
  const count = opts.recordsCount ?? 1;
  const b = Buffer.alloc(BATCH_HEADER_BYTES + section.length);
  b.writeBigInt64BE(opts.baseOffset ?? 0n, 0);
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt32BE(-1, 12); // partitionLeaderEpoch
  b.writeInt8(MAGIC_V2, 16);
  b.writeInt16BE(opts.compression ?? 0, 21);
  b.writeInt32BE(count - 1, 23); // lastOffsetDelta
  b.writeBigInt64BE(opts.timestamp ?? 1_700_000_000_000n, 27);
  b.writeBigInt64BE(opts.timestamp ?? 1_700_000_000_000n, 35);
  b.writeBigInt64BE(opts.producerId ?? -1n, 43);
  b.writeInt16BE(-1, 51);
  b.writeInt32BE(-1, 53);
  b.writeInt32BE(count, 57);
  section.copy(b, BATCH_HEADER_BYTES);
  b.writeUInt32BE(computeBatchCrc(b, 0, b.length), CRC_OFFSET);
  return b;
}

export interface PartitionResult {
  index: number;
  errorCode: number;
  baseOffset: number;
  message: string | null;
}

/** Writes a Produce v8 request frame: one topic, the given partitions' records. */
export function produceFrame(correlationId: number, topic: string, partitions: { index: number; records: Buffer | null }[], acks = 1): Buffer {
  return requestFrame({ apiKey: ApiKey.Produce, apiVersion: 8, correlationId, clientId: 'hostile' }, (w) => {
    w.nullableString(null).int16(acks).int32(30_000);
    w.arrayLength(1).string(topic).arrayLength(partitions.length);
    for (const p of partitions) w.int32(p.index).nullableBytes(p.records);
  });
}

/** Sends a Produce v8 and decodes its per-partition results. */
export async function produce(c: RawKafkaClient, topic: string, partitions: { index: number; records: Buffer | null }[], acks = 1): Promise<PartitionResult[]> {
  const r = await c.request(ApiKey.Produce, 8, (w) => {
    w.nullableString(null).int16(acks).int32(30_000);
    w.arrayLength(1).string(topic).arrayLength(partitions.length);
    for (const p of partitions) w.int32(p.index).nullableBytes(p.records);
  });
  r.int32(); // topics
  r.string();
  return r.array((r) => {
    const index = r.int32();
    const errorCode = r.int16();
    const baseOffset = r.int64();
    r.int64();
    r.int64();
    r.array(() => 0);
    return { index, errorCode, baseOffset, message: r.nullableString() };
  });
}

/** Metadata v1 for no topics: the cheapest request with a real answer (a bystander's probe). */
export async function metadata(c: RawKafkaClient): Promise<void> {
  const r = await c.request(ApiKey.Metadata, 1, (w) => w.int32(0));
  r.array((r) => [r.int32(), r.string(), r.int32(), r.nullableString()]);
}

export interface ServeChild {
  child: ChildProcess;
  port: number;
  /** The TLS listener's port when `--listen-tls` was among the extra arguments; 0 otherwise. */
  tlsPort: number;
  stderr(): string;
  stop(): Promise<number | null>;
}

/**
 * `strata serve` in a child process on an ephemeral port (optionally with a descriptor limit,
 * through prlimit, and further serve arguments such as a TLS listener).
 */
export async function serveChild(dataDir: string, config: string[] = [], openFilesMax?: number, extraArgs: string[] = []): Promise<ServeChild> {
  const args = ['--data-dir', dataDir, '--listen', '127.0.0.1:0', '--auto-create-topics', ...extraArgs];
  for (const c of config) args.push('--config', c);
  const { child, port, tlsPort, stderr, exited } = await startServeListening(args, { openFilesMax });
  return {
    child,
    port,
    tlsPort,
    stderr,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return (await exited).code;
    },
  };
}

/** VmRSS and VmHWM (peak) of a process, in bytes. */
export function memoryOf(pid: number): { rssBytes: number; peakRssBytes: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}

/** Descriptors a process holds (entries of /proc/PID/fd). */
export function openFilesOf(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/** CPU seconds (user + system) a process has used. */
export function cpuSecondsOf(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

export const MiB = 1024 * 1024;
