/**
 * The mmap engine's sequential append against fio's mmap engine, side by side in one run on the same
 * directory: `bs`-sized appends (64 KiB) of `size` bytes into a fresh segment file, then one flush
 * (msync), against `fio --ioengine=mmap --rw=write --bs=64k --end_fsync=1` writing a file of the
 * same size. Repetitions alternate which goes first; medians, ranges and the ratio are printed.
 *
 *   npx tsx harness/bench/mmap-vs-fio.ts [--dir DIR] [--size 1g] [--bs 64k] [--reps 3] [--json FILE]
 *
 * What is timed, for both: from the first write into the (already sized) file to the end of the
 * final sync; mapping and unmapping are outside both clocks. The starting files differ, and that is
 * reported rather than hidden: fio's mmap engine cannot extend a file, so before its clock starts
 * it LAYS THE FILE OUT (fallocate, then writes every block, fsync, drops the cache) and then
 * measures an overwrite of allocated blocks. The engine's real case is a new segment: open()
 * fallocates it (unwritten extents, nothing written), which the `engine` figure measures. The
 * `engineLaidOut` figure gives the engine fio's conditions (the same layout done by hand, then
 * open with validBytes 0), and `engineGrowing` opens with preallocateBytes 0, so the engine extends
 * the file in fallocate steps of 8 to 64 MiB inside the timed loop.
 */
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mmapEngine } from '../../engines/mmap.js';
import { requireNative, type NativeAddon } from '../../native/index.js';
import { runFioJson } from '../baselines/fio.js';
import { median } from '../stats.js';

interface Args {
  dir: string;
  sizeBytes: number;
  blockBytes: number;
  reps: number;
  json?: string;
}

function parseBytes(text: string, name: string): number {
  const m = /^(\d+)([kmg]?)$/i.exec(text.trim());
  if (!m) throw new Error(`--${name} must be a byte count like 65536, 64k, 512m or 1g, got "${text}"`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * unit;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { dir: '', sizeBytes: 1024 ** 3, blockBytes: 64 * 1024, reps: 3 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--dir') args.dir = value;
    else if (flag === '--size') args.sizeBytes = parseBytes(value, 'size');
    else if (flag === '--bs') args.blockBytes = parseBytes(value, 'bs');
    else if (flag === '--reps') args.reps = Number(value);
    else if (flag === '--json') args.json = value;
    else throw new Error(`unknown option ${flag} (options: --dir, --size, --bs, --reps, --json)`);
  }
  if (!Number.isInteger(args.reps) || args.reps < 1 || args.reps > 50) throw new Error('--reps must be an integer in 1..50');
  if (args.sizeBytes % args.blockBytes !== 0) throw new Error('--size must be a multiple of --bs');
  if (args.sizeBytes > 16 * 1024 ** 3) throw new Error('--size is capped at 16g');
  return args;
}

type EngineStart = 'new' | 'laidOut' | 'growing';

/** What fio does before an mmap write job: fallocate, write every block, fsync, drop the cache. */
function layOut(file: string, sizeBytes: number, block: Buffer): void {
  const fd = fs.openSync(file, 'w');
  try {
    loadNativeOrThrow().fallocate(fd, 0, sizeBytes);
    for (let at = 0; at < sizeBytes; at += block.length) fs.writeSync(fd, block, 0, block.length, at);
    fs.fsyncSync(fd);
    loadNativeOrThrow().posix_fadvise(fd, 0, sizeBytes, loadNativeOrThrow().FADV.DONTNEED);
  } finally {
    fs.closeSync(fd);
  }
}

function loadNativeOrThrow(): NativeAddon {
  return requireNative('the mmap benchmark');
}

/** MB/s (10^6 B/s) of one engine run. */
async function runEngine(file: string, sizeBytes: number, block: Buffer, start: EngineStart): Promise<number> {
  fs.rmSync(file, { force: true });
  if (start === 'laidOut') layOut(file, sizeBytes, block);
  const seg = await mmapEngine.open(file, { preallocateBytes: start === 'growing' ? 0 : sizeBytes, validBytes: start === 'laidOut' ? 0 : undefined });
  const chunks = [block];
  const began = process.hrtime.bigint();
  for (let written = 0; written < sizeBytes; written += block.length) await seg.append(chunks, block.length);
  await seg.flush();
  const ns = Number(process.hrtime.bigint() - began);
  await seg.close();
  if (fs.statSync(file).size !== sizeBytes) throw new Error(`engine wrote ${fs.statSync(file).size} bytes, expected ${sizeBytes}`);
  fs.rmSync(file);
  return sizeBytes / 1e6 / (ns / 1e9);
}

/** MB/s of one fio run, as fio reports it (bw_bytes over its own runtime). */
async function runFio(file: string, sizeBytes: number, blockBytes: number): Promise<number> {
  fs.rmSync(file, { force: true });
  const job = await runFioJson(['--name=mmap-write', `--filename=${file}`, '--ioengine=mmap', '--rw=write', `--bs=${blockBytes}`, `--size=${sizeBytes}`, '--end_fsync=1'], 600_000);
  if (job.write.io_bytes !== sizeBytes) throw new Error(`fio wrote ${job.write.io_bytes} bytes, expected ${sizeBytes}`);
  fs.rmSync(file);
  return job.write.bw_bytes / 1e6;
}

function summary(values: readonly number[]): string {
  return `${median(values).toFixed(0)} [${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)}]`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const ownDir = !args.dir;
  const dir = args.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'strata-mmap-bench-'));
  fs.mkdirSync(dir, { recursive: true });
  const block = randomFillSync(Buffer.allocUnsafe(args.blockBytes));
  const runs = { engine: [] as number[], engineLaidOut: [] as number[], engineGrowing: [] as number[], fio: [] as number[] };
  try {
    console.log(`mmap engine vs fio --ioengine=mmap: ${args.sizeBytes} bytes in ${args.blockBytes}-byte writes, ${args.reps} reps, in ${dir}`);
    for (let rep = 0; rep < args.reps; rep++) {
      // alternate the order so neither side always runs on a cache the other just dirtied
      const order = rep % 2 === 0 ? (['engine', 'fio', 'engineLaidOut', 'engineGrowing'] as const) : (['engineGrowing', 'engineLaidOut', 'fio', 'engine'] as const);
      for (const which of order) {
        const file = path.join(dir, `${which}.bench`);
        const start = ({ engine: 'new', engineLaidOut: 'laidOut', engineGrowing: 'growing' } as const)[which as 'engine'];
        const mbps = which === 'fio' ? await runFio(file, args.sizeBytes, args.blockBytes) : await runEngine(file, args.sizeBytes, block, start);
        runs[which].push(mbps);
        console.log(`  rep ${rep + 1} ${which.padEnd(13)} ${mbps.toFixed(0)} MB/s`);
      }
    }
  } finally {
    if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
  }
  const ratio = median(runs.engine) / median(runs.fio);
  const ratioLaidOut = median(runs.engineLaidOut) / median(runs.fio);
  const ratioGrowing = median(runs.engineGrowing) / median(runs.fio);
  console.log('\nMB/s (10^6 B/s), median [min-max]; ratio = engine median / fio median:');
  console.log(`  fio --ioengine=mmap, laid-out file (+end_fsync)   ${summary(runs.fio)}`);
  console.log(`  engine, new segment fallocated (+flush)           ${summary(runs.engine)}   ratio ${ratio.toFixed(2)}x`);
  console.log(`  engine, laid-out file as fio's (+flush)           ${summary(runs.engineLaidOut)}   ratio ${ratioLaidOut.toFixed(2)}x`);
  console.log(`  engine, new segment growing 8-64 MiB (+flush)     ${summary(runs.engineGrowing)}   ratio ${ratioGrowing.toFixed(2)}x`);
  if (args.json) {
    fs.writeFileSync(args.json, JSON.stringify({ ...args, dir: undefined, runs, ratio, ratioLaidOut, ratioGrowing }, null, 2) + '\n');
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exitCode = 1;
});
