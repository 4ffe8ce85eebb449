/**
 * The measurements of the workload kind `engines`, each beside a baseline of the same work on the
 * same directory: (1) pwrite, 100-byte records in ~16 KiB batches, records/s (pre-built batches,
 * and build + append); (2) 64 KiB batches into the page cache, MB/s, against fio --rw=write
 * --bs=64k --ioengine=psync run before and after them (pwrite, pwrite-blocking, every write
 * through the threadpool, CRC-validated, 65,539-byte batches, a final fdatasync against fio
 * --end_fsync=1); (3) fsync-per-write 4 KiB appends, p50 latency against fio psync 4k
 * fdatasync=1 (write + sync); (4) fsync-group against fsync-per-write, 16 appenders, records/s.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { logConfigFrom } from '../../../core/config/log-config.js';
import type { StorageEngine } from '../../../core/engine.js';
import { CodecRegistry } from '../../../core/codec.js';
import { validateRecords } from '../../../core/log/log-validator.js';
import { buildBatch } from '../../../core/format/records.js';
import { Log } from '../../../core/log/log.js';
import { silentLogger } from '../../../core/tokens.js';
import { fsyncPerWriteEngine } from '../../../engines/fsync-per-write.js';
import { PwriteSegmentFile } from '../../../engines/pwrite-file.js';
import { pwriteEngine } from '../../../engines/pwrite.js';
import { fioVersion, runFioJson, type FioJobJson } from '../../baselines/fio.js';
import { percentile } from '../../stats.js';

export interface EngineSizes {
  /** (1) batches of 130 records of 100 B (4,000: 520,000 records, ~63 MB). */
  smallBatches: number;
  /** (2) bytes appended per run, and fio's --size. */
  bigBytes: number;
  /** (3) sequential durable appends per run. */
  fsyncAppends: number;
  /** (3) fio's --size for its write+fdatasync job. */
  fioSyncBytes: number;
  /** (4) seconds each concurrent run lasts. */
  concurrentSeconds: number;
}

/** The measurements, writing below `root` (each removes what it wrote). */
export function enginePhases(root: string, sizes: EngineSizes) {
  async function withLog<T>(engine: StorageEngine, props: Record<string, string>, fn: (log: Log) => Promise<T>): Promise<T> {
    const dir = fs.mkdtempSync(join(root, `${engine.name}-`));
    const log = await Log.open(dir, logConfigFrom({ 'retention.ms': '-1', ...props }), { engine, logger: silentLogger });
    try {
      return await fn(log);
    } finally {
      await log.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * pwrite as it was before inline writes (2026-11-22): every write through libuv's threadpool,
   * coalesced. Kept as a row to show what the round trip to the pool costs on this machine.
   */
  const pwriteThreadpoolOnly: StorageEngine = { ...pwriteEngine, name: 'pwrite-threadpool-only', open: (path, options) => PwriteSegmentFile.open(path, options) };
  /** fsync-per-write likewise before inline writes: every O_DSYNC write from the threadpool. */
  const fsyncPerWriteThreadpoolOnly: StorageEngine = { ...fsyncPerWriteEngine, name: 'fsync-per-write-threadpool-only', open: (path, options) => PwriteSegmentFile.open(path, options, { dsync: true }) };

  /** Batches built here, validated before the clock starts: the timed appends skip the CRC check. */
  const prevalidated = (batch: Buffer) => validateRecords(batch, { codecs: new CodecRegistry(), messageMaxBytes: Number.MAX_SAFE_INTEGER });

  const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

  /** 1. 100-byte records in 16 KiB batches, appended with up to `inFlight` appends outstanding. */
  async function smallRecords(prebuilt: boolean): Promise<number> {
    const value = Buffer.alloc(100, 'v');
    const recordsPerBatch = 130; // 130 x ~122 B on disk ~= 16 KiB
    const batchesTotal = sizes.smallBatches;
    const records = Array.from({ length: recordsPerBatch }, () => ({ value }));
    const batches = prebuilt ? Array.from({ length: batchesTotal }, () => buildBatch(records)) : [];
    return withLog(pwriteEngine, { 'segment.bytes': String(256 << 20) }, async (log) => {
      const start = process.hrtime.bigint();
      let pending: Promise<unknown>[] = [];
      for (let i = 0; i < batchesTotal; i++) {
        pending.push(prebuilt ? log.append(batches[i]!) : log.appendRecords(records));
        if (pending.length >= 32) {
          await Promise.all(pending);
          pending = [];
        }
      }
      await Promise.all(pending);
      return (batchesTotal * recordsPerBatch) / seconds(start);
    });
  }

  /** One record whose batch is exactly `batchBytes` long (61 header bytes, record framing, value). */
  function batchOfBytes(batchBytes: number): Buffer {
    // the framing's varints grow with the value: adjust the value until the batch fits exactly
    let valueBytes = batchBytes - 61;
    for (let attempt = 0; attempt < 4; attempt++) {
      const batch = buildBatch([{ value: Buffer.alloc(valueBytes, 'x') }]);
      if (batch.length === batchBytes) return batch;
      valueBytes -= batch.length - batchBytes;
    }
    throw new Error(`assertion failed: no single-record batch of exactly ${batchBytes} bytes`);
  }

  interface BigBatchOptions {
    /** Bytes per batch: 65,536 like fio's --bs=64k, or another size to show what misalignment costs. */
    batchBytes: number;
    /** Add the CRC check a broker makes (fio has no counterpart to it). */
    validate: boolean;
    /** fdatasync at the end, inside the timing (the comparison with fio --end_fsync=1). */
    finalSync: boolean;
  }

  /**
   * 2. Large batches, `totalBytes` in all: MB/s (10^6). Batches come from a ring of distinct
   * pre-built buffers (a broker receives batch bytes; an append rewrites the base offset in place,
   * so a buffer is reused only once its append is acknowledged).
   */
  async function bigBatches(engine: StorageEngine, totalBytes: number, o: BigBatchOptions): Promise<number> {
    // a sliding window of appends in flight, as a broker with many producers has; the segment is
    // preallocated (fallocate) because fio lays its file out with fallocate by default too
    const inFlight = 32;
    const ring = Array.from({ length: inFlight }, () => batchOfBytes(o.batchBytes));
    const count = Math.floor(totalBytes / o.batchBytes);
    // without validation (a producer in the same process), each ring buffer is validated once, before the clock
    const validatedRing = o.validate ? [] : await Promise.all(ring.map(prevalidated));
    return withLog(engine, { 'segment.bytes': String(1 << 30), preallocate: 'true' }, async (log) => {
      const start = process.hrtime.bigint();
      const slots: (Promise<unknown> | undefined)[] = new Array(inFlight);
      for (let i = 0; i < count; i++) {
        const slot = i % inFlight;
        if (slots[slot]) await slots[slot]; // the buffer's previous append was acknowledged
        slots[slot] = o.validate ? log.append(ring[slot]!) : log.appendValidated(validatedRing[slot]!);
      }
      await Promise.all(slots);
      if (o.finalSync) await log.flush();
      return (count * o.batchBytes) / 1e6 / seconds(start);
    });
  }

  /** 3. sequential 4 KiB appends through a durable engine: latency percentiles in microseconds. */
  async function fsyncLatency(engine: StorageEngine, appends: number, preallocate: boolean): Promise<{ p50: number; p99: number }> {
    const batch = batchOfBytes(4096);
    // fio lays its file out with fallocate by default, so its writes overwrite reserved blocks;
    // preallocate=true is the like-for-like case, the default (growing file) is shown beside it
    const props: Record<string, string> = preallocate ? { preallocate: 'true', 'segment.bytes': String(64 << 20) } : {};
    return withLog(engine, props, async (log) => {
      // distinct buffers, as a broker receives each batch in its own, made before the clock starts:
      // the latency is the append's, from the call to the acknowledgement (fio's clat likewise
      // leaves out fio's own buffer handling)
      const batches = await Promise.all(Array.from({ length: appends }, () => prevalidated(Buffer.from(batch))));
      const lat: number[] = [];
      for (let i = 0; i < appends; i++) {
        const t = process.hrtime.bigint();
        await log.appendValidated(batches[i]!);
        lat.push(Number(process.hrtime.bigint() - t) / 1000);
      }
      lat.sort((a, b) => a - b);
      return { p50: percentile(lat, 50), p99: percentile(lat, 99) };
    });
  }

  /** 4. `appenders` concurrent appenders of 4 KiB records for `durationS`: records/s. */
  async function concurrent(engine: StorageEngine, appenders: number, durationS: number): Promise<number> {
    const batch = batchOfBytes(4096);
    return withLog(engine, {}, async (log) => {
      let done = 0;
      const deadline = Date.now() + durationS * 1000;
      const start = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: appenders }, async () => {
          // each appender's own buffer, validated once before the clock (an appender awaits its
          // append before reusing it): the engine and the Log are measured, not the CRC
          const own = await prevalidated(Buffer.from(batch));
          while (Date.now() < deadline) {
            await log.appendValidated(own);
            done++;
          }
        }),
      );
      return done / seconds(start);
    });
  }

  /** fio's data files go where strata's do; removed after each run (a rewrite is cheaper than a layout). */
  async function fioJob(name: string, args: string[]): Promise<FioJobJson | undefined> {
    if (!(await fioVersion())) return undefined;
    try {
      return await runFioJson([`--name=${name}`, `--directory=${root}`, ...args], 600_000);
    } finally {
      for (const f of fs.readdirSync(root)) if (f.startsWith(`${name}.`)) fs.rmSync(join(root, f), { force: true });
    }
  }

  async function fioWriteMBps(bs: string, size: number, extra: string[]): Promise<number | undefined> {
    const job = await fioJob(`seq-${bs}`, ['--rw=write', `--bs=${bs}`, `--size=${size}`, '--ioengine=psync', ...extra]);
    // fio's own bandwidth (bytes over its runtime in microseconds: a small job takes under a millisecond)
    return job && job.write.bw_bytes / 1e6;
  }

  async function fioFdatasyncP50us(): Promise<{ p50: number; iops: number } | undefined> {
    const job = await fioJob('fdatasync-4k', ['--rw=write', '--bs=4k', `--size=${sizes.fioSyncBytes}`, '--ioengine=psync', '--fdatasync=1']);
    if (!job) return undefined;
    // fio reports the write and the fdatasync separately; an append costs both
    const writeP50 = job.write.clat_ns.percentile!['50.000000']! / 1000;
    const syncP50 = job.sync!.lat_ns!.percentile!['50.000000']! / 1000;
    return { p50: writeP50 + syncP50, iops: job.write.iops };
  }

  /**
   * Runs one measurement with a time limit: a phase that stalls (once seen here in the fsync-group
   * phase, not reproduced since) ends the run with its name instead of hanging it.
   */
  const PHASE_SECONDS_MAX = 300;
  async function phase<T>(name: string, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`benchmark phase "${name}" did not finish within ${PHASE_SECONDS_MAX} s`)), PHASE_SECONDS_MAX * 1000);
    });
    try {
      return await Promise.race([run(), limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  // each measurement as a named phase (the name is what a stalled run reports)
  const bigPhase = (engine: StorageEngine, o: BigBatchOptions) => phase(`bigBatches(${engine.name}, ${JSON.stringify(o)})`, () => bigBatches(engine, sizes.bigBytes, o));
  const latencyPhase = async (engine: StorageEngine, preallocate: boolean) =>
    (await phase(`fsyncLatency(${engine.name}, preallocate ${preallocate})`, () => fsyncLatency(engine, sizes.fsyncAppends, preallocate))).p50;
  const concurrentPhase = (engine: StorageEngine, appenders: number) => phase(`concurrent(${engine.name}, ${appenders})`, () => concurrent(engine, appenders, sizes.concurrentSeconds));

  return { smallRecords: (prebuilt: boolean) => phase(`smallRecords(${prebuilt})`, () => smallRecords(prebuilt)), bigPhase, latencyPhase, concurrentPhase, fioWriteMBps, fioFdatasyncP50us, pwriteThreadpoolOnly, fsyncPerWriteThreadpoolOnly };
}
