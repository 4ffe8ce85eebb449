/**
 * One repetition of one cell, in process, against real files and real sockets:
 *  1. produce: `producers` async producers append batches to `partitions` logs (max rate, or a fixed
 *     rate whose latency counts from each record's intended send time: no coordinated omission);
 *     in fixed-rate mode consumer 0 tails the log over TCP meanwhile (end-to-end latency);
 *  2. flush every partition (timed);
 *  3. warm read: every consumer reads the measured records from the page cache through the cell's Transfer;
 *  4. cold read: flush, drop the segments' pages (fadvise DONTNEED), and consumer 0 reads them again;
 *  5. max-rate mode only: end-to-end latency in a short phase of its own at endToEndRate, consumer 0
 *     tailing from the log end (at max rate a tail would only measure its own queue).
 * Each phase records CPU, faults, context switches and sampled peak RSS.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CacheStats } from '../core/cache.js';
import { logConfigFrom } from '../core/config/log-config.js';
import { buildBatch, buildCompressedBatch, type ProducerRecord } from '../core/format/records.js';
import { CompressionType } from '../core/format/record-batch.js';
import { sendLog } from '../engines/transfer/ship/sender.js';
import { openBenchLog, type BenchLog } from './bench-log.js';
import type { CellComponents } from './components.js';
import { startConsumers, wallNowMs, type ConsumerHandle, type PartitionReport } from './consumer.js';
import { newHistogram, recordNs, summarize, type Histogram, type LatencySummary } from './histogram.js';
import type { Cell } from './matrix.js';
import { RssSampler, dropPages, residency, usageDelta, usageNow, type UsageDelta } from './os-probes.js';
import { KeyGenerator, makePayloadPool } from './payload.js';
import type { Workload } from './workload.js';

/** Bytes a fetch may return (Kafka's max.partition.fetch.bytes default). */
export const FETCH_BYTES_MAX = 1024 * 1024;
/** A phase that takes longer than this is stuck (a dead consumer, a lost socket): fail the cell. */
const PHASE_TIMEOUT_MS = 10 * 60 * 1000;

export interface PhaseUsage extends UsageDelta {
  peakRssBytes: number;
  /** (user + system CPU seconds) per GB (10^9 B) moved in the phase. */
  cpuSecondsPerGb: number;
  cpuUserSecondsPerGb: number;
  cpuSystemSecondsPerGb: number;
}

export interface ProduceMetrics extends PhaseUsage {
  records: number;
  seconds: number;
  recordsPerSec: number;
  /** Key + value bytes per second (what the producer handed over), MB = 10^6 B. */
  mbPerSec: number;
  /** Bytes written to segments per second (batch framing and compression included). */
  diskMbPerSec: number;
  diskBytes: number;
  payloadBytes: number;
  /** payloadBytes / diskBytes: > 1 when the codec saves space, < 1 is framing overhead. */
  compressionRatio: number;
  batches: number;
  batchBytesMean: number;
  appendLatency: LatencySummary;
  /** From each record's intended send time to its append's completion (fixed rate), or batch start (max rate). */
  produceLatency: LatencySummary;
  flushLatency: LatencySummary;
  residentBytesAfterProduce: number;
  segmentBytes: number;
}

export interface ReadMetrics extends PhaseUsage {
  consumers: number;
  bytes: number;
  seconds: number;
  mbPerSec: number;
  recordsPerSec: number;
  /** Page-cache bytes of the segments just before the read started. */
  residentBytesBefore: number;
  /** The cell's cache during the phase: lookups answered from process memory, and those that read the file (0 and 0 for caches that hold nothing: none, page-cache). */
  cacheHits: number;
  cacheMisses: number;
}

export interface RepetitionResult {
  produce: ProduceMetrics;
  endToEndLatency?: LatencySummary;
  warmRead?: ReadMetrics;
  coldRead?: ReadMetrics;
  /** Log shipping of the measured records to the remote receiver (its append included). */
  ship?: ReadMetrics;
  histograms: { append: Histogram; produce: Histogram; flush: Histogram; endToEnd: Histogram };
  logImpl: string;
}

/** Resolves waiters whenever an append completes (tailing fetchers wait on it). */
class AppendSignal {
  private waiters: (() => void)[] = [];
  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

function phaseUsage(delta: UsageDelta, peakRssBytes: number, bytesMoved: number): PhaseUsage {
  const cpu = delta.cpuUserS + delta.cpuSystemS;
  const gb = bytesMoved / 1e9;
  return {
    ...delta,
    peakRssBytes,
    cpuSecondsPerGb: gb > 0 ? cpu / gb : 0,
    cpuUserSecondsPerGb: gb > 0 ? delta.cpuUserS / gb : 0,
    cpuSystemSecondsPerGb: gb > 0 ? delta.cpuSystemS / gb : 0,
  };
}

const cacheDelta = (a: CacheStats, b: CacheStats) => ({ cacheHits: b.hits - a.hits, cacheMisses: b.misses - a.misses });

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Sends a partition's log from `from` to the socket until `done()` and caught up; returns bytes sent. */
async function fetchLoop(log: BenchLog, components: CellComponents, consumer: ConsumerHandle, partition: number, from: number, done: () => boolean, signal: AppendSignal): Promise<number> {
  const socket = consumer.sockets[partition]!;
  let next = from;
  let sent = 0;
  for (;;) {
    if (next < log.logEndOffset) {
      const r = await log.read(next, FETCH_BYTES_MAX);
      if (r.bytes > 0) {
        sent += await components.transfer.send(socket, r.slices);
        next = r.nextOffset;
        continue;
      }
    }
    if (done()) return sent;
    await signal.wait();
  }
}

export interface CellRunOptions {
  workload: Workload;
  cell: Cell;
  components: CellComponents;
  /** Directory this repetition may use (created, removed afterwards). */
  dir: string;
  repetition: number;
  /** Keep the segment files (for inspection); default removes them. */
  keepData?: boolean;
  /** A `strata receive` on another host: the cell also ships its log there (the NIC under test). */
  receiver?: { host: string; port: number };
}

/** Topic the harness ships under; the receiver must be started with --topic strata-bench. */
export const RECEIVER_TOPIC = 'strata-bench';
/** How long a ship waits for the receiver to accept (it restarts between streams). */
const RECEIVER_CONNECT_WAIT_MS = 15_000;

export async function runRepetition(opts: CellRunOptions): Promise<RepetitionResult> {
  const { workload: w, cell, components, dir } = opts;
  const config = logConfigFrom(cell.config);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const logs: BenchLog[] = [];
  let consumerSet: Awaited<ReturnType<typeof startConsumers>> | undefined;
  try {
    for (let p = 0; p < w.partitions; p++) {
      const pdir = join(dir, `bench-${p}`);
      await mkdir(pdir, { recursive: true });
      logs.push(await openBenchLog(pdir, config, { engine: components.engine, codecs: components.codecs, cache: components.cache }));
    }
    if (w.consumers > 0) consumerSet = await startConsumers(w.consumers, w.partitions);
    const consumers = consumerSet?.consumers ?? [];
    /** Cumulative bytes sent per consumer per partition (what each consumer must have received). */
    const sentTo = consumers.map(() => new Array<number>(w.partitions).fill(0));

    const pool = makePayloadPool(w.payload, w.seed, cell.recordBytes);
    const hFlush = newHistogram();
    const hE2e = newHistogram();
    const signal = new AppendSignal();

    const makeBatch = async (n: number, keys: KeyGenerator, cursor: { i: number }): Promise<{ batch: Buffer; payload: number }> => {
      const recs: ProducerRecord[] = new Array(n);
      let payload = 0;
      for (let k = 0; k < n; k++) {
        const key = keys.next();
        const value = pool[cursor.i++ % pool.length]!;
        payload += value.length + (key?.length ?? 0);
        recs[k] = { key, value };
      }
      const batch = components.codec.type === CompressionType.none ? buildBatch(recs) : await buildCompressedBatch(recs, components.codec);
      return { batch, payload };
    };

    // warm-up: same path, nothing measured (JIT, file creation, first extents)
    if (w.warmupRecords > 0) {
      const keys = new KeyGenerator(w.keyDistribution, w.keyCount, w.keyBytes, w.seed);
      const cursor = { i: 0 };
      for (let done = 0, b = 0; done < w.warmupRecords; b++) {
        const n = Math.min(cell.batchRecords, w.warmupRecords - done);
        const { batch } = await makeBatch(n, keys, cursor);
        await logs[b % logs.length]!.append(batch);
        done += n;
      }
    }
    const startOffsets = logs.map((l) => l.logEndOffset);
    /** Where consumer 0's tail has read up to, by partition (tails resume there). */
    const tailOffsets = [...startOffsets];

    interface PhaseCounters {
      records: number;
      batches: number;
      diskBytes: number;
      payloadBytes: number;
      hAppend: Histogram;
      hProduce: Histogram;
    }

    /**
     * Producers append `totalRecords` (or for durationMs) at `rate` records/s over all producers
     * (0 = max rate); with `tail`, consumer 0 follows the log meanwhile and end-to-end latency is
     * recorded into hE2e.
     */
    const producePhase = async (rate: number, totalRecords: number, durationMs: number, tail: boolean, seedSalt: number): Promise<PhaseCounters> => {
      const c: PhaseCounters = { records: 0, batches: 0, diskBytes: 0, payloadBytes: 0, hAppend: newHistogram(), hProduce: newHistogram() };
      /** Wall-clock ms at each batch's append start, by partition and base offset. */
      const sendTimes = logs.map(() => new Map<number, number>());
      const phaseStart = logs.map((l) => l.logEndOffset);
      let producing = true;
      const tails = tail ? logs.map((log, p) => fetchLoop(log, components, consumers[0]!, p, tailOffsets[p]!, () => !producing, signal)) : [];
      const t0 = process.hrtime.bigint();
      const t0Wall = wallNowMs();
      const producer = async (id: number): Promise<void> => {
        const partition = id % logs.length;
        const log = logs[partition]!;
        const keys = new KeyGenerator(w.keyDistribution, w.keyCount, w.keyBytes, w.seed + seedSalt + 1 + id);
        const cursor = { i: id * 7 + seedSalt };
        const share = Math.floor(totalRecords / w.producers) + (id < totalRecords % w.producers ? 1 : 0);
        const account = (n: number, batch: Buffer, payload: number, firstOffset: number, startWall: number) => {
          sendTimes[partition]!.set(firstOffset, startWall);
          c.records += n;
          c.batches++;
          c.diskBytes += batch.length;
          c.payloadBytes += payload;
          signal.notify();
        };
        if (rate === 0) {
          let mine = 0;
          while (durationMs > 0 ? Number(process.hrtime.bigint() - t0) / 1e6 < durationMs : mine < share) {
            const n = durationMs > 0 ? cell.batchRecords : Math.min(cell.batchRecords, share - mine);
            const startNs = process.hrtime.bigint();
            const startWall = wallNowMs();
            const { batch, payload } = await makeBatch(n, keys, cursor);
            const aStart = process.hrtime.bigint();
            const res = await log.append(batch);
            const end = process.hrtime.bigint();
            recordNs(c.hAppend, end - aStart);
            recordNs(c.hProduce, end - startNs, n);
            mine += n;
            account(n, batch, payload, res.firstOffset, startWall);
          }
          return;
        }
        // fixed rate: record i of this producer is due at t0 + i / rate; a batch closes when full or
        // lingerMs after its first record, so at this rate it holds k records
        const ratePerProducer = rate / w.producers;
        const intervalMs = 1000 / ratePerProducer;
        const k = Math.max(1, Math.min(cell.batchRecords, Math.floor((ratePerProducer * w.lingerMs) / 1000) || 1));
        for (let first = 0; first < share; first += k) {
          const n = Math.min(k, share - first);
          const firstDueMs = first * intervalMs;
          const sendAtMs = firstDueMs + Math.min(w.lingerMs, (n - 1) * intervalMs);
          const wait = sendAtMs - (wallNowMs() - t0Wall);
          if (wait > 1) await sleep(wait);
          const startWall = wallNowMs();
          const { batch, payload } = await makeBatch(n, keys, cursor);
          const aStart = process.hrtime.bigint();
          const res = await log.append(batch);
          const end = process.hrtime.bigint();
          const endMs = wallNowMs() - t0Wall;
          recordNs(c.hAppend, end - aStart);
          for (let m = 0; m < n; m++) {
            // late sends count their lateness: latency is from when the record was due
            const latMs = endMs - (firstDueMs + m * intervalMs);
            c.hProduce.recordValue(Math.max(1, Math.round(latMs * 1000)));
          }
          account(n, batch, payload, res.firstOffset, startWall);
        }
      };
      try {
        await Promise.all(Array.from({ length: w.producers }, (_, id) => producer(id)));
      } finally {
        producing = false;
        signal.notify();
      }
      if (tails.length > 0) {
        const sent = await Promise.all(tails);
        sent.forEach((b, p) => (sentTo[0]![p]! += b));
        logs.forEach((l, p) => (tailOffsets[p] = l.logEndOffset));
        const reports = await consumers[0]!.waitFor(sentTo[0]!, PHASE_TIMEOUT_MS);
        addEndToEnd(hE2e, reports, sendTimes, phaseStart);
      }
      return c;
    };

    const fixedRate = w.producerRate > 0;
    const durationMs = w.durationSeconds > 0 ? w.durationSeconds * 1000 : 0;
    const totalRecords = fixedRate && durationMs > 0 ? Math.max(1, Math.round(w.producerRate * w.durationSeconds)) : w.records;
    // end-to-end latency: tail during a fixed-rate produce phase; after a max-rate one, in a phase
    // of its own at endToEndRate (at max rate the tail would only measure its own queue)
    const tailDuringProduce = w.endToEnd && consumers.length > 0 && fixedRate;
    const u0 = usageNow();
    const rss = new RssSampler();
    const t0 = process.hrtime.bigint();
    const main = await producePhase(w.producerRate, totalRecords, fixedRate ? 0 : durationMs, tailDuringProduce, 0);
    const t1 = process.hrtime.bigint();
    for (const log of logs) {
      const f0 = process.hrtime.bigint();
      await log.flush();
      recordNs(hFlush, process.hrtime.bigint() - f0);
    }
    const u1 = usageNow();
    const producePeak = rss.stop();
    const seconds = Number(t1 - t0) / 1e9;
    const { records, batches, diskBytes, payloadBytes } = main;
    const paths = (await Promise.all(logs.map((l) => l.segmentPaths()))).flat();
    const resAfterProduce = await residency(paths);

    const readPhase = async (readers: ConsumerHandle[]): Promise<ReadMetrics> => {
      const before = await residency(paths);
      const cache0 = components.cache.stats();
      const ru0 = usageNow();
      const sampler = new RssSampler();
      const r0 = process.hrtime.bigint();
      let bytes = 0;
      await Promise.all(readers.map(async (c) => {
        const sent = await Promise.all(logs.map((log, p) => fetchLoop(log, components, c, p, startOffsets[p]!, () => true, signal)));
        sent.forEach((b, p) => {
          sentTo[c.consumerId]![p]! += b;
          bytes += b;
        });
        await c.waitFor(sentTo[c.consumerId]!, PHASE_TIMEOUT_MS);
      }));
      const secs = Number(process.hrtime.bigint() - r0) / 1e9;
      const usage = phaseUsage(usageDelta(ru0, usageNow()), sampler.stop(), bytes);
      return {
        ...usage,
        consumers: readers.length,
        bytes,
        seconds: secs,
        mbPerSec: bytes / 1e6 / secs,
        recordsPerSec: (records * readers.length) / secs,
        residentBytesBefore: before.residentBytes,
        ...cacheDelta(cache0, components.cache.stats()),
      };
    };

    let warmRead: ReadMetrics | undefined;
    let coldRead: ReadMetrics | undefined;
    if (consumers.length > 0) {
      warmRead = await readPhase(consumers);
      if (w.coldRead) {
        for (const log of logs) await log.flush();
        await dropPages(paths);
        coldRead = await readPhase([consumers[0]!]);
      }
    }
    let ship: ReadMetrics | undefined;
    if (opts.receiver) {
      const before = await residency(paths);
      const cache0 = components.cache.stats();
      const ru0 = usageNow();
      const sampler = new RssSampler();
      const deadline = Date.now() + RECEIVER_CONNECT_WAIT_MS;
      let r: Awaited<ReturnType<typeof sendLog>>;
      for (;;) {
        try {
          r = await sendLog({ log: logs[0]!.coreLog, topic: RECEIVER_TOPIC, partition: 0, fromOffset: startOffsets[0]!, host: opts.receiver.host, port: opts.receiver.port, transfer: components.transfer, replyTimeoutMs: PHASE_TIMEOUT_MS });
          break;
        } catch (err) {
          // the receiver takes one stream per process: give a restarting one a moment
          if (!/cannot connect/.test((err as Error).message) || Date.now() > deadline) throw err;
          await sleep(200);
        }
      }
      const secs = r.elapsedMs / 1000;
      ship = {
        ...phaseUsage(usageDelta(ru0, usageNow()), sampler.stop(), r.bytes),
        consumers: 1,
        bytes: r.bytes,
        seconds: secs,
        mbPerSec: r.bytes / 1e6 / secs,
        recordsPerSec: records / secs,
        residentBytesBefore: before.residentBytes,
        ...cacheDelta(cache0, components.cache.stats()),
      };
    }
    if (w.endToEnd && consumers.length > 0 && !fixedRate) {
      // after the reads, so they move exactly what the measured phase wrote; the tail starts at the log end
      logs.forEach((l, p) => (tailOffsets[p] = l.logEndOffset));
      await producePhase(w.endToEndRate, w.endToEndRecords, 0, true, 1_000_003);
    }
    const endToEndLatency = hE2e.totalCount > 0 ? summarize(hE2e) : undefined;

    const produce: ProduceMetrics = {
      ...phaseUsage(usageDelta(u0, u1), producePeak, diskBytes),
      records,
      seconds,
      recordsPerSec: records / seconds,
      mbPerSec: payloadBytes / 1e6 / seconds,
      diskMbPerSec: diskBytes / 1e6 / seconds,
      diskBytes,
      payloadBytes,
      compressionRatio: diskBytes > 0 ? payloadBytes / diskBytes : 0,
      batches,
      batchBytesMean: batches > 0 ? diskBytes / batches : 0,
      appendLatency: summarize(main.hAppend),
      produceLatency: summarize(main.hProduce),
      flushLatency: summarize(hFlush),
      residentBytesAfterProduce: resAfterProduce.residentBytes,
      segmentBytes: resAfterProduce.fileBytes,
    };
    return {
      produce,
      endToEndLatency,
      warmRead,
      coldRead,
      ship,
      histograms: { append: main.hAppend, produce: main.hProduce, flush: hFlush, endToEnd: hE2e },
      logImpl: logs[0]!.impl,
    };
  } finally {
    await consumerSet?.close().catch(() => {});
    for (const log of logs) await log.close().catch(() => {});
    if (!opts.keepData) await rm(dir, { recursive: true, force: true });
  }
}

function addEndToEnd(h: Histogram, reports: PartitionReport[], sendTimes: Map<number, number>[], startOffsets: number[]): void {
  reports.forEach((report, p) => {
    for (let i = 0; i < report.offsets.length; i++) {
      const offset = report.offsets[i]!;
      if (offset < startOffsets[p]!) continue; // warm-up batches
      const sentAt = sendTimes[p]!.get(offset);
      if (sentAt === undefined) continue;
      h.recordValue(Math.max(1, Math.round((report.times[i]! - sentAt) * 1000)));
    }
  });
}

