/**
 * The senders of the transfer comparison, each shipping the same partition log over loopback into
 * the same discarding sink: strata's transfers (this process: header, Log.read slices through the
 * Transfer, end marker), the C loops of the same system calls (native/src/c_sender.c) and iperf3.
 * Each returns one sample: the bytes the sink counted per second, and the sender's CPU per 10^9 of
 * them (this process's process.cpuUsage for strata; the C loop's own getrusage; iperf3's JSON).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { Log } from '../../../core/log/log.js';
import type { Transfer } from '../../../core/transfer.js';
import { shipToSocket } from '../../../engines/transfer/ship/sender.js';
import { runIperfLoopbackOnce } from '../../baselines/iperf.js';
import { repoRoot } from '../../fingerprint.js';

export interface Sample {
  mbPerSec: number;
  cpuSecondsPerGb: number;
  /** The user-space part of cpuSecondsPerGb (the rest is system time). */
  cpuUserSecondsPerGb: number;
}

export const TOPIC = 'bench';

/** The lines a child prints on stdout, one at a time. */
export function lines(child: ChildProcess): AsyncIterator<string> {
  let buffered = '';
  const queue: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  child.stdout!.on('data', (c: Buffer) => {
    buffered += c.toString();
    let i;
    while ((i = buffered.indexOf('\n')) >= 0) {
      const l = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      const w = waiters.shift();
      if (w) w(l);
      else queue.push(l);
    }
  });
  return {
    next: () => new Promise((resolve) => {
      const l = queue.shift();
      if (l !== undefined) resolve({ value: l, done: false });
      else waiters.push((v) => resolve({ value: v, done: false }));
    }),
  };
}

/** The receiver: a C read loop like iperf3's server (built with the addon), else the Python one. */
export interface Sink {
  kind: string;
  port: number;
  /** The byte count the sink prints after each connection closes. */
  lines: AsyncIterator<string>;
  stop(): void;
}

export async function startSink(): Promise<Sink> {
  const root = repoRoot();
  const nativeSink = join(root, 'native/build/Release/discard_sink');
  const native = existsSync(nativeSink);
  const child = native
    ? spawn(nativeSink, [], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn('python3', [join(root, 'harness/baselines/discard-sink.py')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const out = lines(child);
  const port = Number((await out.next()).value);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`the discard sink printed no port (${native ? nativeSink : 'discard-sink.py'})`);
  return { kind: native ? 'C (native/src/discard_sink.c)' : 'Python (harness/baselines/discard-sink.py; build the addon for the C sink)', port, lines: out, stop: () => child.kill() };
}

function sample(bytes: number, seconds: number, userSeconds: number, systemSeconds: number): Sample {
  const gb = bytes / 1e9;
  return { mbPerSec: bytes / seconds / 1e6, cpuSecondsPerGb: (userSeconds + systemSeconds) / gb, cpuUserSecondsPerGb: userSeconds / gb };
}

/** Connects to the sink and times `send` until the sink has counted every byte. */
async function timedSend(sink: Sink, send: (socket: net.Socket) => Promise<number>): Promise<{ sample: Sample; sent: number; received: number }> {
  const socket = net.connect(sink.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const sent = await send(socket);
  await new Promise<void>((resolve) => socket.end(resolve));
  const received = Number((await sink.lines.next()).value);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  socket.destroy();
  return { sample: sample(received, seconds, cpu.user / 1e6, cpu.system / 1e6), sent, received };
}

export async function shipOnce(log: Log, transfer: Transfer, sink: Sink, expectBytes: number): Promise<Sample> {
  const { sample: s, sent, received } = await timedSend(sink, async (socket) => (await shipToSocket(socket, log, TOPIC, 0, log.logStartOffset, transfer)).bytes);
  if (sent !== expectBytes || received < sent) throw new Error(`shipped ${sent} bytes, sink got ${received}, log has ${expectBytes}`);
  return s;
}

/**
 * The sendfile transfer in iperf3 -Z's access pattern (one 128 KiB region sent over and over, its
 * pages hot in the CPU caches): against iperf3 -Z this compares the transfer code alone.
 */
export async function hotRegionOnce(log: Log, transfer: Transfer, sink: Sink, bytes: number): Promise<Sample> {
  const REGION_BYTES = 128 * 1024;
  const first = (await log.read(log.logStartOffset, REGION_BYTES * 2)).slices[0];
  if (!first || first.length < REGION_BYTES) throw new Error('the log has no 128 KiB slice to resend');
  const slices = Array.from({ length: Math.floor(bytes / REGION_BYTES) }, () => ({ ...first, length: REGION_BYTES }));
  const { sample: s, sent, received } = await timedSend(sink, (socket) => transfer.send(socket, slices));
  if (received !== sent) throw new Error(`sent ${sent} bytes, sink got ${received}`);
  return s;
}

export async function iperfOnce(bytes: number, zeroCopy: boolean): Promise<Sample> {
  const r = await runIperfLoopbackOnce({ bytes }, zeroCopy);
  const perGb = (percent: number) => ((percent / 100) * r.seconds!) / (r.bytes! / 1e9);
  return { mbPerSec: r.mbPerSec, cpuSecondsPerGb: perGb(r.senderCpuPercent), cpuUserSecondsPerGb: perGb(r.senderUserCpuPercent!) };
}

/** The C sender built with the addon, else compiled here with gcc (it needs nothing but libc). */
export function cSenderBinary(work: string): string {
  const root = repoRoot();
  const built = join(root, 'native/build/Release/c_sender');
  if (existsSync(built)) return built;
  const out = join(work, 'c_sender');
  execFileSync('gcc', ['-O2', '-Wall', '-o', out, join(root, 'native/src/c_sender.c')], { stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}

/** One run of a C sender over `files` into the sink; its own report gives time and CPU. */
export async function cSenderOnce(binary: string, mode: 'sendfile' | 'rw', chunkBytes: number, files: string[], sink: Sink, expectBytes: number): Promise<Sample> {
  const out = execFileSync(binary, [mode, String(sink.port), String(chunkBytes), ...files], { encoding: 'utf8' });
  const received = Number((await sink.lines.next()).value);
  const m = /bytes=(\d+) seconds=([\d.]+) user_seconds=([\d.]+) system_seconds=([\d.]+)/.exec(out);
  if (!m) throw new Error(`c_sender ${mode}: unexpected output ${JSON.stringify(out)}`);
  const [bytes, seconds, user, system] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  if (bytes !== expectBytes || received !== bytes) throw new Error(`c_sender ${mode} sent ${bytes} bytes, sink got ${received}, log has ${expectBytes}`);
  return sample(bytes, seconds, user, system);
}

/** `strata send` into a real `strata receive` (CRC validation, appends, flush); throughput only. */
export async function sendReceiveOnce(dataDir: string, transfer: string, dest: string): Promise<Sample> {
  const bin = join(repoRoot(), 'bin/strata.js');
  const recv = spawn(process.execPath, [bin, 'receive', '--listen', '127.0.0.1:0', '--data-dir', dest, '--topic', TOPIC], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = Number(/:(\d+)$/.exec((await lines(recv).next()).value)![1]);
    const out = execFileSync(process.execPath, [bin, 'send', '--data-dir', dataDir, '--topic', TOPIC, '--to', `127.0.0.1:${port}`, '--transfer', transfer], { encoding: 'utf8' });
    await new Promise((r) => recv.once('close', r));
    const m = /\(([\d.]+) Gbit\/s\)/.exec(out);
    if (!m) throw new Error(`strata send printed no throughput: ${JSON.stringify(out)}`);
    return { mbPerSec: (Number(m[1]) * 1e9) / 8 / 1e6, cpuSecondsPerGb: NaN, cpuUserSecondsPerGb: NaN };
  } finally {
    if (recv.exitCode === null) recv.kill();
    rmSync(dest, { recursive: true, force: true });
  }
}
