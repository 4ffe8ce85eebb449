/**
 * How much native memory the codec bindings' output buffers pile up when the event loop never
 * turns (their finalizers run on a later turn), and how fast the calls are in such a loop, with and
 * without snappy's copyOutputData and with a loop turn every 100 calls. Each check stops early when
 * RSS grew by 1.5 GiB (so this never takes the machine's memory).
 *
 *   npx tsx harness/micro/codec-native-memory.ts      (writes results/codecs/native-memory.json)
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import lz4 from 'lz4-napi';
import snappy from 'snappy';

const RSS_GROWTH_MAX = 1.5 * 1024 ** 3;
const CALLS = 20_000;
const compressible = Buffer.alloc(64 * 1024, 'abcdefghij');
const random = randomBytes(64 * 1024);
const lz4Blob = lz4.compressFrameSync(compressible);
const snappyBlob = snappy.compressSync(compressible);

const rows: Array<{ name: string; calls: number; rssGrowthMiB: number; aborted: boolean; usPerCall: number }> = [];
async function check(name: string, fn: () => unknown, loopTurnEvery = 0): Promise<void> {
  const before = process.memoryUsage.rss();
  let peak = before;
  let calls = 0;
  let aborted = false;
  const t0 = process.hrtime.bigint();
  for (; calls < CALLS; calls++) {
    await fn();
    if (loopTurnEvery && calls % loopTurnEvery === 0) await new Promise((resolve) => setImmediate(resolve));
    if (calls % 250 === 0) {
      peak = Math.max(peak, process.memoryUsage.rss());
      if (peak - before > RSS_GROWTH_MAX) {
        aborted = true;
        break;
      }
    }
  }
  const usPerCall = Number(process.hrtime.bigint() - t0) / 1000 / Math.max(1, calls);
  const row = { name, calls, rssGrowthMiB: Math.round((peak - before) / 1024 / 1024), aborted, usPerCall: Math.round(usPerCall * 10) / 10 };
  rows.push(row);
  console.log(`${name.padEnd(48)} ${String(calls).padStart(6)} calls  rss +${String(row.rssGrowthMiB).padStart(5)} MiB${aborted ? ' (stopped at the cap)' : ''}  ${row.usPerCall} us/call`);
  // let finalizers and GC bring memory back before the next check
  for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
}

await check('lz4 decompressFrameSync (64 KiB out)', () => lz4.decompressFrameSync(lz4Blob));
await check('lz4 decompressFrameSync, loop turn every 100', () => lz4.decompressFrameSync(lz4Blob), 100);
await check('lz4 compressFrameSync random 64 KiB', () => lz4.compressFrameSync(random));
await check('lz4 compressFrameSync random, loop turn every 100', () => lz4.compressFrameSync(random), 100);
await check('snappy uncompressSync (64 KiB out)', () => snappy.uncompressSync(snappyBlob, { asBuffer: true }));
await check('snappy uncompressSync copyOutputData', () => snappy.uncompressSync(snappyBlob, { asBuffer: true, copyOutputData: true }));
await check('snappy compressSync 64 KiB', () => snappy.compressSync(compressible));
await check('snappy compressSync copyOutputData', () => snappy.compressSync(compressible, { copyOutputData: true }));
mkdirSync('results/codecs', { recursive: true });
writeFileSync('results/codecs/native-memory.json', JSON.stringify({ when: new Date().toISOString(), node: process.version, calls: CALLS, rows }, null, 2));
