/**
 * Where the server's time goes, measured apart from the timed repetitions (tracing slows a server
 * several-fold): system calls per request with `strace -c -f -p PID` attached to the server process
 * (every thread; for Kafka the JVM) while ProducerPerformance / ConsumerPerformance run with
 * --print-metrics, whose request-total is the divisor; and a V8 CPU profile of strata serve
 * (node --cpu-prof), summarised by self time per function.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { kcatConsume, kcatProduce } from '../../clients/kcat.js';
import { consumerPerformance, producerPerformance, type RecordFiles } from './clients.js';
import { ensureTopics, type ServerUnderTest } from './servers.js';

export interface SyscallCount {
  syscall: string;
  calls: number;
  errors: number;
  seconds: number;
}

export interface StraceSummary {
  totalCalls: number;
  top: SyscallCount[];
}

/** The table `strace -c` writes: `% time  seconds  usecs/call  calls  errors  syscall`, then `total`. */
export function parseStraceSummary(text: string): StraceSummary {
  const rows: SyscallCount[] = [];
  let totalCalls: number | undefined;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || !/^[\d.]+$/.test(f[0]!)) continue;
    const name = f[f.length - 1]!;
    // errors is an empty column when zero: 5 fields without it, 6 with it
    const calls = Number(f[3]);
    const errors = f.length >= 6 ? Number(f[4]) : 0;
    if (name === 'total') totalCalls = calls;
    else rows.push({ syscall: name, calls, errors, seconds: Number(f[1]) });
  }
  if (totalCalls === undefined) throw new Error(`strace -c: no total line in its summary: ${text.slice(-1000)}`);
  rows.sort((a, b) => b.calls - a.calls);
  return { totalCalls, top: rows.slice(0, 10) };
}

/** Runs `fn` with strace counting the server's system calls (every thread), returns its summary. */
export async function straceDuring<T>(pid: number, outFile: string, fn: () => Promise<T>): Promise<{ value: T; strace: StraceSummary }> {
  const child = spawn('strace', ['-c', '-f', '-p', String(pid), '-o', outFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // attached once strace says so for the process (it then attaches the other threads)
  const deadline = Date.now() + 30_000;
  while (!/attached/.test(stderr)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`strace -p ${pid} did not attach: ${stderr.slice(-1000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 500));
  let value: T;
  try {
    value = await fn();
  } finally {
    child.kill('SIGINT'); // detaches and writes the summary
    await exited;
  }
  return { value, strace: parseStraceSummary(fs.readFileSync(outFile, 'utf8')) };
}

export interface SyscallsPerRequest {
  target: string;
  produce: { requests: number; syscalls: StraceSummary; syscallsPerRequest: number; records: number };
  fetch: { requests: number; syscalls: StraceSummary; syscallsPerRequest: number; records: number };
}

/**
 * One traced produce (ProducerPerformance, 100-byte records, lz4, acks=1) and one traced warm
 * Fetch (ConsumerPerformance of 10,000-byte records) against a started, warmed-up server.
 */
export async function measureSyscalls(server: ServerUnderTest, files: RecordFiles, dir: string, sizes: { produceRecords: number; fetchRecords: number }): Promise<SyscallsPerRequest> {
  fs.mkdirSync(dir, { recursive: true });
  await ensureTopics(server.bootstrap, ['strace-produce', 'strace-fetch']);
  const p = await straceDuring(server.pid, join(dir, `${server.target.id}-produce.strace`), () => producerPerformance({
    bootstrap: server.bootstrap, topic: 'strace-produce', records: sizes.produceRecords, payloadFile: files.payloadFile(100), acks: '1', codec: 'lz4', printMetrics: true,
  }));
  await kcatProduce({ bootstrap: server.bootstrap, topic: 'strace-fetch', file: files.get(sizes.fetchRecords, 10_000), codec: 'none', acks: 1 });
  await kcatConsume(server.bootstrap, 'strace-fetch', sizes.fetchRecords); // warm
  const f = await straceDuring(server.pid, join(dir, `${server.target.id}-fetch.strace`), () => consumerPerformance(server.bootstrap, 'strace-fetch', sizes.fetchRecords, true));
  const perRequest = (calls: number, requests: number | undefined) => (requests ? calls / requests : NaN);
  return {
    target: server.target.id,
    produce: { requests: p.value.requests ?? NaN, syscalls: p.strace, syscallsPerRequest: perRequest(p.strace.totalCalls, p.value.requests), records: sizes.produceRecords },
    fetch: { requests: f.value.requests ?? NaN, syscalls: f.strace, syscallsPerRequest: perRequest(f.strace.totalCalls, f.value.requests), records: sizes.fetchRecords },
  };
}

export interface ProfileFunction {
  function: string;
  where: string;
  selfMs: number;
  selfShare: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function (name and file:line) of a V8 .cpuprofile, largest first; idle left out of the shares. */
export function summarizeCpuProfile(path: string, top = 15): { totalMs: number; idleMs: number; functions: ProfileFunction[] } {
  const prof = JSON.parse(fs.readFileSync(path, 'utf8')) as CpuProfile;
  const frameOf = new Map(prof.nodes.map((n) => [n.id, n.callFrame]));
  const selfUs = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    const f = frameOf.get(id);
    if (!f) return;
    if (f.functionName === '(idle)') {
      idleUs += dt;
      return;
    }
    totalUs += dt;
    const file = f.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/');
    const key = `${f.functionName || '(anonymous)'}\t${file ? `${file}:${f.lineNumber + 1}` : ''}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
  });
  const functions = [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, top).map(([key, us]) => {
    const [fn, where] = key.split('\t');
    return { function: fn!, where: where!, selfMs: us / 1000, selfShare: totalUs > 0 ? us / totalUs : 0 };
  });
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, functions };
}
