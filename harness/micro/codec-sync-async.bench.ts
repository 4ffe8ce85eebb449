/**
 * Sync vs threadpool cost per codec and size, to choose SYNC_BYTES_MAX (codecs/sync-thresholds.ts).
 * For each codec, size and direction: the median time of the synchronous call (all of it blocks
 * the event loop) and of the async call (a libuv threadpool hop; the event loop only dispatches
 * and resolves). Payload: JSON log lines (profile json), seeded. Both sides yield an event-loop
 * turn every 32 calls (withLoopTurns: lets napi finalizers free native output buffers).
 *
 *   npx tsx harness/micro/codec-sync-async.bench.ts        (writes results/codecs/sync-async.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import lz4 from 'lz4-napi';
import snappy from 'snappy';
import zstd from '@mongodb-js/zstd';
import { measure } from 'mitata';
import { makeRecords, recordsSectionOf, withLoopTurns } from './payloads.js';

const SIZES = [1024, 4096, 16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024];
const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);

interface Pair {
  codec: string;
  op: 'compress' | 'decompress';
  sync?: (b: Buffer) => unknown;
  async: (b: Buffer) => Promise<unknown>;
  prepare: (b: Buffer) => Buffer | Promise<Buffer>;
}

const pairs: Pair[] = [
  { codec: 'gzip', op: 'compress', prepare: (b) => b, sync: (b) => zlib.gzipSync(b, { level: 6 }), async: (b) => gzipAsync(b, { level: 6 }) },
  { codec: 'gzip', op: 'decompress', prepare: (b) => zlib.gzipSync(b, { level: 6 }), sync: (b) => zlib.gunzipSync(b), async: (b) => gunzipAsync(b) },
  { codec: 'snappy', op: 'compress', prepare: (b) => b, sync: (b) => snappy.compressSync(b, { copyOutputData: true }), async: (b) => snappy.compress(b, { copyOutputData: true }) },
  { codec: 'snappy', op: 'decompress', prepare: (b) => snappy.compressSync(b), sync: (b) => snappy.uncompressSync(b, { asBuffer: true, copyOutputData: true }), async: (b) => snappy.uncompress(b, { asBuffer: true, copyOutputData: true }) },
  { codec: 'lz4', op: 'compress', prepare: (b) => b, sync: (b) => lz4.compressFrameSync(b), async: (b) => lz4.compressFrame(b) },
  { codec: 'lz4', op: 'decompress', prepare: (b) => lz4.compressFrameSync(b), sync: (b) => lz4.decompressFrameSync(b), async: (b) => lz4.decompressFrame(b) },
  { codec: 'zstd', op: 'compress', prepare: (b) => b, async: (b) => zstd.compress(b, 3) },
  { codec: 'zstd', op: 'decompress', prepare: (b) => zstd.compress(b, 3), async: (b) => zstd.decompress(b) },
];

const opts = { min_cpu_time: 60e6, max_samples: 1000 };
/**
 * The rule for SYNC_BYTES_MAX: run synchronously while the sync call's median stays within
 * SYNC_BUDGET_US, about one threadpool round trip here (the async medians at 1-4 KiB). Below it the
 * sync call costs less latency and CPU than the hop and holds the event loop no longer than the hop
 * would take anyway; above it the threadpool frees the loop for the duration of the work.
 */
const SYNC_BUDGET_US = 50;
const ROUNDS = 3;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const samples = new Map<string, { sync: number[]; async: number[] }>();
const inputs = new Map<string, Buffer>();
for (const bytes of SIZES) {
  const section = recordsSectionOf(makeRecords('json', bytes)).subarray(0, bytes);
  for (const p of pairs) inputs.set(`${p.codec}/${p.op}/${bytes}`, await p.prepare(section));
}
// rounds interleave every measurement so a noisy neighbour spreads over all of them
for (let round = 0; round < ROUNDS; round++) {
  for (const bytes of SIZES) {
    for (const p of pairs) {
      const key = `${p.codec}/${p.op}/${bytes}`;
      const input = inputs.get(key)!;
      const entry = samples.get(key) ?? { sync: [], async: [] };
      if (p.sync) entry.sync.push((await measure(withLoopTurns(() => p.sync!(input)), opts)).p50 / 1000);
      entry.async.push((await measure(withLoopTurns(() => p.async(input)), opts)).p50 / 1000);
      samples.set(key, entry);
    }
  }
}

const rows: Array<{ codec: string; op: string; bytes: number; syncUsP50: number | null; asyncUsP50: number; syncRoundsUs: number[]; asyncRoundsUs: number[] }> = [];
const thresholds: Record<string, Record<string, number>> = {};
for (const p of pairs) {
  let threshold = 0;
  let within = true;
  for (const bytes of SIZES) {
    const e = samples.get(`${p.codec}/${p.op}/${bytes}`)!;
    const row = {
      codec: p.codec,
      op: p.op,
      bytes,
      syncUsP50: e.sync.length ? median(e.sync) : null,
      asyncUsP50: median(e.async),
      syncRoundsUs: e.sync,
      asyncRoundsUs: e.async,
    };
    rows.push(row);
    if (row.syncUsP50 !== null && within && row.syncUsP50 <= SYNC_BUDGET_US) threshold = bytes;
    else within = false;
    console.log(
      `${p.codec.padEnd(6)} ${p.op.padEnd(10)} ${String(bytes).padStart(8)} B  sync ${row.syncUsP50 === null ? '      -' : row.syncUsP50.toFixed(1).padStart(7)} us  async ${row.asyncUsP50.toFixed(1).padStart(7)} us`,
    );
  }
  if (p.sync) (thresholds[p.codec] ??= {})[p.op] = threshold;
}
console.log(`\nsync while the sync median <= ${SYNC_BUDGET_US} us (median of ${ROUNDS} rounds):`, JSON.stringify(thresholds));
mkdirSync('results/codecs', { recursive: true });
writeFileSync(
  'results/codecs/sync-async.json',
  JSON.stringify({ when: new Date().toISOString(), node: process.version, payload: 'json', syncBudgetUs: SYNC_BUDGET_US, rounds: ROUNDS, thresholds, rows }, null, 2),
);
