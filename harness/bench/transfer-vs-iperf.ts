/**
 * Log shipping throughput and sender CPU: the sendfile and buffered transfers shipping a partition
 * log over loopback, next to bare C senders on the same segment files into the same sink, and
 * iperf3 (plain and -Z, i.e. sendfile), all measured in the same run.
 *
 *   npm run bench:transfer -- [--mib 1024] [--reps 5] [--e2e] [--out results/transfer]
 *                             [--sendfile-chunk-kib 2048] [--rw-chunk-kib 128]
 *
 * The limit strata is held to is the C senders' (native/src/c_sender.c): a blocking sendfile(2)
 * loop and a pread+write loop over the log's own .log files, what the kernel's loopback path
 * allows a sender with no runtime. Targets, as same-run ratios of medians: strata sendfile >= 0.9x
 * the C sendfile loop's Gbit/s and <= 1.2x its CPU per GB; strata buffered the same against the
 * C pread+write loop. A third strata row ships through the buffered transfer with every read in
 * the thread pool (as before it read cached pages itself), for the ratio of the two. (On this VM's loopback sendfile is no faster than read+write and iperf3 -Z
 * is slower than plain iperf3, so a target against iperf3 -Z said nothing about strata.)
 * Each repetition runs every sender once, in alternating order (reversed on odd repetitions, so
 * neither end of a repetition favours one sender), and the table shows medians [min-max].
 * strata's sender is this process: header, Log.read slices through the Transfer, end marker; the
 * receiver is a discarding sink in C (native/src/discard_sink.c, built with the addon;
 * discard-sink.py without it) like iperf3's server, so the figure is the sender's, not the
 * receiving log's. (Measured with the same sender, the Python sink cost up to 20% of the
 * throughput against the C one.) CPU s/GB is this process's user+system CPU (process.cpuUsage)
 * during the send per 10^9 bytes; for the C senders their own getrusage over the same interval;
 * for iperf3 its sender's host CPU from its JSON report. With --e2e it also
 * times `strata send` into a real `strata receive` (CRC validation + appends + flush). Another run
 * sends one hot 128 KiB region over and over through the same sendfile transfer: iperf3 -Z's own
 * access pattern, to tell the transfer code from the cost of reading a gigabyte of page cache.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_LOG_CONFIG } from '../../core/config/log-config.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import type { Transfer } from '../../core/transfer.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { BufferedTransfer, bufferedTransfer } from '../../engines/transfer/buffered.js';
import { createSendfileTransfer } from '../../engines/transfer/sendfile.js';
import { shipToSocket } from '../../engines/transfer/ship/sender.js';

const { values: args } = parseArgs({
  options: {
    mib: { type: 'string', default: '1024' },
    reps: { type: 'string', default: '5' },
    e2e: { type: 'boolean', default: false },
    out: { type: 'string', default: 'results/transfer' },
    'sendfile-chunk-kib': { type: 'string', default: '2048' },
    'rw-chunk-kib': { type: 'string', default: '128' },
  },
});
function positiveInt(name: string, text: string | undefined, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} "${text}": an integer 1..${max}`);
  return n;
}
const LOG_MIB = positiveInt('mib', args.mib, 64 * 1024);
const REPS = positiveInt('reps', args.reps, 99);
/** The C loops' bytes per call (the sendfile count; the pread+write buffer), as in the earlier figures. */
const SENDFILE_CHUNK_BYTES = positiveInt('sendfile-chunk-kib', args['sendfile-chunk-kib'], 65536) * 1024;
const RW_CHUNK_BYTES = positiveInt('rw-chunk-kib', args['rw-chunk-kib'], 65536) * 1024;
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

/**
 * The C sender (native/src/c_sender.c) built with the addon, else compiled here with gcc (it needs
 * nothing but libc), so the baseline never depends on node-gyp having run.
 */
function cSenderBinary(work: string): string {
  const built = join(ROOT, 'native/build/Release/c_sender');
  if (existsSync(built)) return built;
  const out = join(work, 'c_sender');
  execFileSync('gcc', ['-O2', '-Wall', '-o', out, join(ROOT, 'native/src/c_sender.c')], { stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}

/** One run of a C sender over `files` into the sink; its own report gives time and CPU. */
async function cSenderOnce(binary: string, mode: 'sendfile' | 'rw', files: string[], port: number, sinkLines: AsyncIterator<string>, expectBytes: number): Promise<Sample> {
  const chunk = mode === 'sendfile' ? SENDFILE_CHUNK_BYTES : RW_CHUNK_BYTES;
  const out = execFileSync(binary, [mode, String(port), String(chunk), ...files], { encoding: 'utf8' });
  const received = Number((await sinkLines.next()).value);
  const m = /bytes=(\d+) seconds=([\d.]+) user_seconds=([\d.]+) system_seconds=([\d.]+)/.exec(out);
  if (!m) throw new Error(`c_sender ${mode}: unexpected output ${JSON.stringify(out)}`);
  const [bytes, seconds, user, system] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  if (bytes !== expectBytes || received !== bytes) throw new Error(`c_sender ${mode} sent ${bytes} bytes, sink got ${received}, log has ${expectBytes}`);
  const gb = bytes / 1e9;
  return { gbits: (bytes * 8) / seconds / 1e9, cpuSecPerGB: (user + system) / gb, userSecPerGB: user / gb };
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
  const transfers: Transfer[] = [createSendfileTransfer(), bufferedTransfer, new BufferedTransfer({ readCachedInline: false })];
  // one warm-up ship each: page cache hot, JIT warm
  for (const t of transfers) await shipOnce(log, t, sinkPort, sinkLines, logBytes);
  const files = readdirSync(log.dir).filter((f) => f.endsWith('.log')).sort().map((f) => join(log.dir, f));
  const cSender = cSenderBinary(work);
  const HOT = 'strata sendfile, one hot 128 KiB region (iperf3 -Z pattern)';
  const C_SENDFILE = `C sendfile loop (${SENDFILE_CHUNK_BYTES >> 10} KiB calls)`;
  const C_RW = `C pread+write loop (${RW_CHUNK_BYTES >> 10} KiB)`;
  /** The buffered transfer as it was before it read cached pages itself: every chunk a pool read. */
  const POOL_READS = 'strata buffered, every read in the thread pool';
  const runs: [string, () => Promise<Sample>][] = [
    [C_SENDFILE, () => cSenderOnce(cSender, 'sendfile', files, sinkPort, sinkLines, logBytes)],
    ['strata sendfile', () => shipOnce(log, transfers[0]!, sinkPort, sinkLines, logBytes)],
    [C_RW, () => cSenderOnce(cSender, 'rw', files, sinkPort, sinkLines, logBytes)],
    ['strata buffered', () => shipOnce(log, transfers[1]!, sinkPort, sinkLines, logBytes)],
    [POOL_READS, () => shipOnce(log, transfers[2]!, sinkPort, sinkLines, logBytes)],
    ['iperf3', () => iperfOnce(logBytes, false)],
    ['iperf3 -Z', () => iperfOnce(logBytes, true)],
    [HOT, () => hotRegionOnce(log, transfers[0]!, sinkPort, sinkLines, logBytes)],
  ];
  const results: Record<string, Sample[]> = Object.fromEntries(runs.map(([k]) => [k, []]));
  for (let rep = 0; rep < REPS; rep++) {
    // alternate the order: what runs right after another sender (a hot or a busy CPU) changes
    for (const [k, run] of rep % 2 ? [...runs].reverse() : runs) results[k]!.push(await run());
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
  const report: string[] = [`# Transfer vs bare C senders and iperf3 (${new Date().toISOString()})`, '', `Command: \`npm run bench:transfer -- --mib ${LOG_MIB} --reps ${REPS}${args.e2e ? ' --e2e' : ''} --sendfile-chunk-kib ${SENDFILE_CHUNK_BYTES >> 10} --rw-chunk-kib ${RW_CHUNK_BYTES >> 10}\``];
  const med = (k: string, f: keyof Sample) => median(results[k]!.map((s) => s[f]));
  report.push(`\nlog: ${logBytes} bytes (${(logBytes / 2 ** 20).toFixed(0)} MiB), ${REPS} repetitions, median [min-max]; receiver of the strata runs: ${sinkKind}; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')} (a figure measured above ~1 is a development run, not a result)\n`);
  report.push('| run | Gbit/s | sender CPU s/GB | of which user |');
  report.push('|---|---|---|---|');
  for (const [k, v] of Object.entries(results)) report.push(`| ${k} | ${fmt(v.map((s) => s.gbits), 2)} | ${fmt(v.map((s) => s.cpuSecPerGB), 3)} | ${fmt(v.map((s) => s.userSecPerGB), 3)} |`);
  report.push('');
  const ratio = (a: string, b: string, f: keyof Sample) => (med(a, f) / med(b, f)).toFixed(2);
  const verdict = (r: string, ok: (x: number) => boolean) => (ok(Number(r)) ? 'met' : '**not met**');
  const targets: [string, string, string, keyof Sample, string, (x: number) => boolean][] = [
    ['strata sendfile', C_SENDFILE, 'throughput', 'gbits', '>= 0.9', (x) => x >= 0.9],
    ['strata sendfile', C_SENDFILE, 'CPU s/GB', 'cpuSecPerGB', '<= 1.2', (x) => x <= 1.2],
    ['strata buffered', C_RW, 'throughput', 'gbits', '>= 0.9', (x) => x >= 0.9],
    ['strata buffered', C_RW, 'CPU s/GB', 'cpuSecPerGB', '<= 1.2', (x) => x <= 1.2],
  ];
  report.push('Targets (ratios of the medians above, same run):\n');
  for (const [a, b, what, f, target, ok] of targets) {
    const r = ratio(a, b, f);
    report.push(`- ${a} / ${b} ${what}: ${r}x (target ${target}: ${verdict(r, ok)})`);
  }
  report.push('\nFor reference:\n');
  report.push(`- C sendfile loop / C pread+write loop throughput: ${ratio(C_SENDFILE, C_RW, 'gbits')}x, CPU s/GB: ${ratio(C_SENDFILE, C_RW, 'cpuSecPerGB')}x (what zero copy is worth on this loopback)`);
  report.push(`- iperf3 -Z / iperf3 throughput: ${ratio('iperf3 -Z', 'iperf3', 'gbits')}x`);
  report.push(`- strata sendfile / iperf3 -Z throughput: ${ratio('strata sendfile', 'iperf3 -Z', 'gbits')}x (the old target, replaced by the C loops); in iperf3 -Z's pattern: ${ratio(HOT, 'iperf3 -Z', 'gbits')}x`);
  report.push(`- strata buffered / its thread-pool-only reads: throughput ${ratio('strata buffered', POOL_READS, 'gbits')}x, CPU s/GB ${ratio('strata buffered', POOL_READS, 'cpuSecPerGB')}x (what reading cached pages on the event loop's thread is worth)`);
  report.push(`- strata sendfile / strata buffered CPU s/GB: ${ratio('strata sendfile', 'strata buffered', 'cpuSecPerGB')}x, throughput: ${ratio('strata sendfile', 'strata buffered', 'gbits')}x`);
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
