/**
 * The one /proc reader of the harness: a process's CPU seconds (all its threads), its children's
 * that have exited, its peak and current resident set, its open descriptors, the bytes it made the
 * disk read, and the whole machine's busy CPU seconds. Linux only, like the rest of the harness.
 */
import fs from 'node:fs';

const CLK_TCK = 100; // Linux USER_HZ, what /proc/PID/stat counts in

/** /proc/PID/stat's fields after the command name (which is in parentheses and may hold spaces): [0] is field 3, state. */
function statFields(pid: number | 'self'): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** utime and stime of the process (all its threads), seconds. */
export function cpuTimes(pid: number): { userSeconds: number; systemSeconds: number } {
  const fields = statFields(pid);
  return { userSeconds: Number(fields[11]) / CLK_TCK, systemSeconds: Number(fields[12]) / CLK_TCK };
}

/** utime + stime of the process (all its threads), seconds. */
export function cpuSeconds(pid: number): number {
  const t = cpuTimes(pid);
  return t.userSeconds + t.systemSeconds;
}

/**
 * CPU seconds of this process's children that have exited and been waited for (cutime + cstime of
 * /proc/self/stat): around a client run (kcat, a Kafka tool), the client's own CPU. The servers
 * are children too but still running, so they do not count until they exit.
 */
export function exitedChildrenCpuSeconds(): number {
  const fields = statFields('self');
  return (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
}

/** CPU seconds the whole machine was busy (every state of /proc/stat's cpu line but idle and iowait). */
export function machineBusySeconds(): number {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (f.reduce((a, b) => a + b, 0) - f[3]! - f[4]!) / CLK_TCK;
}

/** A `NAME: N kB` line of /proc/PID/status, in bytes. */
function statusBytes(pid: number, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`/proc/${pid}/status has no ${name} line`);
  return Number(m[1]) * 1024;
}

/** VmHWM: the process's peak resident set so far, MB (10^6 bytes). */
export function rssPeakMb(pid: number): number {
  return statusBytes(pid, 'VmHWM') / 1e6;
}

/** VmRSS: the process's resident set now, bytes. */
export function rssBytes(pid: number): number {
  return statusBytes(pid, 'VmRSS');
}

/** The process's open file descriptors now. */
export function openDescriptors(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}


/**
 * read_bytes of /proc/PID/io: bytes the process caused to be fetched from the storage layer (page
 * cache misses, read-ahead included), not bytes it read from the page cache. Needs the same user or
 * root, as /proc/PID/io is mode 0400.
 */
export function diskReadBytes(pid: number): number {
  const m = /^read_bytes:\s+(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'));
  if (!m) throw new Error(`/proc/${pid}/io has no read_bytes line`);
  return Number(m[1]);
}
