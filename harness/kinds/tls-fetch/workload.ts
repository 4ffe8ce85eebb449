/**
 * Workload kind `tls-fetch`: "SSL disables zero copy", measured. One topic read whole by
 * `kcat -C` over TLS and over plaintext, from strata and from Apache Kafka on the same machine in
 * the same run, each path a cell:
 *   strata-sendfile   `strata serve --transfer sendfile` (zero copy)
 *   strata-tls        the same server's `--listen-tls` listener: pread + encrypt
 *   strata-buffered   a second `strata serve --transfer buffered` on a byte-identical copy
 *   kafka-plaintext   Kafka's PLAINTEXT listener (FileRecords.transferTo: sendfile)
 *   kafka-ssl         Kafka's SSL listener (SslTransportLayer: read into a buffer, encrypt)
 * Kafka runs with kafka-server-start.sh's JVM flags and its defaults apart from the listeners. The
 * same records file is produced by kcat (uncompressed, acks=1) into strata once and into Kafka once.
 * Each path is read once unmeasured (page cache, JIT, TLS code), then each repetition reads every
 * path once, the order reversed on odd repetitions, timing the whole read (records counted and
 * sized) and the server process's CPU (/proc/PID/stat, all its threads) per 10^9 bytes of the
 * partition's log. kcat shares the machine and decrypts, so MB/s is client and server together;
 * the CPU per GB is the server's alone. Ratios per repetition are set against the cells of the same
 * repetition: `toKafka.*` (Kafka's listener of the same security), `toPlaintext.*` (the same
 * server's plaintext buffered path: the cost of encryption alone), `toSendfile.*`.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeRecordValues } from '../../clients/kafka-target.js';
import { kcatConsume, kcatProduce } from '../../clients/kcat.js';
import { fingerprint } from '../../fingerprint.js';
import { KAFKA_SERVER_JVM_FLAGS, KAFKA_VERSION, startKafka } from '../../peers/kafka/kafka-peer.js';
import { kcatSsl, makeTlsIdentity, type TlsIdentity } from '../../peers/tls-identity.js';
import { cpuSeconds } from '../../proc.js';
import type { BenchResults, Metrics } from '../../results.js';
import { startServeListening, stopServe } from '../../serve-process.js';
import { round } from '../../stats.js';
import { workloadHash } from '../../workload.js';
import { ensureTopics, segmentFiles } from '../vs-kafka/servers.js';
import { focusedCell, focusedResults, kindOptions, type KindRun } from '../kind.js';
import { renderTlsFetchReport } from './report.js';

const TOPIC = 'tls-fetch';
const STOP_TIMEOUT_MS = 60_000;

export interface TlsFetchOptions {
  logMib: number;
  recordBytes: number;
  partitionFetchKib: number;
}

export function tlsFetchOptions(run: KindRun): TlsFetchOptions {
  const o = kindOptions(run, 'tls-fetch');
  const out = {
    // --quick: a topic small enough for a smoke run, whatever the file asks
    logMib: o.count('logMib', 1024, 64 * 1024, run.quick ? 16 : undefined),
    // kcat -P -l: one value a line, at most librdkafka's default message.max.bytes
    recordBytes: o.count('recordBytes', 10_000, 1_000_000),
    partitionFetchKib: o.count('partitionFetchKib', 1024, 1 << 20),
  };
  o.done();
  return out;
}

/** One path a consumer reads the topic through, and the cells its ratios are set against. */
interface Path {
  id: string;
  title: string;
  engine: string;
  transfer: string;
  bootstrap: string;
  pid: number;
  tls: boolean;
  logBytes: number;
  refs: Record<string, string>;
}

interface Sample {
  mbPerSec: number;
  cpuSecondsPerGb: number;
}

async function readOnce(p: Path, records: number, o: TlsFetchOptions, id: TlsIdentity): Promise<Sample> {
  const cpu0 = cpuSeconds(p.pid);
  const t0 = performance.now();
  await kcatConsume(p.bootstrap, TOPIC, records, {
    partition: 0, valueBytes: o.recordBytes, args: p.tls ? kcatSsl(id) : [], config: { 'fetch.message.max.bytes': String(o.partitionFetchKib * 1024) },
  });
  const seconds = (performance.now() - t0) / 1000;
  return { mbPerSec: p.logBytes / 1e6 / seconds, cpuSecondsPerGb: (cpuSeconds(p.pid) - cpu0) / (p.logBytes / 1e9) };
}

function repetitionMetrics(p: Path, rep: number, samples: Map<string, Sample[]>): Metrics {
  const s = samples.get(p.id)![rep]!;
  const m: Metrics = { 'fetch.mbPerSec': round(s.mbPerSec), 'server.cpuSecondsPerGb': round(s.cpuSecondsPerGb) };
  for (const [prefix, ref] of Object.entries(p.refs)) {
    const r = samples.get(ref)![rep]!;
    m[`${prefix}.mbPerSec`] = round(s.mbPerSec / r.mbPerSec);
    m[`${prefix}.cpuSecondsPerGb`] = round(s.cpuSecondsPerGb / r.cpuSecondsPerGb);
  }
  return m;
}

export async function runTlsFetchKind(run: KindRun): Promise<BenchResults> {
  const started = Date.now();
  const o = tlsFetchOptions(run);
  const records = Math.ceil((o.logMib * 2 ** 20) / o.recordBytes);
  const fp = await fingerprint(run.dataDir, workloadHash(run.workload), run.workload.seed, {});
  const work = fs.mkdtempSync(join(run.dataDir, 'strata-tls-fetch-'));
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const id = makeTlsIdentity(join(work, 'tls'));
    const file = join(work, 'records.txt');
    writeRecordValues(file, records, o.recordBytes);
    const produce = async (bootstrap: string) => {
      await ensureTopics(bootstrap, [TOPIC]);
      await kcatProduce({ bootstrap, topic: TOPIC, file, codec: 'none', acks: 1 });
    };
    run.log(`producing ${records} records of ${o.recordBytes} bytes into strata and Kafka ${KAFKA_VERSION} ...`);
    const dataA = join(work, 'strata-a');
    const dataB = join(work, 'strata-b');
    const serve = (dir: string, transfer: string, tls?: TlsIdentity) => startServeListening(['--data-dir', dir, '--listen', '127.0.0.1:0', '--transfer', transfer, '--auto-create-topics',
      ...(tls ? ['--listen-tls', '127.0.0.1:0', '--tls-cert', tls.certFile, '--tls-key', tls.keyFile] : [])], { built: true });
    const loader = await serve(dataA, 'sendfile');
    await produce(`127.0.0.1:${loader.port}`);
    await stopServe(loader, STOP_TIMEOUT_MS);
    fs.cpSync(dataA, dataB, { recursive: true }); // byte-identical data for the buffered server
    const kafka = await startKafka({ dir: join(work, 'kafka'), jvmFlags: [...KAFKA_SERVER_JVM_FLAGS], ssl: { keystoreFile: id.keystoreFile, password: id.password } });
    stops.push(() => kafka.cleanup());
    await produce(kafka.bootstrap);
    const a = await serve(dataA, 'sendfile', id);
    stops.push(() => stopServe(a, STOP_TIMEOUT_MS));
    const b = await serve(dataB, 'buffered');
    stops.push(() => stopServe(b, STOP_TIMEOUT_MS));
    const strataBytes = segmentFiles(dataA, TOPIC).bytes;
    const kafkaBytes = segmentFiles(kafka.logDir, TOPIC).bytes;
    const strata = { engine: 'pwrite', pid: a.child.pid!, logBytes: strataBytes };
    const k = { engine: `kafka-${KAFKA_VERSION}`, bootstrap: kafka.bootstrap, pid: kafka.pid!, logBytes: kafkaBytes };
    const paths: Path[] = [
      { ...strata, id: 'strata-sendfile', title: 'strata plaintext, sendfile', transfer: 'sendfile', bootstrap: `127.0.0.1:${a.port}`, tls: false, refs: { toKafka: 'kafka-plaintext' } },
      { ...strata, id: 'strata-tls', title: 'strata TLS (pread + encrypt)', transfer: 'tls', bootstrap: `127.0.0.1:${a.tlsPort}`, tls: true, refs: { toKafka: 'kafka-ssl', toPlaintext: 'strata-buffered', toSendfile: 'strata-sendfile' } },
      { ...strata, id: 'strata-buffered', title: 'strata plaintext, buffered', transfer: 'buffered', bootstrap: `127.0.0.1:${b.port}`, pid: b.child.pid!, tls: false, refs: { toKafka: 'kafka-plaintext' } },
      { ...k, id: 'kafka-plaintext', title: `Kafka ${KAFKA_VERSION} PLAINTEXT (sendfile)`, transfer: 'sendfile', tls: false, refs: {} },
      { ...k, id: 'kafka-ssl', title: `Kafka ${KAFKA_VERSION} SSL`, transfer: 'tls', bootstrap: kafka.sslBootstrap, tls: true, refs: { toPlaintext: 'kafka-plaintext' } },
    ];
    for (const p of paths) await readOnce(p, records, o, id); // warm-up: page cache, JIT, TLS code
    const samples = new Map<string, Sample[]>(paths.map((p) => [p.id, []]));
    for (let rep = 0; rep < run.workload.repetitions; rep++) {
      // alternate the order: what runs right after another path (a hot or a busy CPU) changes
      for (const p of rep % 2 ? [...paths].reverse() : paths) samples.get(p.id)!.push(await readOnce(p, records, o, id));
      run.log(`rep ${rep + 1}/${run.workload.repetitions} done`);
    }
    const cells = paths.map((p) => focusedCell({
      id: p.id, engine: p.engine, transfer: p.transfer, codec: 'none', recordBytes: o.recordBytes, logImpl: p.title,
      notes: [p.title, ...Object.entries(p.refs).map(([prefix, ref]) => `${prefix}.*: against ${ref} of the same repetition`)],
      repetitions: Array.from({ length: run.workload.repetitions }, (_, rep) => repetitionMetrics(p, rep, samples)),
    }));
    const notes = [
      `${records} records of ${o.recordBytes} bytes, uncompressed; partition log ${strataBytes} bytes (strata), ${kafkaBytes} (Kafka); kcat -C, fetch.message.max.bytes ${o.partitionFetchKib * 1024}`,
      'MB/s is client and server together (kcat shares the machine and decrypts); CPU s/GB is the server process alone',
    ];
    const results = focusedResults(run, fp, cells, { records, strataLogBytes: strataBytes, kafkaLogBytes: kafkaBytes, options: o }, notes, started);
    fs.writeFileSync(join(run.outDir, 'report.md'), renderTlsFetchReport(results));
    return results;
  } finally {
    for (const stop of stops.reverse()) await stop().catch((e: unknown) => run.log(`stop: ${(e as Error).message}`));
    fs.rmSync(work, { recursive: true, force: true });
  }
}
