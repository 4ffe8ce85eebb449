/**
 * Apache Kafka's own command-line tools, run from the jars `install.sh` copied into ./lib: what
 * Kafka's bin/*.sh scripts run (`kafka-run-class.sh MAIN_CLASS`), without a Kafka distribution.
 * The main classes are the ones Kafka 4.1's scripts name; each was checked to exist in the 4.1.1
 * jars (DumpLogSegments and StorageTool are still in the broker's kafka_2.13 jar in 4.1, the
 * others in kafka-tools).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * This folder in the checkout, whether this module runs from its source or bundled into dist/ (the
 * CLI's `strata bench --workload vs-kafka.yaml`): the nearest ancestor holding harness/peers/kafka.
 */
function peerDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  if (existsSync(join(here, 'pom.xml'))) return here;
  for (let dir = here; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'harness', 'peers', 'kafka');
    if (existsSync(join(candidate, 'pom.xml'))) return candidate;
  }
  throw new Error(`harness/peers/kafka/pom.xml not found above ${here}`);
}

export const KAFKA_PEER_DIR = peerDir();
export const KAFKA_LIB_DIR = join(KAFKA_PEER_DIR, 'lib');

/** The pinned version, read from pom.xml so the two cannot disagree. */
export const KAFKA_VERSION = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(
  readFileSync(join(KAFKA_PEER_DIR, 'pom.xml'), 'utf8'),
)?.[1] ?? 'unknown';

/** Main classes of Kafka 4.1's bin/ scripts. */
export const KAFKA_MAIN = {
  /** bin/kafka-server-start.sh */
  server: 'kafka.Kafka',
  /** bin/kafka-storage.sh */
  storage: 'kafka.tools.StorageTool',
  /** bin/kafka-dump-log.sh */
  dumpLog: 'kafka.tools.DumpLogSegments',
  /** bin/kafka-topics.sh */
  topics: 'org.apache.kafka.tools.TopicCommand',
  /** bin/kafka-producer-perf-test.sh */
  producerPerformance: 'org.apache.kafka.tools.ProducerPerformance',
  /** bin/kafka-consumer-perf-test.sh */
  consumerPerformance: 'org.apache.kafka.tools.ConsumerPerformance',
  /** bin/kafka-e2e-latency.sh */
  endToEndLatency: 'org.apache.kafka.tools.EndToEndLatency',
  /** bin/kafka-console-consumer.sh */
  consoleConsumer: 'org.apache.kafka.tools.consumer.ConsoleConsumer',
  /** bin/kafka-console-producer.sh */
  consoleProducer: 'org.apache.kafka.tools.ConsoleProducer',
} as const;

/**
 * JVM flags for short test runs on a small shared machine: a small heap, the C1 compiler only
 * (a test's JVM lives seconds to a minute, so C2's optimisations never pay back their compile
 * time), the serial collector (fewer threads than G1 on two cores), the JDK's class-data archive.
 */
export function jvmFlags(heapMb: number): string[] {
  return [
    `-Xmx${heapMb}m`,
    '-Xss1m',
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    '-Xshare:auto',
    '-XX:-UsePerfData',
    '-Djava.awt.headless=true',
    '-Djava.net.preferIPv4Stack=true',
  ];
}

/**
 * The JVM flags Kafka's own scripts start with (bin/kafka-run-class.sh's KAFKA_JVM_PERFORMANCE_OPTS,
 * the heap of the script: kafka-server-start.sh -Xmx1G -Xms1G, the perf-test scripts -Xmx512M):
 * G1 and C2, what a benchmark against Kafka must run, unlike the short-lived test flags above.
 */
export function kafkaScriptJvmFlags(heap: { xmx: string; xms?: string }): string[] {
  return [
    `-Xmx${heap.xmx}`,
    ...(heap.xms ? [`-Xms${heap.xms}`] : []),
    '-server', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent', '-XX:MaxInlineLevel=15', '-Djava.awt.headless=true',
  ];
}

/** `DIR/*`, after checking the jars are there (a clear error instead of ClassNotFoundException). */
export function kafkaClasspath(): string {
  if (!existsSync(join(KAFKA_LIB_DIR, `kafka_2.13-${KAFKA_VERSION}.jar`))) {
    throw new Error(`Apache Kafka ${KAFKA_VERSION} jars not found in ${KAFKA_LIB_DIR}: run \`npm run peer:kafka\``);
  }
  return join(KAFKA_LIB_DIR, '*');
}

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ToolOptions {
  /** Killed (SIGKILL) after this long; the promise then rejects. */
  timeoutMs?: number;
  /** Written to the tool's stdin, which is then closed. */
  input?: string | Buffer;
  heapMb?: number;
  /** Replaces jvmFlags(heapMb) (e.g. kafkaScriptJvmFlags for a benchmark). */
  jvmFlags?: readonly string[];
  /** Bound on what is kept of stdout and of stderr, each. */
  outputBytesMax?: number;
}

const TOOL_TIMEOUT_MS = 120_000;
const TOOL_OUTPUT_BYTES_MAX = 64 * 1024 * 1024;

/** Runs one of Kafka's tools (`java -cp lib/* MAIN ARGS`) to its end. */
export function runKafkaTool(mainClass: string, args: readonly string[], opts: ToolOptions = {}): Promise<ToolResult> {
  const timeoutMs = opts.timeoutMs ?? TOOL_TIMEOUT_MS;
  const outputMax = opts.outputBytesMax ?? TOOL_OUTPUT_BYTES_MAX;
  const javaArgs = [
    ...(opts.jvmFlags ?? jvmFlags(opts.heapMb ?? 256)),
    `-Dlog4j2.configurationFile=${join(KAFKA_PEER_DIR, 'log4j2-tools.properties')}`,
    '-cp', kafkaClasspath(), mainClass, ...args,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('java', javaArgs, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = collect(child.stdout, outputMax);
    const err = collect(child.stderr, outputMax);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${mainClass} ${args.join(' ')}: no exit after ${timeoutMs} ms (killed); stderr: ${err().slice(-2000)}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start java for ${mainClass}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: out(), stderr: err() });
    });
    child.stdin.on('error', () => {}); // a tool that exits before reading its input
    child.stdin.end(opts.input ?? '');
  });
}

/** runKafkaTool that rejects unless the tool exited 0, with its stderr in the message. */
export async function runKafkaToolOk(mainClass: string, args: readonly string[], opts: ToolOptions = {}): Promise<ToolResult> {
  const r = await runKafkaTool(mainClass, args, opts);
  if (r.code !== 0) {
    throw new Error(`${mainClass} ${args.join(' ')} exited ${r.code ?? r.signal}: ${(r.stderr || r.stdout).slice(-4000)}`);
  }
  return r;
}

function collect(stream: NodeJS.ReadableStream, bytesMax: number): () => string {
  const chunks: Buffer[] = [];
  let bytes = 0;
  stream.on('data', (c: Buffer) => {
    if (bytes >= bytesMax) return;
    chunks.push(c.subarray(0, bytesMax - bytes));
    bytes += c.length;
  });
  return () => Buffer.concat(chunks).toString('utf8');
}
