/**
 * Running Kafka's Java client programs of this directory (single-file source launch, Java 17) and
 * Kafka's tools on the jars of the Kafka peer (harness/peers/kafka: `npm run peer:kafka` copies
 * kafka-clients, kafka-tools and kafka_2.13 4.1.1 from Maven Central into its lib/; .ci/run does it).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KAFKA_PEER_DIR, jvmFlags, kafkaClasspath, runKafkaTool, type ToolResult } from '../../../harness/peers/kafka/kafka-tools.js';
import { startProgram, type RunningProgram } from '../../support/running-program.js';

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

/** Starts a .java source program of this directory with its arguments; the caller ends it. */
export function startJava(source: string, args: readonly string[]): RunningProgram {
  return startProgram(source, 'java', [...jvmFlags(256), `-Dlog4j2.configurationFile=${join(KAFKA_PEER_DIR, 'log4j2-tools.properties')}`, '-cp', kafkaClasspath(), source, ...args]);
}
