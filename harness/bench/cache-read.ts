/**
 * The read cache on the read path: none, page-cache and user-lru under a consumer re-reading a hot
 * log, through the buffered transfer (Log.read slices -> BufferedTransfer -> a loopback socket, as a
 * Fetch is served) and through readBatches (Log.read + readSlice + decode), plus what each cache
 * costs the appends that wrote the log.
 *
 *   npx tsx harness/bench/cache-read.ts [--mib 32] [--passes 4] [--reps 3] [--batch-kib 16] [--fetch-kib 1024]
 *
 * After a small warm-up of every path (JIT), each repetition runs the three caches back to back, in
 * an order that rotates (the noisy shared machine affects them alike),
 * each on a fresh log in a temp dir on the pwrite engine: append --mib of batches (Log.append, the
 * broker's path: the caller keeps its buffer), flush, then --passes reads of the whole log per path.
 * The first pass brings the log in; the figures are of passes 2.. (the log is hot: in the page
 * cache, and in user-lru's memory when it keeps reads). Hit rate: the cache's own hits / (hits +
 * misses) over those passes (lookups, not bytes); page-cache keeps nothing in process, so it has
 * none to count (the kernel's hits are not visible here). Medians [min-max] over repetitions.
 * Indicative only: 2 shared cores; compare ratios within one run.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Cache } from '../../core/cache.js';
import { logConfigFrom } from '../../core/config/log-config.js';
import { buildBatch } from '../../core/format/records.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { builtinCaches } from '../../engines/cache/index.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { bufferedTransfer } from '../../engines/transfer/buffered.js';
import { median } from '../stats.js';

const { values: args } = parseArgs({
  options: {
    mib: { type: 'string', default: '32' },
    passes: { type: 'string', default: '4' },
    reps: { type: 'string', default: '3' },
    'batch-kib': { type: 'string', default: '16' },
    'fetch-kib': { type: 'string', default: '1024' },
  },
});
const LOG_BYTES = Number(args.mib) * 1024 * 1024;
const PASSES = Number(args.passes);
const REPS = Number(args.reps);
const BATCH_BYTES = Number(args['batch-kib']) * 1024;
const FETCH_BYTES = Number(args['fetch-kib']) * 1024;
const RECORD_BYTES = 1024;
/** What the harness gives user-lru in a cell (harness/components.ts CACHE_BYTES_MAX). */
const CACHE_BYTES_MAX = 256 * 1024 * 1024;
const CACHES = ['none', 'page-cache', 'user-lru'] as const;

interface PathFigures {
  mbPerSec: number;
  /** This process's user + system CPU seconds per 10^9 bytes read (the discarding reader included). */
  cpuSecPerGb: number;
  hitRate: number;
}
interface Sample {
  appendMbPerSec: number;
  appendCpuSecPerGb: number;
  buffered: PathFigures;
  readBatches: PathFigures;
  heldBytes: number;
}

function oneBatch(): Buffer {
  const records = Array.from({ length: Math.max(1, Math.floor(BATCH_BYTES / RECORD_BYTES)) }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(RECORD_BYTES - 40, i & 0xff) }));
  return buildBatch(records, { baseOffset: 0 });
}

/** A loopback connection whose far end discards what arrives; resolves with the sending socket. */
async function discardingSocket(): Promise<{ socket: net.Socket; close: () => void }> {
  const server = net.createServer((s) => {
    s.on('data', () => {});
    s.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await once(socket, 'connect');
  return { socket, close: () => (socket.destroy(), server.close()) };
}

/** One pass over the whole log; returns the bytes read. */
async function pass(log: Log, path: 'buffered' | 'readBatches', socket: net.Socket): Promise<number> {
  let offset = log.logStartOffset;
  let bytes = 0;
  while (offset < log.logEndOffset) {
    if (path === 'buffered') {
      const info = await log.read(offset, FETCH_BYTES);
      bytes += await bufferedTransfer.send(socket, info.slices);
      offset = info.nextOffset;
    } else {
      const batches = await log.readBatches(offset, FETCH_BYTES);
      for (const b of batches) bytes += b.sizeBytes;
      const last = batches[batches.length - 1]!;
      offset = last.header.baseOffset + last.header.lastOffsetDelta + 1;
    }
  }
  return bytes;
}

async function measurePath(log: Log, cache: Cache, path: 'buffered' | 'readBatches', socket: net.Socket): Promise<PathFigures> {
  await pass(log, path, socket); // brings the log in
  const before = cache.stats();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for (let p = 1; p < PASSES; p++) bytes += await pass(log, path, socket);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const after = cache.stats();
  const lookups = after.hits - before.hits + (after.misses - before.misses);
  return { mbPerSec: bytes / 1e6 / seconds, cpuSecPerGb: (cpu.user + cpu.system) / 1e6 / (bytes / 1e9), hitRate: lookups === 0 ? 0 : (after.hits - before.hits) / lookups };
}

async function runOne(name: (typeof CACHES)[number], logBytes = LOG_BYTES): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), `strata-cache-read-${name}-`));
  const cache = builtinCaches[name]!({ bytesMax: CACHE_BYTES_MAX });
  const log = await Log.open(dir, logConfigFrom({ 'segment.bytes': String(64 * 1024 * 1024) }), { engine: pwriteEngine, cache, logger: silentLogger });
  const conn = await discardingSocket();
  try {
    const batch = oneBatch();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let appended = 0;
    while (appended < logBytes) {
      await log.append(Buffer.from(batch)); // a fresh buffer each time, as a produce request's is
      appended += batch.length;
    }
    const appendMbPerSec = appended / 1e6 / (Number(process.hrtime.bigint() - t0) / 1e9);
    const appendCpu = process.cpuUsage(cpu0);
    const appendCpuSecPerGb = (appendCpu.user + appendCpu.system) / 1e6 / (appended / 1e9);
    await log.flush();
    // readBatches first: on main it is the only path that reaches the cache, so the buffered pass
    // then finds user-lru as warm as readBatches left it
    const readBatches = await measurePath(log, cache, 'readBatches', conn.socket);
    const buffered = await measurePath(log, cache, 'buffered', conn.socket);
    return { appendMbPerSec, appendCpuSecPerGb, buffered, readBatches, heldBytes: cache.stats().bytes };
  } finally {
    conn.close();
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const samples = new Map<string, Sample[]>(CACHES.map((c) => [c, []]));
// a small warm-up of every path first (JIT), not counted; then the order rotates per repetition,
// so no cache always runs first or last
for (const name of CACHES) await runOne(name, 4 * 1024 * 1024);
for (let rep = 0; rep < REPS; rep++) {
  for (let k = 0; k < CACHES.length; k++) {
    const name = CACHES[(rep + k) % CACHES.length]!;
    samples.get(name)!.push(await runOne(name));
  }
}

const fmt = (xs: number[], digits = 0): string => `${median(xs).toFixed(digits)} [${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}]`;
console.log(`cache-read: ${args.mib} MiB log, ${BATCH_BYTES / 1024} KiB batches, ${FETCH_BYTES / 1024} KiB reads, passes 2..${PASSES} of ${PASSES}, ${REPS} repetitions (median [min-max]); CPU: s per GB of this process (user+system)`);
console.log('| cache | append MB/s | append CPU s/GB | buffered MB/s | buffered CPU s/GB | buffered hit rate | readBatches MB/s | readBatches CPU s/GB | readBatches hit rate | held MiB |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
const noneOf = samples.get('none')!;
for (const name of CACHES) {
  const s = samples.get(name)!;
  const col = (f: (x: Sample) => number, digits = 0) => fmt(s.map(f), digits);
  console.log(
    `| ${name} | ${col((x) => x.appendMbPerSec)} | ${col((x) => x.appendCpuSecPerGb, 2)} | ${col((x) => x.buffered.mbPerSec)} | ${col((x) => x.buffered.cpuSecPerGb, 2)} | ${col((x) => x.buffered.hitRate, 2)} | ${col((x) => x.readBatches.mbPerSec)} | ${col((x) => x.readBatches.cpuSecPerGb, 2)} | ${col((x) => x.readBatches.hitRate, 2)} | ${col((x) => x.heldBytes / 1048576, 1)} |`,
  );
}
console.log('ratios to none, same repetition (median; CPU: lower is better): ' + CACHES.filter((c) => c !== 'none').map((name) => {
  const s = samples.get(name)!;
  const r = (f: (x: Sample) => number) => median(s.map((x, i) => f(x) / f(noneOf[i]!))).toFixed(2);
  return `${name}: append ${r((x) => x.appendMbPerSec)}x MB/s ${r((x) => x.appendCpuSecPerGb)}x CPU, buffered ${r((x) => x.buffered.mbPerSec)}x MB/s ${r((x) => x.buffered.cpuSecPerGb)}x CPU, readBatches ${r((x) => x.readBatches.mbPerSec)}x MB/s ${r((x) => x.readBatches.cpuSecPerGb)}x CPU`;
}).join('; '));
