/**
 * What the OS says about a phase: CPU time, page faults, context switches and RSS from
 * process.resourceUsage(); page-cache residency of segment files and dropping their pages for a cold
 * read. Residency and dropping use the native addon when it offers them (mincore, fadvise) and
 * otherwise util-linux `fincore` and GNU dd's `iflag=nocache count=0`, which calls
 * posix_fadvise(POSIX_FADV_DONTNEED) on the whole file.
 */
import { execFile } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { loadNative } from '../native/index.js';

const execFileAsync = promisify(execFile);

export interface UsageSnapshot {
  userUs: number;
  systemUs: number;
  minorFaults: number;
  majorFaults: number;
  voluntaryCtx: number;
  involuntaryCtx: number;
}

export function usageNow(): UsageSnapshot {
  const u = process.resourceUsage();
  return {
    userUs: u.userCPUTime,
    systemUs: u.systemCPUTime,
    minorFaults: u.minorPageFault,
    majorFaults: u.majorPageFault,
    voluntaryCtx: u.voluntaryContextSwitches,
    involuntaryCtx: u.involuntaryContextSwitches,
  };
}

export interface UsageDelta {
  cpuUserS: number;
  cpuSystemS: number;
  pageFaultsMinor: number;
  pageFaultsMajor: number;
  ctxSwitchesVoluntary: number;
  ctxSwitchesInvoluntary: number;
}

export function usageDelta(a: UsageSnapshot, b: UsageSnapshot): UsageDelta {
  return {
    cpuUserS: (b.userUs - a.userUs) / 1e6,
    cpuSystemS: (b.systemUs - a.systemUs) / 1e6,
    pageFaultsMinor: b.minorFaults - a.minorFaults,
    pageFaultsMajor: b.majorFaults - a.majorFaults,
    ctxSwitchesVoluntary: b.voluntaryCtx - a.voluntaryCtx,
    ctxSwitchesInvoluntary: b.involuntaryCtx - a.involuntaryCtx,
  };
}

/**
 * User + system CPU seconds another process (every thread) has used so far, from /proc/PID/stat
 * (utime and stime, fields 14 and 15, in clock ticks: 100 a second on Linux); 0 where there is no /proc.
 */
export function processCpuSeconds(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  // the command name (field 2) may hold spaces: count fields after its closing parenthesis
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}
const CLOCK_TICKS_PER_SECOND = 100;

/** Samples RSS every `intervalMs` (ru_maxrss is a process lifetime peak, useless per cell). */
export class RssSampler {
  private peak = process.memoryUsage.rss();
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 25) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }

  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return this.peak;
  }
}

interface NativeProbes {
  residentBytes?: (path: string) => { residentBytes: number; fileBytes: number };
  dropPages?: (path: string) => void;
}

/** The native addon's mincore / posix_fadvise (native issue), looked up loosely so this file builds without it. */
function nativeProbes(): NativeProbes {
  const n = loadNative() as unknown as
    | { mincore?: (fd: number, offset: number, length: number) => number; posix_fadvise?: (fd: number, offset: number, length: number, advice: number) => void; FADV?: { DONTNEED: number } }
    | undefined;
  if (!n || typeof n.mincore !== 'function' || typeof n.posix_fadvise !== 'function' || !n.FADV) return {};
  const { mincore, posix_fadvise: fadvise, FADV } = n as Required<typeof n>;
  const withFd = <T>(path: string, f: (fd: number, size: number) => T): T => {
    const fd = openSync(path, 'r');
    try {
      return f(fd, fstatSync(fd).size);
    } finally {
      closeSync(fd);
    }
  };
  return {
    residentBytes: (path) => withFd(path, (fd, size) => ({ residentBytes: size > 0 ? mincore(fd, 0, size) : 0, fileBytes: size })),
    dropPages: (path) => withFd(path, (fd) => fadvise(fd, 0, 0, FADV.DONTNEED)),
  };
}

export const probeMethod = (): string => (nativeProbes().residentBytes ? 'native mincore/posix_fadvise' : 'fincore + dd iflag=nocache');

/** Bytes of the files resident in the page cache, and their total size. */
export async function residency(paths: readonly string[]): Promise<{ residentBytes: number; fileBytes: number }> {
  if (paths.length === 0) return { residentBytes: 0, fileBytes: 0 };
  const n = nativeProbes();
  if (n.residentBytes) {
    let residentBytes = 0;
    let fileBytes = 0;
    for (const p of paths) {
      const r = n.residentBytes(p);
      residentBytes += r.residentBytes;
      fileBytes += r.fileBytes;
    }
    return { residentBytes, fileBytes };
  }
  const { stdout } = await execFileAsync('fincore', ['--bytes', '--noheadings', '--raw', '--output', 'RES,SIZE', ...paths]);
  let residentBytes = 0;
  let fileBytes = 0;
  for (const line of stdout.trim().split('\n')) {
    const [res, size] = line.trim().split(/\s+/).map(Number);
    residentBytes += res ?? 0;
    fileBytes += size ?? 0;
  }
  return { residentBytes, fileBytes };
}

/** Drops the files' clean pages from the page cache (flush first: dirty pages are not dropped). */
export async function dropPages(paths: readonly string[]): Promise<void> {
  const n = nativeProbes();
  for (const path of paths) {
    if (n.dropPages) n.dropPages(path);
    else await execFileAsync('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none']);
  }
}
