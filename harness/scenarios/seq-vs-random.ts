/**
 * Scenario "sequential vs random writes" (Kafka design doc: ~600 MB/s linear vs ~100k/s random on
 * six SATA disks). strata's Log only appends, so this one is measured with fio alone, on the same
 * directory: 4 KiB writes sequential vs random, through the page cache, with O_DIRECT (1 in flight)
 * and with fdatasync after each write; median [min-max] of `repetitions` runs.
 *
 *   node --import tsx harness/scenarios/seq-vs-random.ts --data-dir /tmp --out results/seq-vs-random --repetitions 3
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { spread, type Spread } from '../stats.js';

const run = promisify(execFile);

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const dataDir = arg('data-dir', '/tmp');
const outDir = arg('out', 'results/seq-vs-random');
const repetitions = Number(arg('repetitions', '3'));
const sizeBytes = 64 * 1024 * 1024;

const modes: { name: string; args: string[] }[] = [
  { name: 'page cache', args: ['--ioengine=psync', '--end_fsync=1'] },
  { name: 'O_DIRECT, 1 in flight', args: ['--ioengine=psync', '--direct=1'] },
  { name: 'fdatasync every write', args: ['--ioengine=psync', '--fdatasync=1'] },
];

interface Row {
  mode: string;
  pattern: 'write' | 'randwrite';
  command: string;
  iops: Spread;
  mbPerSec: Spread;
}

const rows: Row[] = [];
const dir = join(dataDir, `strata-seq-vs-random-${process.pid}`);
mkdirSync(dir, { recursive: true });
mkdirSync(outDir, { recursive: true });
try {
  for (const mode of modes) {
    const argsOf = (pattern: 'write' | 'randwrite') => ['--name=sr', `--directory=${dir}`, `--rw=${pattern}`, '--bs=4k', `--size=${sizeBytes}`, '--runtime=5', '--output-format=json', ...mode.args];
    const samples = { write: { iops: [] as number[], mb: [] as number[] }, randwrite: { iops: [] as number[], mb: [] as number[] } };
    // sequential and random alternate within each repetition, so a change in the machine's load
    // hits both patterns alike instead of biasing one
    for (let r = 0; r < repetitions; r++) {
      for (const pattern of ['write', 'randwrite'] as const) {
        const { stdout } = await run('fio', argsOf(pattern), { maxBuffer: 16 << 20 });
        const job = (JSON.parse(stdout.slice(stdout.indexOf('{'))) as { jobs: { write: { iops: number; bw_bytes: number } }[] }).jobs[0]!;
        samples[pattern].iops.push(job.write.iops);
        samples[pattern].mb.push(job.write.bw_bytes / 1e6);
        rmSync(join(dir, 'sr.0.0'), { force: true });
      }
    }
    for (const pattern of ['write', 'randwrite'] as const) {
      const row: Row = { mode: mode.name, pattern, command: `fio ${argsOf(pattern).map((a) => (a.startsWith('--directory=') ? '--directory=DIR' : a)).join(' ')}`, iops: spread(samples[pattern].iops), mbPerSec: spread(samples[pattern].mb) };
      rows.push(row);
      process.stderr.write(`${mode.name} ${pattern}: ${Math.round(row.iops.median)} IOPS\n`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const f = (s: Spread) => `${Math.round(s.median).toLocaleString('en-US')} [${Math.round(s.min).toLocaleString('en-US')}–${Math.round(s.max).toLocaleString('en-US')}]`;
const md = [
  '# Sequential vs random 4 KiB writes (fio, same directory)',
  '',
  `median [min–max] of ${repetitions} runs (sequential and random alternating), 64 MiB file, at most 5 s per run`,
  '',
  '| mode | sequential IOPS | random IOPS | sequential / random |',
  '|---|---|---|---|',
  ...modes.map((m) => {
    const s = rows.find((r) => r.mode === m.name && r.pattern === 'write')!;
    const r = rows.find((x) => x.mode === m.name && x.pattern === 'randwrite')!;
    return `| ${m.name} | ${f(s.iops)} | ${f(r.iops)} | ${(s.iops.median / r.iops.median).toFixed(2)}× |`;
  }),
  '',
  'Commands:',
  '',
  ...rows.map((r) => `- \`${r.command}\``),
  '',
].join('\n');
writeFileSync(join(outDir, 'results.json'), JSON.stringify({ scenario: 'seq-vs-random', repetitions, sizeBytes, rows }, null, 2) + '\n');
writeFileSync(join(outDir, 'report.md'), md);
process.stdout.write(md);
