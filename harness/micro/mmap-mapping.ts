/**
 * Two mapping choices for the mmap engine, measured with the raw addon side by side:
 *  1. one mapping for the whole file vs 16 MiB mappings (msync of everything: one msync(MS_SYNC),
 *     so one device cache flush, vs one per mapping): the engine maps 1 GiB at a time;
 *  2. MADV_POPULATE_WRITE 4 MiB ahead of the copy vs one page fault per 4 KiB page (copy phase):
 *     no gain measured here, so the engine does not populate.
 * Each run: fallocate a new file of --size, map it, copy 64 KiB blocks into it, msync, unmap.
 *
 *   npx tsx harness/micro/mmap-mapping.ts [--dir DIR] [--size 512m] [--reps 3]
 */
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireNative } from '../../native/index.js';
import { medianRange } from '../stats.js';

const native = requireNative('the mapping benchmark');
const argv = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
};
const sizeMiB = Number(opt('size', '512m').replace(/m$/i, ''));
const reps = Number(opt('reps', '3'));
if (!Number.isInteger(sizeMiB) || sizeMiB < 16 || sizeMiB % 16 !== 0 || sizeMiB > 4096) throw new Error('--size must be a multiple of 16m, 16m..4096m');
if (!Number.isInteger(reps) || reps < 1 || reps > 20) throw new Error('--reps must be 1..20');
const ownDir = !argv.includes('--dir');
const dir = ownDir ? fs.mkdtempSync(path.join(os.tmpdir(), 'strata-mmap-mapping-')) : opt('dir', '');
const sizeBytes = sizeMiB * 1024 * 1024;
const block = randomFillSync(Buffer.allocUnsafe(64 * 1024));
const POPULATE_STEP = 4 * 1024 * 1024;

interface Variant {
  name: string;
  regionBytes: number;
  populate: boolean;
}
const variants: Variant[] = [
  { name: 'one mapping, populate', regionBytes: sizeBytes, populate: true },
  { name: 'one mapping, page faults', regionBytes: sizeBytes, populate: false },
  { name: '16 MiB mappings, populate', regionBytes: 16 * 1024 * 1024, populate: true },
];

function run(v: Variant): { copyMs: number; copyCpuMs: number; msyncMs: number } {
  const file = path.join(dir, 'mapping.bench');
  fs.rmSync(file, { force: true });
  const fd = fs.openSync(file, 'w+');
  try {
    native.fallocate(fd, 0, sizeBytes);
    const maps: ArrayBuffer[] = [];
    for (let at = 0; at < sizeBytes; at += v.regionBytes) maps.push(native.mmap(fd, at, v.regionBytes, true));
    const views = maps.map((m) => Buffer.from(m));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let at = 0; at < sizeBytes; at += block.length) {
      const i = Math.floor(at / v.regionBytes);
      const inRegion = at - i * v.regionBytes;
      if (v.populate && at % POPULATE_STEP === 0) native.madvise(maps[i]!, inRegion, POPULATE_STEP, native.MADV.POPULATE_WRITE);
      block.copy(views[i]!, inRegion);
    }
    const t1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    for (const m of maps) native.msync(m, 0, v.regionBytes, true);
    const t2 = performance.now();
    for (const m of maps) native.munmap(m);
    return { copyMs: t1 - t0, copyCpuMs: (cpu.user + cpu.system) / 1000, msyncMs: t2 - t1 };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
}

const fmt = (xs: number[]): string => medianRange(xs, 0);

try {
  const results = new Map<string, { copy: number[]; copyCpu: number[]; msync: number[] }>(variants.map((v) => [v.name, { copy: [], copyCpu: [], msync: [] }]));
  console.log(`${sizeMiB} MiB in 64 KiB copies into a new fallocated file, ${reps} reps, in ${dir}`);
  for (let rep = 0; rep < reps; rep++) {
    const order = rep % 2 ? [...variants].reverse() : variants;
    for (const v of order) {
      const r = run(v);
      results.get(v.name)!.copy.push(r.copyMs);
      results.get(v.name)!.copyCpu.push(r.copyCpuMs);
      results.get(v.name)!.msync.push(r.msyncMs);
      console.log(`  rep ${rep + 1} ${v.name.padEnd(26)} copy ${r.copyMs.toFixed(0)} ms (cpu ${r.copyCpuMs.toFixed(0)} ms), msync ${r.msyncMs.toFixed(0)} ms`);
    }
  }
  console.log('\nms, median [min-max] (cpu = user+system CPU time of the copy phase):');
  for (const [name, r] of results) console.log(`  ${name.padEnd(26)} copy ${fmt(r.copy)}   cpu ${fmt(r.copyCpu)}   msync ${fmt(r.msync)}`);
} finally {
  if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
}
