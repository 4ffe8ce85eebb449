/**
 * "SSL disables zero copy", measured: Fetch of one topic read whole by `kcat -C`, over TLS and
 * over plaintext, from strata and from Apache Kafka on the same machine, in the same run.
 *
 *   npm run build && npm run bench:tls-fetch -- [--mib 1024] [--reps 5] [--record-bytes 10000]
 *        [--partition-fetch-kib 1024] [--out results/tls-fetch]
 *
 * Five servers' paths, alternating in each repetition (reversed on odd ones):
 *   strata plaintext sendfile   `strata serve --transfer sendfile` (zero copy)
 *   strata plaintext buffered   a second `strata serve --transfer buffered` on a copy of the data
 *   strata TLS                  the first server's `--listen-tls` listener: pread + encrypt (buffered)
 *   Kafka PLAINTEXT             Kafka's FileRecords.transferTo: sendfile
 *   Kafka SSL                   Kafka's SslTransportLayer: read into a buffer, encrypt
 * Kafka runs with kafka-server-start.sh's JVM flags (C2, G1, 1 GiB heap), not the peer's test
 * flags, and its default configs apart from the listeners. 10 kB records by default: kcat's
 * per-record cost (one output line each) stays below the transfer's.
 * All hold the same records: the same records file produced by kcat (no compression, acks=1)
 * into strata once and into Kafka once; the strata copy is byte-identical. Each path is warmed
 * once (page cache, JIT), then each repetition times one whole read of the topic (records
 * checked) and the server process's CPU (utime+stime of /proc/PID/stat: all its threads, nothing
 * else) per 10^9 bytes of the partition's log. The consumer runs on the same 2 vCPUs, and over
 * TLS it decrypts, so the throughput is client and server together; the CPU per GB is the server's
 * alone. Medians [min-max], and the ratios of medians.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { runKafkaTarget } from '../clients/kafka-target.js';
import { KAFKA_MAIN, KAFKA_SERVER_JVM_FLAGS, KAFKA_VERSION, runKafkaToolOk, startKafka } from '../peers/kafka/kafka-peer.js';
import { kcatSsl, makeTlsIdentity, type TlsIdentity } from '../peers/tls-identity.js';
import { median } from '../stats.js';
import { cpuSeconds } from '../proc.js';
import { startServeListening, stopServe } from '../serve-process.js';

const { values: args } = parseArgs({
  options: {
    mib: { type: 'string', default: '1024' },
    reps: { type: 'string', default: '5' },
    'record-bytes': { type: 'string', default: '10000' },
    'partition-fetch-kib': { type: 'string', default: '1024' },
    out: { type: 'string', default: 'results/tls-fetch' },
  },
});
function positiveInt(name: string, max: number): number {
  const text = args[name as keyof typeof args] as string;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} "${text}": an integer 1..${max}`);
  return n;
}
const MIB = positiveInt('mib', 64 * 1024);
const REPS = positiveInt('reps', 99);
const RECORD_BYTES = positiveInt('record-bytes', 1_000_000);
const PARTITION_FETCH_BYTES = positiveInt('partition-fetch-kib', 1024 * 1024) * 1024;
const RECORDS = Math.ceil((MIB * 2 ** 20) / RECORD_BYTES);
const ROOT = join(import.meta.dirname, '..', '..');
const TOPIC = 'tls-fetch';

interface Sample {
  mbPerSec: number;
  serverCpuSecPerGB: number;
}

interface Path {
  name: string;
  bootstrap: string;
  pid: () => number;
  tls: boolean;
}

/** `strata serve` from dist/ (what a user runs); resolves once every asked-for listener is up. */
async function startStrata(dataDir: string, transfer: string, tls?: TlsIdentity): Promise<{ child: ChildProcess; port: number; tlsPort?: number; stop(): Promise<void> }> {
  const extra = tls ? ['--listen-tls', '127.0.0.1:0', '--tls-cert', tls.certFile, '--tls-key', tls.keyFile] : [];
  const served = await startServeListening(['--data-dir', dataDir, '--listen', '127.0.0.1:0', '--transfer', transfer, '--auto-create-topics', ...extra], { built: true });
  return { child: served.child, port: served.port, tlsPort: tls ? served.tlsPort : undefined, stop: () => stopServe(served, 60_000) };
}

/** Reads the whole topic once with kcat; checks the record count and value bytes. */
function consumeOnce(path: Path, id: TlsIdentity): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn('kcat', ['-C', '-b', path.bootstrap, ...(path.tls ? kcatSsl(id) : []), '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q',
      '-f', '%S\n', '-X', `fetch.message.max.bytes=${PARTITION_FETCH_BYTES}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    c.on('close', (code) => {
      const sizes = out.split('\n').filter((l) => l.length > 0);
      const wrong = sizes.find((s) => Number(s) !== RECORD_BYTES);
      if (code === 0 && sizes.length === RECORDS && wrong === undefined) resolve();
      else reject(new Error(`kcat from ${path.name}: exit ${code}, ${sizes.length} of ${RECORDS} records${wrong ? `, a value of ${wrong} bytes` : ''}: ${err.slice(-2000)}`));
    });
  });
}

async function measure(path: Path, id: TlsIdentity, logBytes: number): Promise<Sample> {
  const pid = path.pid();
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  await consumeOnce(path, id);
  const seconds = (performance.now() - t0) / 1000;
  return { mbPerSec: logBytes / 1e6 / seconds, serverCpuSecPerGB: (cpuSeconds(pid) - cpu0) / (logBytes / 1e9) };
}

function logBytesOf(partitionDir: string): number {
  return fs.readdirSync(partitionDir).filter((n) => n.endsWith('.log')).reduce((s, n) => s + fs.statSync(join(partitionDir, n)).size, 0);
}

const work = fs.mkdtempSync(join(tmpdir(), 'strata-bench-tls-fetch-'));
const stops: (() => Promise<unknown>)[] = [];
try {
  const id = makeTlsIdentity(join(work, 'tls'));
  const dataA = join(work, 'strata-a');
  const dataB = join(work, 'strata-b');
  process.stderr.write(`producing ${RECORDS} records of ${RECORD_BYTES} bytes into strata and Kafka ${KAFKA_VERSION} ...\n`);
  const produce = (bootstrap: string) => runKafkaTarget({ url: `kafka://${bootstrap}`, topic: TOPIC, records: RECORDS, recordBytes: RECORD_BYTES, codec: 'none', acks: 1, timeoutMs: 600_000 });
  {
    const s = await startStrata(dataA, 'sendfile');
    await produce(`127.0.0.1:${s.port}`);
    await s.stop();
  }
  fs.cpSync(dataA, dataB, { recursive: true }); // byte-identical data for the buffered server
  const kafka = await startKafka({ dir: join(work, 'kafka'), jvmFlags: [...KAFKA_SERVER_JVM_FLAGS], ssl: { keystoreFile: id.keystoreFile, password: id.password } });
  stops.push(() => kafka.cleanup());
  await runKafkaToolOk(KAFKA_MAIN.topics, ['--bootstrap-server', kafka.bootstrap, '--create', '--topic', TOPIC, '--partitions', '1', '--replication-factor', '1']);
  await produce(kafka.bootstrap);
  const a = await startStrata(dataA, 'sendfile', id);
  stops.push(() => a.stop());
  const b = await startStrata(dataB, 'buffered');
  stops.push(() => b.stop());
  const paths: Path[] = [
    { name: 'strata plaintext sendfile', bootstrap: `127.0.0.1:${a.port}`, pid: () => a.child.pid!, tls: false },
    { name: 'strata TLS (buffered through TLS)', bootstrap: `127.0.0.1:${a.tlsPort}`, pid: () => a.child.pid!, tls: true },
    { name: 'strata plaintext buffered', bootstrap: `127.0.0.1:${b.port}`, pid: () => b.child.pid!, tls: false },
    { name: `Kafka ${KAFKA_VERSION} PLAINTEXT (sendfile)`, bootstrap: kafka.bootstrap, pid: () => kafka.pid!, tls: false },
    { name: `Kafka ${KAFKA_VERSION} SSL`, bootstrap: kafka.sslBootstrap, pid: () => kafka.pid!, tls: true },
  ];
  const strataLogBytes = logBytesOf(join(dataA, `${TOPIC}-0`));
  const kafkaLogBytes = logBytesOf(join(kafka.logDir, `${TOPIC}-0`));
  const logBytesOfPath = (p: Path) => (p.name.startsWith('Kafka') ? kafkaLogBytes : strataLogBytes);
  for (const p of paths) await consumeOnce(p, id); // warm-up: page cache, JIT, TLS session setup code
  const results: Record<string, Sample[]> = Object.fromEntries(paths.map((p) => [p.name, []]));
  for (let rep = 0; rep < REPS; rep++) {
    for (const p of rep % 2 ? [...paths].reverse() : paths) results[p.name]!.push(await measure(p, id, logBytesOfPath(p)));
    process.stderr.write(`rep ${rep + 1}/${REPS} done (load ${loadavg()[0]!.toFixed(1)})\n`);
  }
  const fmt = (xs: number[], d: number) => `${median(xs).toFixed(d)} [${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)}]`;
  const med = (name: string, f: keyof Sample) => median(results[name]!.map((s) => s[f]));
  const ratio = (x: string, y: string, f: keyof Sample) => (med(x, f) / med(y, f)).toFixed(2);
  const [sSend, sTls, sBuf, kPlain, kSsl] = paths.map((p) => p.name) as [string, string, string, string, string];
  const report = [
    `# Fetch over TLS vs plaintext, strata and Kafka ${KAFKA_VERSION} (${new Date().toISOString()})`,
    '',
    `Command: \`npm run bench:tls-fetch -- --mib ${MIB} --reps ${REPS} --record-bytes ${RECORD_BYTES} --partition-fetch-kib ${PARTITION_FETCH_BYTES >> 10}\``,
    '',
    `${RECORDS} records of ${RECORD_BYTES} bytes, uncompressed; partition log ${strataLogBytes} bytes (strata), ${kafkaLogBytes} (Kafka); kcat -C (librdkafka 2.0.2), fetch.message.max.bytes ${PARTITION_FETCH_BYTES}; ${REPS} repetitions, alternating, median [min-max]; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')} (above ~1: a development run, not a result)`,
    '',
    '| path | MB/s (client and server) | server CPU s/GB |',
    '|---|---|---|',
    ...paths.map((p) => `| ${p.name} | ${fmt(results[p.name]!.map((s) => s.mbPerSec), 0)} | ${fmt(results[p.name]!.map((s) => s.serverCpuSecPerGB), 3)} |`),
    '',
    'Ratios of medians (same run):',
    '',
    `- strata TLS / strata plaintext sendfile: throughput ${ratio(sTls, sSend, 'mbPerSec')}x, server CPU ${ratio(sTls, sSend, 'serverCpuSecPerGB')}x`,
    `- strata TLS / strata plaintext buffered: throughput ${ratio(sTls, sBuf, 'mbPerSec')}x, server CPU ${ratio(sTls, sBuf, 'serverCpuSecPerGB')}x (the cost of encryption alone)`,
    `- Kafka SSL / Kafka PLAINTEXT: throughput ${ratio(kSsl, kPlain, 'mbPerSec')}x, server CPU ${ratio(kSsl, kPlain, 'serverCpuSecPerGB')}x`,
    `- strata TLS / Kafka SSL: throughput ${ratio(sTls, kSsl, 'mbPerSec')}x, server CPU ${ratio(sTls, kSsl, 'serverCpuSecPerGB')}x`,
    `- strata plaintext sendfile / Kafka PLAINTEXT: throughput ${ratio(sSend, kPlain, 'mbPerSec')}x, server CPU ${ratio(sSend, kPlain, 'serverCpuSecPerGB')}x`,
  ];
  const text = report.join('\n') + '\n';
  process.stdout.write(text);
  fs.mkdirSync(args.out!, { recursive: true });
  const file = join(args.out!, `tls-fetch-${new Date().toISOString().replace(/[:.]/g, '-')}.md`);
  fs.writeFileSync(file, text);
  process.stderr.write(`written to ${file}\n`);
} finally {
  for (const stop of stops.reverse()) await stop().catch((e: unknown) => process.stderr.write(`stop: ${(e as Error).message}\n`));
  fs.rmSync(work, { recursive: true, force: true });
}
