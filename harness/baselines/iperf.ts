/**
 * iperf3 baselines on the same NIC path as the transfers: plain (read+write through user space,
 * like the buffered transfer) and `-Z` (sendfile, like the zero-copy one). On loopback the harness
 * starts a one-off server itself (`iperf3 -s -1`); against a remote receiver an iperf3 server must
 * run there (its address is given with --iperf-server).
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const IPERF_INSTALL_HINT = 'iperf3 is not installed: the run continues without network baselines (install it with `apt-get install iperf3`)';

export interface IperfResult {
  zeroCopy: boolean;
  command: string;
  mbPerSec: number;
  gbitPerSec: number;
  senderCpuPercent: number;
  receiverCpuPercent: number;
  /** The sender's user-space share of senderCpuPercent. */
  senderUserCpuPercent?: number;
  /** Seconds and bytes the receiver counted. */
  seconds?: number;
  bytes?: number;
}

/** How long a client sends: for `seconds`, or until it has sent `bytes`. */
export type IperfAmount = { seconds: number } | { bytes: number };

export async function iperfVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync('iperf3', ['--version']);
    return stdout.split('\n')[0]!.trim();
  } catch {
    return undefined;
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

interface IperfJson {
  end: { sum_received: { bits_per_second: number; seconds: number; bytes: number }; cpu_utilization_percent: { host_total: number; host_user: number; remote_total: number } };
  error?: string;
}

/** One iperf3 client run against host:port (a server must be listening there). */
async function client(host: string, port: number, amount: IperfAmount, zeroCopy: boolean): Promise<IperfResult> {
  const args = ['-c', host, '-p', String(port), ...('seconds' in amount ? ['-t', String(amount.seconds)] : ['-n', String(amount.bytes)]), '-J', ...(zeroCopy ? ['-Z'] : [])];
  // a byte count is given for loopback runs of about a gigabyte: seconds, not minutes
  const timeoutMs = (('seconds' in amount ? amount.seconds : 60) + 30) * 1000;
  const { stdout } = await execFileAsync('iperf3', args, { timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024 }).catch((err: { stdout?: string; message: string }) => {
    if (err.stdout) return { stdout: err.stdout };
    throw err;
  });
  const out = JSON.parse(stdout) as IperfJson;
  if (out.error) throw new Error(`iperf3: ${out.error}`);
  const bps = out.end.sum_received.bits_per_second;
  return {
    zeroCopy,
    command: `iperf3 ${args.join(' ').replace(host, host === '127.0.0.1' ? '127.0.0.1' : 'HOST')}`,
    mbPerSec: bps / 8 / 1e6,
    gbitPerSec: bps / 1e9,
    senderCpuPercent: out.end.cpu_utilization_percent.host_total,
    receiverCpuPercent: out.end.cpu_utilization_percent.remote_total,
    senderUserCpuPercent: out.end.cpu_utilization_percent.host_user,
    seconds: out.end.sum_received.seconds,
    bytes: out.end.sum_received.bytes,
  };
}

/** Plain and -Z runs on loopback with a one-off local server each. */
export async function runIperfLoopback(seconds: number): Promise<IperfResult[]> {
  return [await runIperfLoopbackOnce({ seconds }, false), await runIperfLoopbackOnce({ seconds }, true)];
}

/** One client run (plain or -Z) on loopback against a one-off local server. */
export async function runIperfLoopbackOnce(amount: IperfAmount, zeroCopy: boolean): Promise<IperfResult> {
  const port = await freePort();
  const server = spawn('iperf3', ['-s', '-1', '--forceflush', '-B', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    // wait until it listens (it prints "Server listening")
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('iperf3 server did not start within 5 s')), 5000);
      server.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
      server.on('error', (err) => (clearTimeout(timer), reject(err)));
    });
    return await client('127.0.0.1', port, amount, zeroCopy);
  } finally {
    if (server.exitCode === null) server.kill('SIGTERM');
  }
}

/** Plain and -Z runs against an iperf3 server the user runs on the receiver host. */
export async function runIperfRemote(host: string, port: number, seconds: number): Promise<IperfResult[]> {
  return [await client(host, port, { seconds }, false), await client(host, port, { seconds }, true)];
}
