/**
 * A power cut in the middle of creating many partitions at once (crashfs --strict-dirs: a name
 * is durable only once its directory is synced). A writer process creates 300 logs of a topic
 * through the LogManager, PARTITION_CREATE_CONCURRENCY at a time, their data-dir syncs shared, and
 * appends one record to each with a durable-append engine; the power goes after a random number of
 * acknowledgements, the writer is killed, the file system remounted: every partition whose record
 * was acknowledged must be there with that record. With a new log's directory syncs left out
 * (LogLoader) the partition directories vanish in the cut and this fails. crashfs journals names
 * in one order, as ext4 does, so a sync of the new partition directory also carries its entry in
 * the data dir; the data dir's own (shared) sync is what POSIX asks for.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogManager, TOKENS, silentLogger } from '../../core/index.js';
import { composeByName } from '../../engines/compose.js';
import { buildCrashFs, crashFsSkipReason, CrashFs } from './crashfs.js';
import { createManyValue } from './create-many-values.js';
import { bundle } from './power-cut.js';

const CUTS = 4;
const PARTITIONS = 300;
const skip = crashFsSkipReason();
let outdir: string;
let base: string;

beforeAll(async () => {
  if (skip) return;
  buildCrashFs();
  outdir = await bundle('test/crashfs/create-many-writer.ts', 'create-many-writer');
  base = fs.mkdtempSync(join(tmpdir(), 'strata-create-cut-'));
});
afterAll(() => {
  if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

/** Runs the writer until `acksBeforeCut` partitions are acknowledged (or it is done), cuts, kills it. */
async function createAndCut(crashfs: CrashFs, dataDir: string, topic: string, acksBeforeCut: number, tornSeed: number | undefined): Promise<number[]> {
  const child = spawn(process.execPath, [join(outdir, 'create-many-writer.js'), dataDir, 'fsync-per-write', topic, String(PARTITIONS)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const acked: number[] = [];
  let pending = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`writer made no progress: ${stderr}`)), 120_000);
    child.stdout!.on('data', (b: Buffer) => {
      pending += b.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
        if (acked.length >= acksBeforeCut || line === 'done') {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.once('exit', () => reject(new Error(`writer exited early: ${stderr}`)));
  });
  crashfs.cut(tornSeed);
  child.kill('SIGKILL');
  await exited;
  // acknowledgements written before the cut and still in the pipe count too
  for (const line of pending.split('\n')) if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
  return acked;
}

describe.skipIf(skip)('a power cut while many partitions are created', () => {
  it(`keeps every partition whose record was acknowledged, over ${CUTS} cuts`, async () => {
    const mnt = join(base, 'mnt');
    const dataDir = join(mnt, 'data');
    let crashfs = await CrashFs.mount(join(base, 'backing'), mnt, ['--strict-dirs']);
    let seed = 77;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const missing: string[] = [];
    let acknowledged = 0;
    try {
      fs.mkdirSync(dataDir);
      crashfs.sync();
      for (let cycle = 0; cycle < CUTS; cycle++) {
        const topic = `many${cycle}`;
        const acked = await createAndCut(crashfs, dataDir, topic, 1 + Math.floor(random() * (PARTITIONS - 1)), cycle % 2 === 1 ? cycle : undefined);
        acknowledged += acked.length;
        crashfs = await crashfs.remount();
        const manager = (await composeByName({ dataDir, engine: 'fsync-per-write', logger: silentLogger })).get<LogManager>(TOKENS.LogManager);
        try {
          for (const p of acked) {
            const log = await manager.getLog(topic, p);
            const [batch] = log ? await log.readBatches(0, 1 << 20) : [];
            if (!batch?.records[0]?.value?.equals(createManyValue(topic, p))) missing.push(`cut ${cycle}: ${topic}-${p} ${log ? 'has no record' : 'is gone'}`);
          }
        } finally {
          await manager.close();
        }
      }
    } finally {
      await crashfs.forceUnmount();
    }
    console.log(`many-partition create power cuts: ${CUTS} cuts, ${acknowledged} partitions acknowledged, ${missing.length} lost`);
    expect(missing.slice(0, 10)).toEqual([]);
    expect(acknowledged).toBeGreaterThan(CUTS);
  }, 600_000);
});
