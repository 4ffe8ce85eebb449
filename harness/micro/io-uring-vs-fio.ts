/**
 * The io-uring engines beside their counterparts, in one run on one directory, with the engines
 * workload's measurements (harness/kinds/engines/phases.ts):
 *   1. sequential 64 KiB appends into the page cache (32 appends in flight, preallocated segment):
 *      io-uring-page-cache and pwrite, MB/s, against `fio --rw=write --bs=64k --ioengine=io_uring
 *      --iodepth=32` run before and after them;
 *   2. durable 4 KiB appends one at a time, and 16 at once, on the engines' segment files
 *      (preallocated): io-uring, fsync-group and fsync-per-write take turns append by append, so
 *      a busy machine's swings hit all three alike (phases run one after another differed by
 *      several times here between runs of the same engine); p10/p50/p90 latency of each.
 * Medians over the repetitions, each with its range, and the ratios.
 *
 *   npx tsx harness/micro/io-uring-vs-fio.ts [--dir DIR] [--reps 3] [--big-mib 256] [--appends 300]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SegmentFile, StorageEngine } from '../../core/engine.js';
import { fsyncGroupEngine } from '../../engines/fsync-group.js';
import { fsyncPerWriteEngine } from '../../engines/fsync-per-write.js';
import { ioUringEngine, ioUringPageCacheEngine } from '../../engines/io-uring.js';
import { uringUnavailable } from '../../engines/io-uring-queue.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { enginePhases } from '../kinds/engines/phases.js';
import { median, percentile } from '../stats.js';

interface Args {
  dir: string;
  reps: number;
  bigMib: number;
  appends: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { dir: os.tmpdir(), reps: 3, bigMib: 256, appends: 300 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i]!, argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    const n = Number(value);
    if (flag === '--dir') args.dir = value;
    else if (!(n > 0)) throw new Error(`${flag} must be a positive number, got "${value}"`);
    else if (flag === '--reps') args.reps = n;
    else if (flag === '--big-mib') args.bigMib = n;
    else if (flag === '--appends') args.appends = n;
    else throw new Error(`unknown option ${flag} (options: --dir, --reps, --big-mib, --appends)`);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const why = uringUnavailable();
if (why) throw new Error(`io-uring-vs-fio: the io-uring engine is ${why}`);
const root = fs.mkdtempSync(path.join(args.dir, 'strata-uring-bench-'));
const sizes = { smallBatches: 1, bigBytes: args.bigMib * 2 ** 20, fsyncAppends: 1, fioSyncBytes: 2 ** 20, concurrentSeconds: 1 };
const p = enginePhases(root, sizes);
const figures: Record<string, number[]> = {};
const note = (name: string, value: number | undefined) => {
  if (value !== undefined) (figures[name] ??= []).push(value);
};
const big = (engine: StorageEngine) => p.bigPhase(engine, { batchBytes: 65536, validate: false, finalSync: false });
/**
 * `args.appends` rounds of durable 4 KiB appends (`batch` at once) on one preallocated segment
 * file per engine, the engines taking turns round by round: the latency of each round, per engine.
 */
async function durableTurns(batch: number): Promise<Map<string, number[]>> {
  const engines = [ioUringEngine, fsyncGroupEngine, fsyncPerWriteEngine];
  const dir = fs.mkdtempSync(path.join(root, 'durable-'));
  const files: SegmentFile[] = [];
  try {
    for (const e of engines) files.push(await e.open(path.join(dir, `${e.name}.log`), { preallocateBytes: Math.max(1, args.appends * batch * 4096) }));
    const buffers = Array.from({ length: batch }, (_, i) => Buffer.alloc(4096, i));
    const lat = engines.map(() => [] as number[]);
    for (let round = 0; round < args.appends; round++) {
      for (let k = 0; k < files.length; k++) {
        const start = process.hrtime.bigint();
        await Promise.all(buffers.map((b) => files[k]!.append([b], b.length)));
        lat[k]!.push(Number(process.hrtime.bigint() - start) / 1000);
      }
    }
    return new Map(engines.map((e, k) => [e.name, lat[k]!.sort((a, b) => a - b)]));
  } finally {
    for (const f of files) await f.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const fioUring = () => p.fioWriteMBps('64k', sizes.bigBytes, ['--ioengine=io_uring', '--iodepth=32']);

try {
  for (let rep = 0; rep < args.reps; rep++) {
    note('fio io_uring 64k MB/s', await fioUring());
    note('io-uring-page-cache 64 KiB MB/s', await big(ioUringPageCacheEngine));
    note('pwrite 64 KiB MB/s', await big(pwriteEngine));
    note('fio io_uring 64k MB/s', await fioUring());
    for (const [what, batch] of [['one', 1], ['16 at once', 16]] as const) {
      for (const [engine, l] of await durableTurns(batch)) {
        for (const q of [10, 50, 90]) note(`${engine} 4 KiB, ${what}, p${q} us`, percentile(l, q));
      }
    }
    console.error(`rep ${rep + 1}/${args.reps} done`);
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}

const med = (name: string) => median(figures[name] ?? [NaN]);
for (const [name, values] of Object.entries(figures)) {
  console.log(`${name}: ${Math.round(median(values))} [${Math.round(Math.min(...values))}-${Math.round(Math.max(...values))}] (${values.length} runs)`);
}
const ratio = (a: string, b: string) => console.log(`${a} / ${b}: ${(med(a) / med(b)).toFixed(2)}x`);
ratio('io-uring-page-cache 64 KiB MB/s', 'fio io_uring 64k MB/s');
ratio('pwrite 64 KiB MB/s', 'fio io_uring 64k MB/s');
ratio('io-uring 4 KiB, one, p50 us', 'fsync-per-write 4 KiB, one, p50 us');
ratio('io-uring 4 KiB, 16 at once, p50 us', 'fsync-group 4 KiB, 16 at once, p50 us');
