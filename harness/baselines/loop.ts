/**
 * The C loop baseline (native/src/syscall_baseline.c, built with the addon as strata_baseline):
 * the same system calls a cell makes, with nothing around them, on the same directory and the same
 * loopback path. It needs nothing installed beyond the addon's build, so every row of a report has
 * a limit beside it on a fresh machine; fio and iperf3, when installed, are shown beside it too.
 *
 * The jobs mirror fio's (fio.ts): sequential writes of the cell's mean batch size into a growing
 * file, O_DSYNC for engines that are durable per append, a shared mapping for mmap; hot and cold
 * reads at the fetch size; to a TCP sink on 127.0.0.1, sendfile for zero-copy transfers and
 * pread + write otherwise (iperf3 -Z and plain iperf3).
 */
import { execFile, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { nativeUnavailableReason } from '../../native/index.js';

const execFileAsync = promisify(execFile);

export type LoopMode = 'psync' | 'dsync' | 'mmap' | 'sendfile' | 'copy';

export interface LoopJob {
  kind: 'write' | 'read-hot' | 'read-cold' | 'net';
  mode: LoopMode;
  blockBytes: number;
  /** The file written (write) or read / sent from (read, net). */
  sizeBytes: number;
  /** net only: bytes sent, cycling through the file. */
  netBytes?: number;
  /** net only: send this existing file (its own size) rather than one the loop writes. */
  sourceFile?: string;
  runtimeSecondsMax: number;
}

export interface LoopResult {
  job: LoopJob;
  /** The command line, with the directory as DIR, to reproduce the figure by hand. */
  command: string;
  /** Bytes moved (written, read or sent) in the timed part. */
  bytes?: number;
  mbPerSec: number;
  iops: number;
  /** Latency of one system call (one write, read or sendfile). */
  latencyUsP50: number;
  latencyUsP99: number;
  latencyUsP999: number;
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
}

/** The strata_baseline binary: beside the addon, from source (harness/) or from dist/ alike. */
export function loopBinary(): string | undefined {
  const dirs = process.env.STRATA_NATIVE_DIR ? [process.env.STRATA_NATIVE_DIR] : ['../../native/', '../native/', '../../../native/'].map((r) => fileURLToPath(new URL(r, import.meta.url)));
  return dirs.map((d) => join(d, 'build', 'Release', 'strata_baseline')).find((p) => existsSync(p));
}

/** Why there is no C loop baseline, naming the fix (the addon's build makes it). */
export function loopUnavailableNote(): string {
  const reason = nativeUnavailableReason('the C loop baseline (strata_baseline)');
  return reason || 'the C loop baseline (strata_baseline) is missing beside the native addon: rebuild it (npm run build:native)';
}

export function loopJobKey(job: LoopJob): string {
  return `${job.kind}/${job.mode}/bs${job.blockBytes}/size${job.sizeBytes}${job.netBytes ? `/bytes${job.netBytes}` : ''}/t${job.runtimeSecondsMax}`;
}

function loopArgs(job: LoopJob, file: string): string[] {
  const op = job.kind === 'write' ? 'write' : job.kind === 'net' ? 'net' : 'read';
  const args = ['--op', op, '--file', file, '--bs', String(job.blockBytes), '--size', String(job.sizeBytes), '--seconds', String(job.runtimeSecondsMax)];
  if (job.mode === 'dsync') args.push('--dsync');
  if (job.mode === 'mmap') args.push('--mmap');
  if (job.kind === 'read-cold') args.push('--cold');
  if (job.kind === 'net') args.push('--mode', job.mode, '--bytes', String(job.netBytes ?? job.sizeBytes));
  return args;
}

/**
 * Runs a loop job. A net job with `into` sends into that connected socket (the harness's consumer
 * on its far end, inherited as fd 3) instead of the loop's own sink: the consume ceiling.
 */
export async function runLoop(job: LoopJob, parentDir: string, binary = loopBinary(), into?: Socket): Promise<LoopResult> {
  if (!binary) throw new Error(loopUnavailableNote());
  if (into && job.kind !== 'net') throw new Error(`C loop: only a net job sends into a socket (got ${job.kind})`);
  const dir = join(parentDir, `loop-${job.kind}-${process.pid}`);
  await mkdir(dir, { recursive: true });
  const args = loopArgs(job, job.sourceFile ?? join(dir, 'baseline.dat'));
  if (job.sourceFile) args.push('--existing');
  if (into) args.push('--fd', '3');
  try {
    const timeoutMs = (job.runtimeSecondsMax * 3 + 60) * 1000;
    const stdout = into ? await runWithSocket(binary, args, into, timeoutMs) : (await execFileAsync(binary, args, { timeout: timeoutMs })).stdout;
    const out = JSON.parse(stdout) as Omit<LoopResult, 'job' | 'command'>;
    return {
      job,
      command: `strata_baseline ${args.join(' ').replace(dir, 'DIR')}`,
      bytes: out.bytes,
      mbPerSec: out.mbPerSec,
      iops: out.iops,
      latencyUsP50: out.latencyUsP50,
      latencyUsP99: out.latencyUsP99,
      latencyUsP999: out.latencyUsP999,
      cpuUserSeconds: out.cpuUserSeconds,
      cpuSystemSeconds: out.cpuSystemSeconds,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The binary with `socket` as its fd 3; its stdout, or an error with its stderr. */
function runWithSocket(binary: string, args: string[], socket: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe', socket], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => (code === 0 ? resolve(stdout) : reject(new Error(`strata_baseline ${args.join(' ')}: ${signal ?? `exit ${code}`}: ${stderr.trim()}`))));
  });
}

/** The loop jobs that bound a cell, sized like fio's (fioJobsFor): its writes, and its transfer over TCP. */
export function loopJobsFor(
  engine: { name: string; supports: { durableAppend: boolean } },
  transfer: { supports: { zeroCopy: boolean } },
  batchBytesMean: number,
  diskBytes: number,
  fetchBytes: number,
  runtimeSecondsMax: number,
): { write: LoopJob; net: LoopJob } {
  const MIB = 1024 * 1024;
  const sizeBytes = Math.min(1024 * MIB, Math.max(16 * MIB, Math.ceil(diskBytes / MIB) * MIB));
  const blockBytes = Math.max(512, Math.round(batchBytesMean / 512) * 512);
  const mode: LoopMode = engine.name.startsWith('mmap') ? 'mmap' : engine.supports.durableAppend ? 'dsync' : 'psync';
  return {
    write: { kind: 'write', mode, blockBytes, sizeBytes, runtimeSecondsMax },
    // at least 256 MiB through the socket so a short cell still gives a stable figure
    net: { kind: 'net', mode: transfer.supports.zeroCopy ? 'sendfile' : 'copy', blockBytes: fetchBytes, sizeBytes, netBytes: Math.max(256 * MIB, sizeBytes), runtimeSecondsMax },
  };
}
