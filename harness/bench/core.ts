/**
 * Core engine benchmarks of issue 2, each next to its baseline measured in the same run:
 *  1. pwrite, 100-byte records in ~16 KiB batches: records/s (pre-built batches, and build+append),
 *     beside Kafka 2014's 821,557 records/s single producer;
 *  2. pwrite (inline writes while idle) and pwrite-blocking, 64 KiB batches (exactly 65,536 bytes,
 *     preallocated segment) into the page cache: MB/s vs fio --rw=write --bs=64k --ioengine=psync
 *     (fio preallocates with fallocate by default), run before and after them; beside it pwrite with
 *     every write through the threadpool, a CRC-validated run, 65,539-byte batches (what a batch
 *     size that is not a page multiple costs), and a run with a final fdatasync vs fio --end_fsync=1;
 *  3. fsync-per-write 4 KiB appends: p50 latency vs fio psync 4k with fdatasync=1 (write + sync),
 *     fio run before and after; beside it fsync-per-write-blocking and every write through the
 *     threadpool;
 *  4. fsync-group vs fsync-per-write, 16 concurrent appenders of 4 KiB: records/s.
 * Usage: npx tsx harness/bench/core.ts [--dir D] [--reps N] [--out results/core]
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { logConfigFrom } from '../../core/config/log-config.js';
import type { StorageEngine } from '../../core/engine.js';
import { buildBatch } from '../../core/format/records.js';
import { CodecRegistry } from '../../core/codec.js';
import { validateRecords } from '../../core/log/log-validator.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { fsyncGroupEngine } from '../../engines/fsync-group.js';
import { fsyncPerWriteBlockingEngine } from '../../engines/fsync-per-write-blocking.js';
import { fsyncPerWriteEngine } from '../../engines/fsync-per-write.js';
import { pwriteBlockingEngine } from '../../engines/pwrite-blocking.js';
import { PwriteSegmentFile } from '../../engines/pwrite-file.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { runFio } from './fio.js';
import { fmt, percentile, summarize, type Summary } from './stats.js';

const { values: args } = parseArgs({ options: { dir: { type: 'string' }, reps: { type: 'string', default: '5' }, out: { type: 'string', default: 'results/core' } } });
const root = fs.mkdtempSync(join(args.dir ?? os.tmpdir(), 'strata-bench-'));
const reps = Number(args.reps);
const KAFKA_2014_RECORDS_PER_S = 821_557;

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
  const batchesTotal = 4000; // 520,000 records, ~63 MB
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

function fioWriteMBps(bs: string, size: string, extra: string[]): number | undefined {
  const r = runFio({ name: `seq-${bs}`, directory: root, args: [`--rw=write`, `--bs=${bs}`, `--size=${size}`, '--ioengine=psync', ...extra] });
  if (!r) return undefined;
  const job = r.jobs[0];
  return (job.write.io_bytes / 1e6) / (job.job_runtime / 1000);
}

function fioFdatasyncP50us(): { p50: number; iops: number } | undefined {
  const r = runFio({ name: 'fdatasync-4k', directory: root, args: ['--rw=write', '--bs=4k', '--size=16m', '--ioengine=psync', '--fdatasync=1'] });
  if (!r) return undefined;
  const job = r.jobs[0];
  // fio reports the write and the fdatasync separately; an append costs both
  const writeP50 = job.write.clat_ns.percentile['50.000000'] / 1000;
  const syncP50 = job.sync.lat_ns.percentile['50.000000'] / 1000;
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
const bigPhase = (engine: StorageEngine, o: BigBatchOptions) => phase(`bigBatches(${engine.name}, ${JSON.stringify(o)})`, () => bigBatches(engine, MB512, o));
const latencyPhase = async (engine: StorageEngine, preallocate: boolean) =>
  (await phase(`fsyncLatency(${engine.name}, preallocate ${preallocate})`, () => fsyncLatency(engine, 2000, preallocate))).p50;
const concurrentPhase = (engine: StorageEngine, appenders: number) => phase(`concurrent(${engine.name}, ${appenders})`, () => concurrent(engine, appenders, 3));

const results: Record<string, { strata: Summary; baseline?: Summary; ratio?: number; unit: string; target: string }> = {};
function record(name: string, unit: string, target: string, strata: number[], baseline?: number[]) {
  const s = summarize(strata);
  const b = baseline && baseline.length ? summarize(baseline) : undefined;
  results[name] = { strata: s, baseline: b, ratio: b ? s.median / b.median : undefined, unit, target };
  process.stdout.write(`${name}: median ${fmt(s.median, 1)} ${unit} [${fmt(s.min, 1)}-${fmt(s.max, 1)}]${b ? ` vs baseline ${fmt(b.median, 1)} [${fmt(b.min, 1)}-${fmt(b.max, 1)}] => ratio ${fmt(s.median / b.median, 2)}` : ''}\n`);
}

const r1a: number[] = [], r1b: number[] = [], r2t: number[] = [], f2: number[] = [], f2s: number[] = [], r2: number[] = [], r2b: number[] = [], r2s: number[] = [], r2v: number[] = [], r2u: number[] = [];
const r3: number[] = [], r3b: number[] = [], r3g: number[] = [], r3t: number[] = [], f3: number[] = [], r4g: number[] = [], r4p: number[] = [], r4s: number[] = [];
const MB512 = 512 * 1024 * 1024;
for (let rep = 0; rep < reps; rep++) {
  process.stderr.write(`repetition ${rep + 1}/${reps}\n`);
  r1a.push(await phase('smallRecords(true)', () => smallRecords(true)));
  r1b.push(await phase('smallRecords(false)', () => smallRecords(false)));
  // baseline and strata alternate within a repetition so drift hits both: fio runs before and after
  // the strata runs it is compared with
  const fioMB = fioWriteMBps('64k', '512m', []);
  if (fioMB !== undefined) f2.push(fioMB);
  r2.push(await bigPhase(pwriteEngine, { batchBytes: 65536, validate: false, finalSync: false }));
  r2t.push(await bigPhase(pwriteThreadpoolOnly, { batchBytes: 65536, validate: false, finalSync: false }));
  r2b.push(await bigPhase(pwriteBlockingEngine, { batchBytes: 65536, validate: false, finalSync: false }));
  r2v.push(await bigPhase(pwriteEngine, { batchBytes: 65536, validate: true, finalSync: false }));
  r2u.push(await bigPhase(pwriteBlockingEngine, { batchBytes: 65539, validate: false, finalSync: false }));
  const fioMBAfter = fioWriteMBps('64k', '512m', []);
  if (fioMBAfter !== undefined) f2.push(fioMBAfter);
  const fioSyncedMB = fioWriteMBps('64k', '512m', ['--end_fsync=1']);
  if (fioSyncedMB !== undefined) f2s.push(fioSyncedMB);
  r2s.push(await bigPhase(pwriteEngine, { batchBytes: 65536, validate: false, finalSync: true }));
  // fio runs before and after the strata runs: the disk's sync latency drifts within minutes here,
  // and the baseline's median then spans the same stretch of time as the runs it is compared with
  const fioSyncBefore = fioFdatasyncP50us();
  if (fioSyncBefore) f3.push(fioSyncBefore.p50);
  r3.push(await latencyPhase(fsyncPerWriteEngine, true));
  r3b.push(await latencyPhase(fsyncPerWriteBlockingEngine, true));
  r3g.push(await latencyPhase(fsyncPerWriteEngine, false));
  r3t.push(await latencyPhase(fsyncPerWriteThreadpoolOnly, true));
  const fioSyncAfter = fioFdatasyncP50us();
  if (fioSyncAfter) f3.push(fioSyncAfter.p50);
  r4p.push(await concurrentPhase(fsyncPerWriteEngine, 16));
  r4s.push(await concurrentPhase(fsyncPerWriteEngine, 1));
  r4g.push(await concurrentPhase(fsyncGroupEngine, 16));
}
record('pwrite 100 B records, 16 KiB batches, pre-built (records/s)', 'records/s', '>= 2,000,000; Kafka 2014: 821,557', r1a, r1a.map(() => KAFKA_2014_RECORDS_PER_S));
record('pwrite 100 B records, 16 KiB batches, build + append (records/s)', 'records/s', 'Kafka 2014: 821,557', r1b, r1b.map(() => KAFKA_2014_RECORDS_PER_S));
record('pwrite 64 KiB batches into the page cache vs fio --rw=write --bs=64k --ioengine=psync (MB/s)', 'MB/s', 'ratio >= 0.9', r2, f2);
record('pwrite with every write through the threadpool (the engine before inline writes), same (MB/s)', 'MB/s', 'informational', r2t, f2);
record('pwrite-blocking (every write on the event loop, no fallback) 64 KiB batches into the page cache vs the same fio (MB/s)', 'MB/s', 'informational', r2b, f2);
record('pwrite 64 KiB batches, CRC-validated like a broker, vs the same fio (MB/s)', 'MB/s', 'informational', r2v, f2);
record('pwrite-blocking 65,539-byte batches (not a multiple of the 4 KiB page) vs the same fio (MB/s)', 'MB/s', 'informational', r2u, f2);
record('pwrite 64 KiB batches + final fdatasync vs fio psync 64k --end_fsync=1 (MB/s)', 'MB/s', 'informational', r2s, f2s);
record('fsync-per-write 4 KiB append p50, preallocated segment, vs fio psync 4k fdatasync=1 write+sync p50 (us)', 'us', 'ratio <= 1.2', r3, f3);
record('fsync-per-write-blocking (every write on the event loop, no fallback) 4 KiB append p50, preallocated, vs the same fio p50 (us)', 'us', 'informational', r3b, f3);
record('fsync-per-write with every write through the threadpool (the engine before inline writes), same (us)', 'us', 'informational', r3t, f3);
record('fsync-per-write 4 KiB append p50, growing segment (default), vs the same fio p50 (us)', 'us', 'informational', r3g, f3);
record('fsync-group vs fsync-per-write, 16 appenders each, 4 KiB (records/s)', 'records/s', 'ratio >= 5', r4g, r4p);
record('fsync-group 16 appenders vs fsync-per-write 1 appender, 4 KiB (records/s)', 'records/s', 'ratio >= 5', r4g, r4s);

fs.mkdirSync(args.out!, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
// libuv hands file operations to io_uring instead of its threadpool only when UV_USE_IO_URING=1
const ioUring = process.env.UV_USE_IO_URING === '1';
const env = { kernel: os.release(), cpu: os.cpus()[0]?.model, cpus: os.cpus().length, memBytes: os.totalmem(), node: process.version, dir: root, reps, uvUseIoUring: ioUring };
fs.writeFileSync(join(args.out!, `core-${stamp}${ioUring ? '-io-uring' : ''}.json`), JSON.stringify({ env, results }, null, 2));
const md = [`# Core engine benchmarks (${new Date().toISOString()})`, '', `Command: \`${ioUring ? 'UV_USE_IO_URING=1 ' : ''}npx tsx harness/bench/core.ts --reps ${reps}\`; env: ${JSON.stringify(env)}`, '', '| measurement | strata median [min-max] | baseline median [min-max] | ratio | target |', '|---|---|---|---|---|'];
for (const [name, r] of Object.entries(results)) {
  md.push(`| ${name} | ${fmt(r.strata.median, 1)} [${fmt(r.strata.min, 1)}-${fmt(r.strata.max, 1)}] | ${r.baseline ? `${fmt(r.baseline.median, 1)} [${fmt(r.baseline.min, 1)}-${fmt(r.baseline.max, 1)}]` : 'n/a'} | ${r.ratio !== undefined ? fmt(r.ratio, 2) : 'n/a'} | ${r.target} |`);
}
fs.writeFileSync(join(args.out!, `core-${stamp}${ioUring ? '-io-uring' : ''}.md`), md.join('\n') + '\n');
process.stdout.write(md.join('\n') + '\n');
fs.rmSync(root, { recursive: true, force: true });
