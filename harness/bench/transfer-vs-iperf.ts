/**
 * Log shipping throughput and sender CPU: the sendfile and buffered transfers shipping a partition
 * log over loopback, next to iperf3 (plain and -Z, i.e. sendfile) measured in the same run.
 *
 *   npx tsx harness/bench/transfer-vs-iperf.ts [--mib 1024] [--reps 3] [--e2e] [--out results/transfer]
 *
 * Each repetition runs iperf3, iperf3 -Z, strata sendfile and strata buffered back to back (so the
 * noisy shared machine affects them alike) and the table shows medians [min-max]. strata's sender
 * is this process: header, Log.read slices through the Transfer, end marker; the receiver is a
 * discarding sink in C (native/src/discard_sink.c, built with the addon; discard-sink.py without
 * it) like iperf3's server, so the figure is the transfer's, not the receiving log's. (Measured
 * with the same sender, the Python sink cost up to 20% of the throughput against the C one.)
 * CPU s/GB is this process's user+system CPU (process.cpuUsage) during the send
 * per 10^9 bytes; for iperf3 it is its sender's host CPU from its JSON report. With --e2e it also
 * times `strata send` into a real `strata receive` (CRC validation + appends + flush). A fifth run
 * sends one hot 128 KiB region over and over through the same sendfile transfer: iperf3 -Z's own
 * access pattern, to tell the transfer code from the cost of reading a gigabyte of page cache.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_LOG_CONFIG } from '../../core/config/log-config.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import type { Transfer } from '../../core/transfer.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { bufferedTransfer } from '../../engines/transfer/buffered.js';
import { createSendfileTransfer } from '../../engines/transfer/sendfile.js';
import { shipToSocket } from '../../engines/transfer/ship/sender.js';

const { values: args } = parseArgs({
  options: { mib: { type: 'string', default: '1024' }, reps: { type: 'string', default: '3' }, e2e: { type: 'boolean', default: false }, out: { type: 'string', default: 'results/transfer' } },
});
const LOG_MIB = Number(args.mib);
const REPS = Number(args.reps);
const ROOT = join(import.meta.dirname, '..', '..');
const TOPIC = 'bench';

interface Sample {
  gbits: number;
  cpuSecPerGB: number;
  /** The user-space part of cpuSecPerGB (the rest is system time). */
  userSecPerGB: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function lines(child: ChildProcess): AsyncIterator<string> {
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

/**
 * Connects to the sink, times `send` until the sink has counted every byte, and returns the sample
 * with the bytes `send` reported and the sink received (each caller checks what it expects).
 */
async function timedSend(port: number, sinkLines: AsyncIterator<string>, send: (socket: net.Socket) => Promise<number>): Promise<{ sample: Sample; sent: number; received: number }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const sent = await send(socket);
  await new Promise<void>((resolve) => socket.end(resolve));
  const received = Number((await sinkLines.next()).value);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  socket.destroy();
  const gb = received / 1e9;
  return { sample: { gbits: (received * 8) / seconds / 1e9, cpuSecPerGB: (cpu.user + cpu.system) / 1e6 / gb, userSecPerGB: cpu.user / 1e6 / gb }, sent, received };
}

async function shipOnce(log: Log, transfer: Transfer, port: number, sinkLines: AsyncIterator<string>, expectBytes: number): Promise<Sample> {
  const { sample, sent, received } = await timedSend(port, sinkLines, async (socket) => (await shipToSocket(socket, log, TOPIC, 0, log.logStartOffset, transfer)).bytes);
  if (sent !== expectBytes || received < sent) throw new Error(`shipped ${sent} bytes, sink got ${received}, log has ${expectBytes}`);
  return sample;
}

/**
 * The sendfile transfer in iperf3 -Z's access pattern: iperf3 -Z sendfile()s one 128 KiB buffer
 * file (its -l block) over and over, so its source pages stay hot in the CPU caches; here the same
 * Transfer sends one 128 KiB region of a segment file `bytes / 128 KiB` times. Against iperf3 -Z
 * this compares the transfer code alone; against the log ship it shows what reading a gigabyte of
 * distinct page-cache pages costs.
 */
async function hotRegionOnce(log: Log, transfer: Transfer, port: number, sinkLines: AsyncIterator<string>, bytes: number): Promise<Sample> {
  const REGION_BYTES = 128 * 1024;
  const first = (await log.read(log.logStartOffset, REGION_BYTES * 2)).slices[0];
  if (!first || first.length < REGION_BYTES) throw new Error('the log has no 128 KiB slice to resend');
  const slices = Array.from({ length: Math.floor(bytes / REGION_BYTES) }, () => ({ ...first, length: REGION_BYTES }));
  const { sample, sent, received } = await timedSend(port, sinkLines, (socket) => transfer.send(socket, slices));
  if (received !== sent) throw new Error(`sent ${sent} bytes, sink got ${received}`);
  return sample;
}

async function iperfOnce(bytes: number, zeroCopy: boolean): Promise<Sample> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const server = spawn('iperf3', ['-s', '-1', '-p', String(port)], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 300));
    const out = execFileSync('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-n', String(bytes), '-J', ...(zeroCopy ? ['-Z'] : [])], { encoding: 'utf8' });
    const j = JSON.parse(out) as { end: { sum_received: { bits_per_second: number; seconds: number; bytes: number }; cpu_utilization_percent: { host_total: number; host_user: number } } };
    const r = j.end.sum_received;
    const perGB = (percent: number) => ((percent / 100) * r.seconds) / (r.bytes / 1e9);
    return { gbits: r.bits_per_second / 1e9, cpuSecPerGB: perGB(j.end.cpu_utilization_percent.host_total), userSecPerGB: perGB(j.end.cpu_utilization_percent.host_user) };
  } finally {
    server.kill();
  }
}

async function e2eOnce(dataDir: string, transfer: string, work: string, rep: number): Promise<Sample> {
  const dest = join(work, `e2e-${transfer}-${rep}`);
  const recv = spawn(process.execPath, [join(ROOT, 'bin/strata.js'), 'receive', '--listen', '127.0.0.1:0', '--data-dir', dest, '--topic', TOPIC], { stdio: ['ignore', 'pipe', 'inherit'] });
  const l = lines(recv);
  const port = Number(/:(\d+)$/.exec((await l.next()).value)![1]);
  const out = execFileSync(process.execPath, [join(ROOT, 'bin/strata.js'), 'send', '--data-dir', dataDir, '--topic', TOPIC, '--to', `127.0.0.1:${port}`, '--transfer', transfer], { encoding: 'utf8' });
  await new Promise((r) => recv.once('close', r));
  rmSync(dest, { recursive: true, force: true });
  const m = /\(([\d.]+) Gbit\/s\)/.exec(out)!;
  return { gbits: Number(m[1]), cpuSecPerGB: NaN, userSecPerGB: NaN };
}

const work = mkdtempSync(join(tmpdir(), 'strata-bench-transfer-'));
// the receiver: a C read loop like iperf3's own (built with the addon), else the Python one
const nativeSink = join(ROOT, 'native/build/Release/discard_sink');
const sinkKind = existsSync(nativeSink) ? 'C (native/src/discard_sink.c)' : 'Python (discard-sink.py; build the addon for the C sink)';
const sink = existsSync(nativeSink)
  ? spawn(nativeSink, [], { stdio: ['ignore', 'pipe', 'inherit'] })
  : spawn('python3', [join(import.meta.dirname, 'discard-sink.py')], { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  const sinkLines = lines(sink);
  const sinkPort = Number((await sinkLines.next()).value);
  const dataDir = join(work, 'data');
  // ~1 MiB batches (100 records of 10 KiB), 128 MiB segments
  process.stderr.write(`writing a ${LOG_MIB} MiB log ...\n`);
  // in a child process: the gigabyte of garbage it leaves would otherwise be freed by this
  // process's GC threads during the measurements and count as sender CPU
  execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'test/transfer/fixtures/make-log.ts'), dataDir, TOPIC, '0', String(LOG_MIB), '100', '10400', String(128 << 20)], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const log = await Log.open(join(dataDir, `${TOPIC}-0`), DEFAULT_LOG_CONFIG, { engine: pwriteEngine, logger: silentLogger });
  const logBytes = log.sizeBytes;
  // what this process burns doing nothing, for scale (timers, GC threads)
  const idle0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, 1000));
  const idle = process.cpuUsage(idle0);
  process.stderr.write(`idle CPU of the sender process: ${((idle.user + idle.system) / 1000).toFixed(1)} ms per second\n`);
  const transfers: Transfer[] = [createSendfileTransfer(), bufferedTransfer];
  // one warm-up ship each: page cache hot, JIT warm
  for (const t of transfers) await shipOnce(log, t, sinkPort, sinkLines, logBytes);
  const results: Record<string, Sample[]> = { 'iperf3': [], 'iperf3 -Z': [], 'strata sendfile': [], 'strata buffered': [], 'strata sendfile, one hot 128 KiB region (iperf3 -Z pattern)': [] };
  for (let rep = 0; rep < REPS; rep++) {
    results['iperf3']!.push(await iperfOnce(logBytes, false));
    results['iperf3 -Z']!.push(await iperfOnce(logBytes, true));
    results['strata sendfile']!.push(await shipOnce(log, transfers[0]!, sinkPort, sinkLines, logBytes));
    results['strata buffered']!.push(await shipOnce(log, transfers[1]!, sinkPort, sinkLines, logBytes));
    results['strata sendfile, one hot 128 KiB region (iperf3 -Z pattern)']!.push(await hotRegionOnce(log, transfers[0]!, sinkPort, sinkLines, logBytes));
    process.stderr.write(`rep ${rep + 1}/${REPS} done\n`);
  }
  await log.close();
  if (args.e2e) {
    results['e2e send|receive sendfile'] = [];
    results['e2e send|receive buffered'] = [];
    for (let rep = 0; rep < REPS; rep++) {
      results['e2e send|receive sendfile']!.push(await e2eOnce(dataDir, 'sendfile', work, rep));
      results['e2e send|receive buffered']!.push(await e2eOnce(dataDir, 'buffered', work, rep));
    }
  }
  const fmt = (xs: number[], d: number) => (xs.some(Number.isNaN) ? 'n/a' : `${median(xs).toFixed(d)} [${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)}]`);
  const report: string[] = [`# Transfer vs iperf3 (${new Date().toISOString()})`, '', `Command: \`npx tsx harness/bench/transfer-vs-iperf.ts --mib ${LOG_MIB} --reps ${REPS}${args.e2e ? ' --e2e' : ''}\``];
  const med = (k: string, f: keyof Sample) => median(results[k]!.map((s) => s[f]));
  report.push(`\nlog: ${logBytes} bytes (${(logBytes / 2 ** 20).toFixed(0)} MiB), ${REPS} repetitions, median [min-max]; receiver of the strata runs: ${sinkKind}\n`);
  report.push('| run | Gbit/s | sender CPU s/GB | of which user |');
  report.push('|---|---|---|---|');
  for (const [k, v] of Object.entries(results)) report.push(`| ${k} | ${fmt(v.map((s) => s.gbits), 2)} | ${fmt(v.map((s) => s.cpuSecPerGB), 3)} | ${fmt(v.map((s) => s.userSecPerGB), 3)} |`);
  report.push('');
  report.push(`sendfile / iperf3 -Z throughput: ${(med('strata sendfile', 'gbits') / med('iperf3 -Z', 'gbits')).toFixed(2)}x (target >= 0.9)`);
  report.push(`sendfile in iperf3 -Z's pattern (one hot 128 KiB region) / iperf3 -Z throughput: ${(med('strata sendfile, one hot 128 KiB region (iperf3 -Z pattern)', 'gbits') / med('iperf3 -Z', 'gbits')).toFixed(2)}x`);
  report.push(`sendfile / iperf3 throughput: ${(med('strata sendfile', 'gbits') / med('iperf3', 'gbits')).toFixed(2)}x`);
  report.push(`sendfile / buffered CPU s/GB: ${(med('strata sendfile', 'cpuSecPerGB') / med('strata buffered', 'cpuSecPerGB')).toFixed(2)}x (target <= 0.35)`);
  report.push(`sendfile / buffered throughput: ${(med('strata sendfile', 'gbits') / med('strata buffered', 'gbits')).toFixed(2)}x`);
  const text = report.join('\n') + '\n';
  process.stdout.write(text);
  mkdirSync(args.out!, { recursive: true });
  const file = join(args.out!, `transfer-vs-iperf-${new Date().toISOString().replace(/[:.]/g, '-')}.md`);
  writeFileSync(file, text);
  process.stderr.write(`written to ${file}\n`);
} finally {
  sink.kill();
  rmSync(work, { recursive: true, force: true });
}
