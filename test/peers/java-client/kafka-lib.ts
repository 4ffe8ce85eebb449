/**
 * Running Kafka's Java client programs of this directory (single-file source launch, Java 17) and
 * Kafka's tools on the jars of the Kafka peer (harness/peers/kafka: `npm run peer:kafka` copies
 * kafka-clients, kafka-tools and kafka_2.13 4.1.1 from Maven Central into its lib/; .ci/run does it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KAFKA_PEER_DIR, jvmFlags, kafkaClasspath, runKafkaTool, type ToolResult } from '../../../harness/peers/kafka/kafka-tools.js';

const here = dirname(fileURLToPath(import.meta.url));
export const JAVA_CLIENT_SOURCE = join(here, 'StrataJavaClient.java');
export const KAFKA_SNAPSHOT_SOURCE = join(here, 'KafkaSnapshot.java');
export const GROUP_CLIENT_SOURCE = join(here, 'StrataGroupClient.java');

/** A main class or a .java source file with its arguments, on Kafka's class path. */
export function runJava(args: readonly [string, ...string[]], timeoutMs = 120_000): Promise<ToolResult> {
  const [main, ...rest] = args;
  return runKafkaTool(main, rest, { timeoutMs });
}

/** The JSON lines a StrataJavaClient mode printed; fails with its stderr when it did not exit 0. */
export async function javaClient(args: readonly string[]): Promise<Record<string, unknown>[]> {
  const r = await runJava([JAVA_CLIENT_SOURCE, ...args]);
  if (r.code !== 0) throw new Error(`StrataJavaClient ${args.join(' ')} exited ${r.code}:\n${r.stderr.slice(-4000)}`);
  return r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The JSON lines a StrataGroupClient mode printed; fails with its stderr when it did not exit 0. */
export async function groupClient(args: readonly string[]): Promise<Record<string, unknown>[]> {
  const r = await runJava([GROUP_CLIENT_SOURCE, ...args]);
  if (r.code !== 0) throw new Error(`StrataGroupClient ${args.join(' ')} exited ${r.code}:\n${r.stderr.slice(-4000)}`);
  return r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A Java client program running in the background, its stdout's JSON lines collected as they come. */
export interface RunningJava {
  readonly child: ChildProcess;
  /** JSON lines printed so far. */
  readonly lines: Record<string, unknown>[];
  /** Resolves at exit with the code or signal and the stderr (its last 64 KiB). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Resolves once `until` holds for the lines printed so far; rejects after timeoutMs or at exit. */
  waitFor(what: string, until: (lines: Record<string, unknown>[]) => boolean, timeoutMs?: number): Promise<void>;
}

const STDERR_KEPT_BYTES = 64 * 1024;

/** Starts a .java source program of this directory with its arguments; the caller ends it. */
export function startJava(source: string, args: readonly string[]): RunningJava {
  const child = spawn('java', [...jvmFlags(256), `-Dlog4j2.configurationFile=${join(KAFKA_PEER_DIR, 'log4j2-tools.properties')}`, '-cp', kafkaClasspath(), source, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  let partial = '';
  let ended = false;
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const complete = text.split('\n');
    partial = complete.pop()!;
    for (const l of complete) if (l.startsWith('{')) lines.push(JSON.parse(l) as Record<string, unknown>);
    for (const f of listeners) f();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT_BYTES)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      ended = true;
      for (const f of listeners) f();
      resolve({ code, signal, stderr });
    });
  });
  const waitFor = (what: string, until: (lines: Record<string, unknown>[]) => boolean, timeoutMs = 90_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (until(lines)) done(resolve);
        else if (ended) done(() => reject(new Error(`${source} exited (${String(child.exitCode ?? child.signalCode)}) before ${what}; last lines: ${JSON.stringify(lines.slice(-5))}; stderr: ${stderr.slice(-4000)}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${what} after ${timeoutMs} ms; stderr: ${stderr.slice(-4000)}`))), timeoutMs);
      const done = (f: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        f();
      };
      listeners.add(check);
      check();
    });
  return { child, lines, exited, waitFor };
}
