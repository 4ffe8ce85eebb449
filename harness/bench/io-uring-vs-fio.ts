/**
 * The io-uring engines beside their counterparts, in one run on one directory, with the engines
 * workload's measurements (harness/kinds/engines/phases.ts):
 *   1. sequential 64 KiB appends into the page cache (32 appends in flight, preallocated segment):
 *      io-uring-page-cache and pwrite, MB/s, against `fio --rw=write --bs=64k --ioengine=io_uring
 *      --iodepth=32` run before and after them;
 *   2. durable 4 KiB appends one at a time (preallocated segment): p50 latency of io-uring against
 *      fsync-per-write;
 *   3. 16 appenders of 4 KiB durable appends: records/s of io-uring against fsync-group.
 * Medians over the repetitions, each with its range, and the ratios.
 *
 *   npx tsx harness/bench/io-uring-vs-fio.ts [--dir DIR] [--reps 3] [--big-mib 256] [--appends 1000] [--seconds 3]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StorageEngine } from '../../core/engine.js';
import { fsyncGroupEngine } from '../../engines/fsync-group.js';
import { fsyncPerWriteEngine } from '../../engines/fsync-per-write.js';
import { ioUringEngine, ioUringPageCacheEngine } from '../../engines/io-uring.js';
import { uringUnavailable } from '../../engines/io-uring-queue.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { enginePhases } from '../kinds/engines/phases.js';
import { median } from '../stats.js';

interface Args {
  dir: string;
  reps: number;
  bigMib: number;
  appends: number;
  seconds: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { dir: os.tmpdir(), reps: 3, bigMib: 256, appends: 1000, seconds: 3 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i]!, argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    const n = Number(value);
    if (flag === '--dir') args.dir = value;
    else if (!(n > 0)) throw new Error(`${flag} must be a positive number, got "${value}"`);
    else if (flag === '--reps') args.reps = n;
    else if (flag === '--big-mib') args.bigMib = n;
    else if (flag === '--appends') args.appends = n;
    else if (flag === '--seconds') args.seconds = n;
    else throw new Error(`unknown option ${flag} (options: --dir, --reps, --big-mib, --appends, --seconds)`);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const why = uringUnavailable();
if (why) throw new Error(`io-uring-vs-fio: the io-uring engine is ${why}`);
const root = fs.mkdtempSync(path.join(args.dir, 'strata-uring-bench-'));
const sizes = { smallBatches: 1, bigBytes: args.bigMib * 2 ** 20, fsyncAppends: args.appends, fioSyncBytes: 2 ** 20, concurrentSeconds: args.seconds };
const p = enginePhases(root, sizes);
const figures: Record<string, number[]> = {};
const note = (name: string, value: number | undefined) => {
  if (value !== undefined) (figures[name] ??= []).push(value);
};
const big = (engine: StorageEngine) => p.bigPhase(engine, { batchBytes: 65536, validate: false, finalSync: false });
const fioUring = () => p.fioWriteMBps('64k', sizes.bigBytes, ['--ioengine=io_uring', '--iodepth=32']);

try {
  for (let rep = 0; rep < args.reps; rep++) {
    note('fio io_uring 64k MB/s', await fioUring());
    note('io-uring-page-cache 64 KiB MB/s', await big(ioUringPageCacheEngine));
    note('pwrite 64 KiB MB/s', await big(pwriteEngine));
    note('fio io_uring 64k MB/s', await fioUring());
    note('fsync-per-write 4 KiB p50 us', await p.latencyPhase(fsyncPerWriteEngine, true));
    note('io-uring 4 KiB p50 us', await p.latencyPhase(ioUringEngine, true));
    note('fsync-group 16 appenders records/s', await p.concurrentPhase(fsyncGroupEngine, 16));
    note('io-uring 16 appenders records/s', await p.concurrentPhase(ioUringEngine, 16));
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
ratio('io-uring 4 KiB p50 us', 'fsync-per-write 4 KiB p50 us');
ratio('io-uring 16 appenders records/s', 'fsync-group 16 appenders records/s');
