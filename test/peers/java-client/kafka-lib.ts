/**
 * Running Kafka's Java client programs of this directory (single-file source launch, Java 17) and
 * Kafka's tools on the jars of the Kafka peer (harness/peers/kafka: `npm run peer:kafka` copies
 * kafka-clients, kafka-tools and kafka_2.13 4.1.1 from Maven Central into its lib/; .ci/run does it).
 */
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KAFKA_PEER_DIR, jvmFlags, kafkaClasspath, runKafkaTool, type ToolResult } from '../../../harness/peers/kafka/kafka-tools.js';
import { runProgram, startProgram, type RunningProgram } from '../../support/running-program.js';

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
export function javaClient(args: readonly string[]): Promise<Record<string, unknown>[]> {
  return javaLines(JAVA_CLIENT_SOURCE, args);
}

/** The JSON lines a StrataGroupClient mode printed; fails with its stderr when it did not exit 0. */
export function groupClient(args: readonly string[]): Promise<Record<string, unknown>[]> {
  return javaLines(GROUP_CLIENT_SOURCE, args);
}

/** The JSON lines a .java source program printed, run to its end; fails with its stderr when it did not exit 0. */
export function javaLines(source: string, args: readonly string[], timeoutMs = 120_000): Promise<Record<string, unknown>[]> {
  return runProgram(`${basename(source, '.java')} ${args.join(' ')}`, 'java', javaArgs(source, args), { timeoutMs });
}

/** Starts a .java source program of this directory with its arguments; the caller ends it. */
export function startJava(source: string, args: readonly string[]): RunningProgram {
  return startProgram(source, 'java', javaArgs(source, args));
}

function javaArgs(source: string, args: readonly string[]): string[] {
  return [...jvmFlags(256), `-Dlog4j2.configurationFile=${join(KAFKA_PEER_DIR, 'log4j2-tools.properties')}`, '-cp', kafkaClasspath(), source, ...args];
}
