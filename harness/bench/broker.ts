/**
 * Broker benchmark: `strata serve` on loopback driven by kcat (librdkafka 2.0.2).
 *
 *   node --import tsx harness/bench/broker.ts [--reps 3] [--records 2000000] [--e2e-seconds 10]
 *        [--fetch-gb 1] [--engine pwrite] [--out results/broker/bench.json]
 *
 * 1. Produce throughput: kcat -P -l FILE, 100-byte records, lz4 and acks=1 (target >= 1,000,000
 *    records/s), with codec none side by side as the baseline; each repetition a fresh data dir.
 * 2. End-to-end latency at a fixed 50,000 records/s (kcat producer -> broker -> kcat consumer),
 *    p50/p99/p99.9 beside the 2014 benchmark's 2/3/14 ms.
 * 3. Fetch server CPU seconds per GB sent, sendfile vs buffered (target sendfile <= 0.5x), on one
 *    data dir read whole by `kcat -C`, the transfers alternating, the page cache warm.
 * Server RSS (VmHWM) is reported per section. Medians of repetitions, [min-max] beside them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runKafkaTarget, recordValue } from '../../broker/kafka-target.js';

interface Args {
  reps: number;
  records: number;
  e2eSeconds: number;
  e2eRate: number;
  fetchGb: number;
  engine: string;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { reps: 3, records: 2_000_000, e2eSeconds: 10, e2eRate: 50_000, fetchGb: 1, engine: 'pwrite', out: 'results/broker/bench.json' };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!;
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${k} needs a value`);
    if (k === '--reps') a.reps = Number(v);
    else if (k === '--records') a.records = Number(v);
    else if (k === '--e2e-seconds') a.e2eSeconds = Number(v);
    else if (k === '--e2e-rate') a.e2eRate = Number(v);
    else if (k === '--fetch-gb') a.fetchGb = Number(v);
    else if (k === '--engine') a.engine = v;
    else if (k === '--out') a.out = v;
    else throw new Error(`unknown option ${k}`);
  }
  return a;
}

const CLK_TCK = 100; // Linux USER_HZ

interface Server {
  child: ChildProcess;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

async function startServer(dataDir: string, engine: string, transfer?: string): Promise<Server> {
  const args = ['--import', 'tsx', 'cli/main.ts', 'serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--auto-create-topics', '--engine', engine];
  if (transfer) args.push('--transfer', transfer);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /serving Kafka protocol on 127\.0\.0\.1:(\d+)/.exec(err);
    if (m) {
      return {
        child,
        port: Number(m[1]),
        pid: child.pid!,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`strata serve did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime + stime
}

function rssPeakMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function stat(xs: number[]): { median: number; min: number; max: number; runs: number[] } {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), runs: xs };
}

function fmt(s: { median: number; min: number; max: number }, digits = 0): string {
  return `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}-${s.max.toFixed(digits)}]`;
}

function freshDir(tag: string): string {
  return fs.mkdtempSync(join(tmpdir(), `strata-bench-broker-${tag}-`));
}

async function produceSection(a: Args) {
  const out: Record<string, { recordsPerSecond: ReturnType<typeof stat>; mbPerSecond: ReturnType<typeof stat>; serverCpuSeconds: ReturnType<typeof stat>; serverRssPeakMb: ReturnType<typeof stat> }> = {};
  const runs: Record<string, { rps: number[]; mbps: number[]; cpu: number[]; rss: number[] }> = { lz4: { rps: [], mbps: [], cpu: [], rss: [] }, none: { rps: [], mbps: [], cpu: [], rss: [] } };
  for (let rep = 0; rep < a.reps; rep++) {
    for (const codec of ['lz4', 'none'] as const) {
      const dir = freshDir(`produce-${codec}`);
      const server = await startServer(dir, a.engine);
      try {
        const cpu0 = cpuSeconds(server.pid);
        const r = await runKafkaTarget({ url: `kafka://127.0.0.1:${server.port}`, topic: `produce-${codec}`, records: a.records, recordBytes: 100, codec, acks: 1 });
        runs[codec]!.rps.push(r.produceRecordsPerSecond);
        runs[codec]!.mbps.push(r.produceMBPerSecond);
        runs[codec]!.cpu.push(cpuSeconds(server.pid) - cpu0);
        runs[codec]!.rss.push(rssPeakMb(server.pid));
        console.log(`produce ${codec} rep ${rep + 1}: ${Math.round(r.produceRecordsPerSecond)} records/s (${r.produceMBPerSecond.toFixed(1)} MB/s of values)`);
      } finally {
        await server.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  for (const [codec, r] of Object.entries(runs)) {
    out[codec] = { recordsPerSecond: stat(r.rps), mbPerSecond: stat(r.mbps), serverCpuSeconds: stat(r.cpu), serverRssPeakMb: stat(r.rss) };
  }
  return out;
}

async function latencySection(a: Args) {
  const p50: number[] = [];
  const p99: number[] = [];
  const p999: number[] = [];
  const achieved: number[] = [];
  const rss: number[] = [];
  for (let rep = 0; rep < a.reps; rep++) {
    const dir = freshDir('e2e');
    const server = await startServer(dir, a.engine);
    try {
      const records = a.e2eRate * a.e2eSeconds;
      const r = await runKafkaTarget({ url: `kafka://127.0.0.1:${server.port}`, topic: 'e2e', records: 1, recordBytes: 100, codec: 'none', acks: 1, endToEndRatePerSecond: a.e2eRate, endToEndRecords: records });
      const e = r.endToEnd!;
      p50.push(e.p50Ms);
      p99.push(e.p99Ms);
      p999.push(e.p999Ms);
      achieved.push(e.achievedRatePerSecond);
      rss.push(rssPeakMb(server.pid));
      console.log(`e2e rep ${rep + 1}: ${e.samples} records at ${Math.round(e.achievedRatePerSecond)}/s: p50 ${e.p50Ms.toFixed(2)} ms, p99 ${e.p99Ms.toFixed(2)} ms, p99.9 ${e.p999Ms.toFixed(2)} ms, max ${e.maxMs.toFixed(1)} ms`);
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return { ratePerSecond: a.e2eRate, seconds: a.e2eSeconds, p50Ms: stat(p50), p99Ms: stat(p99), p999Ms: stat(p999), achievedRatePerSecond: stat(achieved), serverRssPeakMb: stat(rss), published2014: { p50Ms: 2, p99Ms: 3, p999Ms: 14 } };
}

async function consumeOnce(port: number, topic: string, expected: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const c = spawn('/usr/bin/kcat', ['-C', '-b', `127.0.0.1:${port}`, '-t', topic, '-o', 'beginning', '-e', '-q', '-c', String(expected), '-f', '%o\n'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let err = '';
    c.stdout.on('data', (b: Buffer) => {
      for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) lines++;
    });
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    c.on('close', (code) => (code === 0 && lines === expected ? resolve() : reject(new Error(`kcat consumer: exit ${code}, ${lines} of ${expected} records: ${err}`))));
  });
}

async function fetchSection(a: Args) {
  const recordBytes = 10_000;
  const records = Math.round((a.fetchGb * 1e9) / recordBytes);
  const dir = freshDir('fetch');
  const topic = 'fetch-cpu';
  {
    const server = await startServer(dir, a.engine);
    try {
      await runKafkaTarget({ url: `kafka://127.0.0.1:${server.port}`, topic, records, recordBytes, codec: 'none', acks: 1, kcatConfig: { 'message.max.bytes': '20000' } });
    } finally {
      await server.stop();
    }
  }
  const logBytes = fs.readdirSync(join(dir, `${topic}-0`)).filter((n) => n.endsWith('.log')).reduce((s, n) => s + fs.statSync(join(dir, `${topic}-0`, n)).size, 0);
  const perGb: Record<string, number[]> = { sendfile: [], buffered: [] };
  const seconds: Record<string, number[]> = { sendfile: [], buffered: [] };
  const rss: Record<string, number[]> = { sendfile: [], buffered: [] };
  for (let rep = 0; rep < a.reps; rep++) {
    for (const transfer of rep % 2 === 0 ? ['sendfile', 'buffered'] : ['buffered', 'sendfile']) {
      const server = await startServer(dir, a.engine, transfer);
      try {
        await consumeOnce(server.port, topic, records); // warm: page cache and the server's first-touch costs
        const cpu0 = cpuSeconds(server.pid);
        const t0 = performance.now();
        await consumeOnce(server.port, topic, records);
        seconds[transfer]!.push((performance.now() - t0) / 1000);
        const cpu = cpuSeconds(server.pid) - cpu0;
        perGb[transfer]!.push(cpu / (logBytes / 1e9));
        rss[transfer]!.push(rssPeakMb(server.pid));
        console.log(`fetch ${transfer} rep ${rep + 1}: ${(logBytes / 1e9).toFixed(2)} GB in ${seconds[transfer]!.at(-1)!.toFixed(2)} s, server CPU ${cpu.toFixed(2)} s = ${perGb[transfer]!.at(-1)!.toFixed(3)} s/GB`);
      } finally {
        await server.stop();
      }
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const ratios = perGb.sendfile!.map((s, i) => s / perGb.buffered![i]!);
  return {
    logBytes,
    recordBytes,
    serverCpuSecondsPerGb: { sendfile: stat(perGb.sendfile!), buffered: stat(perGb.buffered!) },
    consumeSeconds: { sendfile: stat(seconds.sendfile!), buffered: stat(seconds.buffered!) },
    sendfileOverBufferedCpu: stat(ratios),
    serverRssPeakMb: { sendfile: stat(rss.sendfile!), buffered: stat(rss.buffered!) },
  };
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const started = new Date().toISOString();
  const produce = await produceSection(a);
  const latency = await latencySection(a);
  const fetchCpu = await fetchSection(a);
  const result = { benchmark: 'broker', started, args: a, node: process.version, produce, latency, fetchCpu };
  fs.mkdirSync(dirname(a.out), { recursive: true });
  fs.writeFileSync(a.out, JSON.stringify(result, null, 2) + '\n');
  console.log('\n| measurement | median [min-max] |\n|---|---|');
  console.log(`| produce lz4, 100 B, acks=1 (records/s) | ${fmt(produce.lz4!.recordsPerSecond)} |`);
  console.log(`| produce none, 100 B, acks=1 (records/s) | ${fmt(produce.none!.recordsPerSecond)} |`);
  console.log(`| server RSS peak during produce lz4 (MB) | ${fmt(produce.lz4!.serverRssPeakMb)} |`);
  console.log(`| end-to-end p50 / p99 / p99.9 at ${a.e2eRate}/s (ms) | ${fmt(latency.p50Ms, 2)} / ${fmt(latency.p99Ms, 2)} / ${fmt(latency.p999Ms, 2)} (2014: 2 / 3 / 14) |`);
  console.log(`| fetch server CPU s/GB, sendfile | ${fmt(fetchCpu.serverCpuSecondsPerGb.sendfile, 3)} |`);
  console.log(`| fetch server CPU s/GB, buffered | ${fmt(fetchCpu.serverCpuSecondsPerGb.buffered, 3)} |`);
  console.log(`| sendfile / buffered CPU | ${fmt(fetchCpu.sendfileOverBufferedCpu, 2)} |`);
  console.log(`wrote ${a.out}`);
}

await main();
