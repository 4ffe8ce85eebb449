/**
 * Running Kafka's Java client programs of this directory (single-file source launch, Java 17) and
 * Kafka's tools on the jars of the Kafka peer (harness/peers/kafka: `npm run peer:kafka` copies
 * kafka-clients, kafka-tools and kafka_2.13 4.1.1 from Maven Central into its lib/; .ci/run does it).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runKafkaTool, type ToolResult } from '../../../harness/peers/kafka/kafka-tools.js';

const here = dirname(fileURLToPath(import.meta.url));
export const JAVA_CLIENT_SOURCE = join(here, 'StrataJavaClient.java');
export const KAFKA_SNAPSHOT_SOURCE = join(here, 'KafkaSnapshot.java');

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
