/**
 * fio baselines on the same directory as the cells: the physical limit set beside each figure.
 * The job matches the cell: sequential writes of the cell's mean batch size into a growing file
 * (`--fallocate=none`, like an unpreallocated segment), `--fdatasync=1` for engines that sync every
 * append, `--direct=1` for an O_DIRECT engine, `--ioengine=mmap` for mmap, plain psync otherwise; hot sequential reads at the fetch size
 * with `--invalidate=0`, cold ones with fio's default invalidation. Identical jobs run once per run.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const FIO_INSTALL_HINT = 'fio is not installed: the run continues without disk baselines (install it with `apt-get install fio`)';

export interface FioJob {
  kind: 'write' | 'read-hot' | 'read-cold';
  blockBytes: number;
  sizeBytes: number;
  ioengine: 'psync' | 'mmap' | 'io_uring';
  fdatasync: boolean;
  /** `--direct=1` (O_DIRECT), for an engine that bypasses the page cache (supports.directIo). */
  direct?: boolean;
  runtimeSecondsMax: number;
}

export interface FioResult {
  job: FioJob;
  /** The exact command line, so the figure can be reproduced by hand. */
  command: string;
  mbPerSec: number;
  iops: number;
  /** Completion latency of each write/read. */
  latencyUsP50: number;
  latencyUsP99: number;
  latencyUsP999: number;
  /** fdatasync latency (only with fdatasync). */
  syncUsP50?: number;
  syncUsP99?: number;
  syncUsP999?: number;
  cpuUserPercent: number;
  cpuSystemPercent: number;
}

/** The fio arguments of a job (the command line results.json records). */
export function fioArgsFor(job: FioJob, dir: string): string[] {
  return fioArgs(job, dir);
}

export function fioJobKey(job: FioJob): string {
  return `${job.kind}/${job.ioengine}${job.direct ? '/direct' : ''}/bs${job.blockBytes}/size${job.sizeBytes}/${job.fdatasync ? 'fdatasync' : 'nosync'}/t${job.runtimeSecondsMax}`;
}

export async function fioVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync('fio', ['--version']);
    return stdout.trim();
  } catch {
    return undefined;
  }
}

function fioArgs(job: FioJob, dir: string): string[] {
  const args = [
    `--name=strata-${job.kind}`,
    `--directory=${dir}`,
    `--bs=${job.blockBytes}`,
    `--size=${job.sizeBytes}`,
    `--ioengine=${job.ioengine}`,
    `--runtime=${job.runtimeSecondsMax}`,
    '--output-format=json',
  ];
  if (job.kind === 'write') {
    // the direct engine reserves ahead with fallocate as part of its design: fio reserves too
    args.push('--rw=write', job.direct ? '--fallocate=native' : '--fallocate=none');
    if (job.fdatasync) args.push('--fdatasync=1');
    if (job.direct) args.push('--direct=1');
  } else {
    args.push('--rw=read');
    if (job.kind === 'read-hot') args.push('--invalidate=0', '--loops=2');
  }
  return args;
}

const pct = (p: Record<string, number> | undefined, key: string): number => Math.round((p?.[key] ?? 0) / 1000);

export async function runFio(job: FioJob, parentDir: string): Promise<FioResult> {
  const dir = join(parentDir, `fio-${job.kind}-${process.pid}`);
  await mkdir(dir, { recursive: true });
  const args = fioArgs(job, dir);
  try {
    const j = await runFioJson(args, (job.runtimeSecondsMax * 3 + 60) * 1000);
    const side = job.kind === 'write' ? j.write : j.read;
    const result: FioResult = {
      job,
      command: `fio ${args.map((a) => (a.startsWith('--directory=') ? '--directory=DIR' : a)).join(' ')}`,
      mbPerSec: side.bw_bytes / 1e6,
      iops: side.iops,
      latencyUsP50: pct(side.clat_ns.percentile, '50.000000'),
      latencyUsP99: pct(side.clat_ns.percentile, '99.000000'),
      latencyUsP999: pct(side.clat_ns.percentile, '99.900000'),
      cpuUserPercent: j.usr_cpu,
      cpuSystemPercent: j.sys_cpu,
    };
    if (job.fdatasync && j.sync?.lat_ns?.percentile) {
      result.syncUsP50 = pct(j.sync.lat_ns.percentile, '50.000000');
      result.syncUsP99 = pct(j.sync.lat_ns.percentile, '99.000000');
      result.syncUsP999 = pct(j.sync.lat_ns.percentile, '99.900000');
    }
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface FioSideJson {
  bw_bytes: number;
  io_bytes: number;
  iops: number;
  clat_ns: { percentile?: Record<string, number> };
}
/** The part of fio's JSON report (one job) the harness reads. */
export interface FioJobJson {
  read: FioSideJson;
  write: FioSideJson;
  sync?: { lat_ns?: { percentile?: Record<string, number> } };
  usr_cpu: number;
  sys_cpu: number;
  /** Milliseconds the job ran. */
  job_runtime: number;
}

/**
 * The one way the harness runs fio: `fio ARGS --output-format=json`, the first job of its report.
 * Every fio figure of the harness goes through here (the matrix's baselines and the focused
 * benchmarks' rows alike).
 */
export async function runFioJson(args: readonly string[], timeoutMs: number): Promise<FioJobJson> {
  const all = args.includes('--output-format=json') ? [...args] : [...args, '--output-format=json'];
  const { stdout } = await execFileAsync('fio', all, { maxBuffer: 16 * 1024 * 1024, timeout: timeoutMs }).catch((err: Error & { code?: string; stderr?: string }) => {
    if (err.code === 'ENOENT') throw new Error(`fio: ${FIO_INSTALL_HINT}`);
    throw new Error(`fio ${all.join(' ')} failed: ${err.stderr ?? err.message}`);
  });
  const out = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { jobs: FioJobJson[] };
  if (!out.jobs[0]) throw new Error(`fio ${all.join(' ')} reported no job`);
  return out.jobs[0];
}

/**
 * The fio job that bounds a cell: its write pattern. (No read job: a consume cell is a transfer
 * over TCP, set against the C loop of the same transfer, never against a file read.)
 */
export function fioJobsFor(engine: { name: string; supports: { durableAppend: boolean; directIo?: boolean } }, batchBytesMean: number, diskBytes: number, runtimeSecondsMax: number): { write: FioJob } {
  const MIB = 1024 * 1024;
  // at least 16 MiB so tiny cells still give a stable figure; at most 1 GiB per job
  const sizeBytes = Math.min(1024 * MIB, Math.max(16 * MIB, Math.ceil(diskBytes / MIB) * MIB));
  // fio needs a block size that divides nothing in particular, but round to 512 B for sanity
  // O_DIRECT needs whole logical blocks: 4096 covers every device
  const direct = engine.supports.directIo === true;
  const blockBytes = direct ? Math.max(4096, Math.round(batchBytesMean / 4096) * 4096) : Math.max(512, Math.round(batchBytesMean / 512) * 512);
  // the same kind of calls as the engine: io_uring submissions for the io-uring engines
  const ioengine = engine.name.startsWith('mmap') ? 'mmap' : engine.name.startsWith('io-uring') ? 'io_uring' : 'psync';
  return {
    write: { kind: 'write', blockBytes, sizeBytes, ioengine, fdatasync: engine.supports.durableAppend, ...(direct ? { direct } : {}), runtimeSecondsMax },
  };
}
