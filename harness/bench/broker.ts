/**
 * Broker benchmark: `strata serve` on loopback driven by kcat (librdkafka 2.0.2).
 *
 *   node --import tsx harness/bench/broker.ts [--reps 3] [--records 2000000] [--e2e-seconds 10] [--e2e-rate 50000]
 *        [--fetch-gb 1] [--engine pwrite] [--out results/broker/bench.json]
 *
 * 1. Produce throughput: kcat -P -l FILE, 100-byte records, lz4 and acks=1 (target >= 1,000,000
 *    records/s), with codec none side by side as the baseline; each repetition a fresh data dir and
 *    broker, warmed up with a fifth as many records into another topic first (not measured).
 * 2. End-to-end latency at a fixed 50,000 records/s (kcat producer -> broker -> kcat consumer),
 *    p50/p99/p99.9 beside the 2014 benchmark's 2/3/14 ms.
 * 3. Fetch server CPU seconds per GB sent, sendfile vs buffered (target sendfile <= 0.5x), on one
 *    data dir read whole by `kcat -C`, the transfers alternating, the page cache warm.
 * Server RSS (VmHWM) is reported per section. Medians of repetitions, [min-max] beside them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runKafkaTarget } from '../clients/kafka-target.js';
import { runRawEndToEnd } from '../clients/raw-end-to-end.js';
import { summarize as stat } from '../stats.js';
import { cpuSeconds, rssPeakMb } from '../proc.js';
import { startServeListening, stopServe } from '../serve-process.js';

interface Args {
  reps: number;
  records: number;
  e2eSeconds: number;
  e2eRate: number;
  fetchGb: number;
  engine: string;
  out: string;
  /** Sections to run (default all); results of other sections already in --out are kept. */
  only: string[];
}

function parseArgs(argv: string[]): Args {
  const a: Args = { reps: 3, records: 2_000_000, e2eSeconds: 10, e2eRate: 50_000, fetchGb: 1, engine: 'pwrite', out: 'results/broker/bench.json', only: ['produce', 'latency', 'fetch'] };
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
    else if (k === '--only') a.only = v.split(',');
    else throw new Error(`unknown option ${k}`);
  }
  return a;
}


interface Server {
  child: ChildProcess;
  port: number;
  pid: number;
  /** Stops the server; resolves with its event-loop delay line when it was started with eventLoopStats. */
  stop(): Promise<{ p50Ms: number; p99Ms: number; p999Ms: number; maxMs: number } | undefined>;
}

async function startServer(dataDir: string, engine: string, transfer?: string, eventLoopStats = false): Promise<Server> {
  const args = ['--data-dir', dataDir, '--listen', '127.0.0.1:0', '--auto-create-topics', '--engine', engine];
  if (eventLoopStats) args.push('--event-loop-stats');
  if (transfer) args.push('--transfer', transfer);
  const served = await startServeListening(args);
  return {
    child: served.child,
    port: served.port,
    pid: served.child.pid!,
    stop: async () => {
      await stopServe(served, 60_000);
      const m = /event loop delay ms: p50 ([\d.]+) p99 ([\d.]+) p99\.9 ([\d.]+) max ([\d.]+)/.exec(served.stderr());
      return m ? { p50Ms: Number(m[1]), p99Ms: Number(m[2]), p999Ms: Number(m[3]), maxMs: Number(m[4]) } : undefined;
    },
  };
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
        // warm-up (not measured): a fresh broker's first seconds are JIT compilation, as with any
        // JVM or V8 server; OpenMessaging Benchmark warms up for the same reason
        await runKafkaTarget({ url: `kafka://127.0.0.1:${server.port}`, topic: `warmup-${codec}`, records: Math.ceil(a.records / 5), recordBytes: 100, codec, acks: 1 });
        const cpu0 = cpuSeconds(server.pid);
        const r = await runKafkaTarget({ url: `kafka://127.0.0.1:${server.port}`, topic: `produce-${codec}`, records: a.records, recordBytes: 100, codec, acks: 1 });
        runs[codec]!.rps.push(r.produceRecordsPerSecond);
        runs[codec]!.mbps.push(r.produceMBPerSecond);
        runs[codec]!.cpu.push(cpuSeconds(server.pid) - cpu0);
        runs[codec]!.rss.push(rssPeakMb(server.pid));
        console.log(`produce ${codec} rep ${rep + 1}: ${Math.round(r.produceRecordsPerSecond)} records/s (${r.produceMBPerSecond.toFixed(1)} MB/s of values) (load ${loadavg()[0]!.toFixed(1)})`);
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
  // two clients: kcat (librdkafka producer and consumer processes, linger.ms=0) and the broker's
  // raw client (one process, 1 ms producer ticks), which leaves out librdkafka's queues and pipes
  const clients = ['kcat', 'raw'] as const;
  const runs = Object.fromEntries(clients.map((c) => [c, { p50: [] as number[], p99: [] as number[], p999: [] as number[], achieved: [] as number[] }]));
  const rss: number[] = [];
  const failures: string[] = [];
  const loopP99: number[] = [];
  const loopMax: number[] = [];
  for (let rep = 0; rep < a.reps; rep++) {
    for (const client of clients) {
      const dir = freshDir('e2e');
      const server = await startServer(dir, a.engine, undefined, true);
      try {
        const records = a.e2eRate * a.e2eSeconds;
        const e =
          client === 'kcat'
            ? (await runKafkaTarget({ url: `kafka://127.0.0.1:${server.port}`, topic: 'e2e', records: 1, recordBytes: 100, codec: 'none', acks: 1, endToEndRatePerSecond: a.e2eRate, endToEndRecords: records, kcatConfig: { 'socket.nagle.disable': 'true' } })).endToEnd!
            : await runRawEndToEnd({ host: '127.0.0.1', port: server.port, topic: 'e2e-raw', records, recordBytes: 100, ratePerSecond: a.e2eRate });
        const r = runs[client]!;
        r.p50.push(e.p50Ms);
        r.p99.push(e.p99Ms);
        r.p999.push(e.p999Ms);
        r.achieved.push(e.achievedRatePerSecond);
        rss.push(rssPeakMb(server.pid));
        console.log(`e2e ${client} rep ${rep + 1}: ${e.samples} records at ${Math.round(e.achievedRatePerSecond)}/s: p50 ${e.p50Ms.toFixed(2)} ms, p99 ${e.p99Ms.toFixed(2)} ms, p99.9 ${e.p999Ms.toFixed(2)} ms, max ${e.maxMs.toFixed(1)} ms (load ${loadavg()[0]!.toFixed(1)})`);
      } catch (err) {
        // a failed repetition is reported, not dropped silently, and does not lose the others
        failures.push(`${client} rep ${rep + 1}: ${(err as Error).message}`);
        console.log(`e2e ${client} rep ${rep + 1} FAILED: ${(err as Error).message}`);
      } finally {
        const loop = await server.stop();
        if (loop) {
          loopP99.push(loop.p99Ms);
          loopMax.push(loop.maxMs);
          console.log(`  broker event loop delay: p50 ${loop.p50Ms} ms, p99 ${loop.p99Ms} ms, p99.9 ${loop.p999Ms} ms, max ${loop.maxMs} ms`);
        }
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const summary = (c: (typeof clients)[number]) => ({ p50Ms: stat(runs[c]!.p50), p99Ms: stat(runs[c]!.p99), p999Ms: stat(runs[c]!.p999), achievedRatePerSecond: stat(runs[c]!.achieved) });
  return { ratePerSecond: a.e2eRate, seconds: a.e2eSeconds, kcat: summary('kcat'), raw: summary('raw'), failures, brokerEventLoopDelayMs: { p99: stat(loopP99), max: stat(loopMax) }, serverRssPeakMb: stat(rss), published2014: { p50Ms: 2, p99Ms: 3, p999Ms: 14 } };
}

async function consumeOnce(port: number, topic: string, expected: number, partitionFetchBytes: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const c = spawn('/usr/bin/kcat', ['-C', '-b', `127.0.0.1:${port}`, '-t', topic, '-o', 'beginning', '-e', '-q', '-c', String(expected), '-f', '%o\n', '-X', `fetch.message.max.bytes=${partitionFetchBytes}`], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  const bySize: Record<string, unknown> = {};
  // librdkafka's default fetch.message.max.bytes (1 MiB per partition per request) and 16 MiB:
  // the per-request cost is the same for both transfers, so the larger fetch shows the copy saving
  for (const partitionFetchBytes of [1 << 20, 16 << 20]) {
  const perGb: Record<string, number[]> = { sendfile: [], buffered: [] };
  const seconds: Record<string, number[]> = { sendfile: [], buffered: [] };
  const rss: Record<string, number[]> = { sendfile: [], buffered: [] };
  for (let rep = 0; rep < a.reps; rep++) {
    for (const transfer of rep % 2 === 0 ? ['sendfile', 'buffered'] : ['buffered', 'sendfile']) {
      const server = await startServer(dir, a.engine, transfer);
      try {
        await consumeOnce(server.port, topic, records, partitionFetchBytes); // warm: page cache and the server's first-touch costs
        const cpu0 = cpuSeconds(server.pid);
        const t0 = performance.now();
        await consumeOnce(server.port, topic, records, partitionFetchBytes);
        seconds[transfer]!.push((performance.now() - t0) / 1000);
        const cpu = cpuSeconds(server.pid) - cpu0;
        perGb[transfer]!.push(cpu / (logBytes / 1e9));
        rss[transfer]!.push(rssPeakMb(server.pid));
        console.log(`fetch ${transfer} ${partitionFetchBytes >> 20} MiB/request rep ${rep + 1}: ${(logBytes / 1e9).toFixed(2)} GB in ${seconds[transfer]!.at(-1)!.toFixed(2)} s, server CPU ${cpu.toFixed(2)} s = ${perGb[transfer]!.at(-1)!.toFixed(3)} s/GB`);
      } finally {
        await server.stop();
      }
    }
  }
  const ratios = perGb.sendfile!.map((s, i) => s / perGb.buffered![i]!);
  bySize[`${partitionFetchBytes >> 20}MiB`] = {
    partitionFetchBytes,
    serverCpuSecondsPerGb: { sendfile: stat(perGb.sendfile!), buffered: stat(perGb.buffered!) },
    consumeSeconds: { sendfile: stat(seconds.sendfile!), buffered: stat(seconds.buffered!) },
    sendfileOverBufferedCpu: stat(ratios),
    serverRssPeakMb: { sendfile: stat(rss.sendfile!), buffered: stat(rss.buffered!) },
  };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return { logBytes, recordBytes, bySize: bySize as Record<string, FetchStats> };
}

interface FetchStats {
  serverCpuSecondsPerGb: { sendfile: ReturnType<typeof stat>; buffered: ReturnType<typeof stat> };
  sendfileOverBufferedCpu: ReturnType<typeof stat>;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const previous = fs.existsSync(a.out) ? (JSON.parse(fs.readFileSync(a.out, 'utf8')) as Record<string, { started?: string }>) : {};
  const section = async <T>(name: string, run: () => Promise<T>) => {
    if (!a.only.includes(name)) return previous[name];
    const started = new Date().toISOString();
    const value = await run();
    return { started, finished: new Date().toISOString(), loadAverage: loadavg(), args: a, ...value };
  };
  const produce = (await section('produce', () => produceSection(a))) as Awaited<ReturnType<typeof produceSection>> | undefined;
  const latency = (await section('latency', () => latencySection(a))) as Awaited<ReturnType<typeof latencySection>> | undefined;
  const fetchCpu = (await section('fetch', () => fetchSection(a))) as Awaited<ReturnType<typeof fetchSection>> | undefined;
  const result = { benchmark: 'broker', node: process.version, produce, latency, fetch: fetchCpu };
  fs.mkdirSync(dirname(a.out), { recursive: true });
  fs.writeFileSync(a.out, JSON.stringify(result, null, 2) + '\n');
  console.log('\n| measurement | median [min-max] |\n|---|---|');
  if (produce) {
    console.log(`| produce lz4, 100 B, acks=1 (records/s) | ${fmt(produce.lz4!.recordsPerSecond)} |`);
    console.log(`| produce none, 100 B, acks=1 (records/s) | ${fmt(produce.none!.recordsPerSecond)} |`);
    console.log(`| server CPU s per run of ${a.records} records, lz4 / none | ${fmt(produce.lz4!.serverCpuSeconds, 2)} / ${fmt(produce.none!.serverCpuSeconds, 2)} |`);
    console.log(`| server RSS peak during produce lz4 (MB) | ${fmt(produce.lz4!.serverRssPeakMb)} |`);
  }
  if (latency) {
    for (const c of ['kcat', 'raw'] as const) {
      const l = latency[c];
      console.log(`| end-to-end ${c} p50 / p99 / p99.9 at ${latency.ratePerSecond}/s (ms) | ${fmt(l.p50Ms, 2)} / ${fmt(l.p99Ms, 2)} / ${fmt(l.p999Ms, 2)} (2014: 2 / 3 / 14) |`);
    }
    if (latency.brokerEventLoopDelayMs) {
      console.log(`| broker event loop delay p99 / max during those runs (ms) | ${fmt(latency.brokerEventLoopDelayMs.p99, 2)} / ${fmt(latency.brokerEventLoopDelayMs.max, 2)} |`);
    }
  }
  if (fetchCpu) {
    for (const [size, f] of Object.entries(fetchCpu.bySize)) {
      console.log(`| fetch ${size}/request: server CPU s/GB, sendfile | ${fmt(f.serverCpuSecondsPerGb.sendfile, 3)} |`);
      console.log(`| fetch ${size}/request: server CPU s/GB, buffered | ${fmt(f.serverCpuSecondsPerGb.buffered, 3)} |`);
      console.log(`| fetch ${size}/request: sendfile / buffered CPU | ${fmt(f.sendfileOverBufferedCpu, 2)} |`);
    }
  }
  console.log(`wrote ${a.out}`);
}

await main();
