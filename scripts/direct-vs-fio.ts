/**
 * One indicative figure for the direct engine: sequential appends of WRITE_BYTES, each awaited
 * (one write and its fdatasync per append), against fio doing the same on the same directory
 * (`--direct=1 --ioengine=psync --fdatasync=1 --fallocate=native`: the file reserved ahead, as the engine
 * reserves in fallocate steps), fio first and last. Not a benchmark of the main job:
 *   node --import tsx scripts/direct-vs-fio.ts DIR [writeBytes=65536] [totalMib=64]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runFioJson } from '../harness/baselines/fio.js';
import { createDirectEngine } from '../engines/direct/direct.js';

const [dirArg, writeArg = '65536', mibArg = '64'] = process.argv.slice(2);
if (!dirArg) throw new Error('usage: direct-vs-fio.ts DIR [writeBytes] [totalMib]');
const writeBytes = Number(writeArg);
const totalBytes = Number(mibArg) * 1024 * 1024;

async function fio(dir: string): Promise<number> {
  const args = [`--name=direct-vs-fio`, `--directory=${dir}`, '--rw=write', `--bs=${writeBytes}`, `--size=${totalBytes}`, '--direct=1', '--ioengine=psync', '--fdatasync=1', '--fallocate=native'];
  const job = await runFioJson(args, 600_000);
  console.log(`fio ${args.join(' ')}`);
  return job.write.bw_bytes / 1e6;
}

async function direct(dir: string): Promise<number> {
  const file = await createDirectEngine().open(join(dir, '00000000000000000000.log'), { preallocateBytes: 0 });
  const chunk = Buffer.alloc(writeBytes, 7);
  const start = process.hrtime.bigint();
  for (let at = 0; at < totalBytes; at += writeBytes) await file.append([chunk], writeBytes);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await file.close();
  return totalBytes / seconds / 1e6;
}

const dir = mkdtempSync(join(dirArg, 'strata-direct-vs-fio-'));
try {
  const fioBefore = await fio(dir);
  rmSync(join(dir, 'direct-vs-fio.0.0'), { force: true });
  const engine = await direct(dir);
  const fioAfter = await fio(dir);
  const fioMean = (fioBefore + fioAfter) / 2;
  console.log(`writes of ${writeBytes} B, ${mibArg} MiB: direct ${engine.toFixed(1)} MB/s, fio ${fioBefore.toFixed(1)} / ${fioAfter.toFixed(1)} MB/s, ratio ${(engine / fioMean).toFixed(2)}x`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
