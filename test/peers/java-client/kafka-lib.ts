/**
 * Where Kafka's jars are (kafka-clients, kafka-tools, kafka_2.13 4.1.1 and their dependencies):
 * STRATA_KAFKA_LIB, else harness/peers/kafka/lib (filled from Maven Central by the Kafka peer's
 * install script, which .ci/run calls). A missing directory is one clear error, not a hang.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '../../..');
export const JAVA_CLIENT_SOURCE = join(here, 'StrataJavaClient.java');
export const KAFKA_SNAPSHOT_SOURCE = join(here, 'KafkaSnapshot.java');
export const KAFKA_VERSION = '4.1.1';

export function kafkaLibDir(): string {
  const dir = process.env.STRATA_KAFKA_LIB ?? join(REPO_ROOT, 'harness/peers/kafka/lib');
  const jar = `kafka-clients-${KAFKA_VERSION}.jar`;
  if (!fs.existsSync(join(dir, jar))) {
    throw new Error(`${join(dir, jar)} is missing: install Kafka ${KAFKA_VERSION}'s jars from Maven Central (harness/peers/kafka/install.sh) or set STRATA_KAFKA_LIB to a directory holding them`);
  }
  return dir;
}

export interface JavaResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `java -cp LIB/* ARGS`, killed after timeoutMs (a hang guard, not a speed target). */
export function runJava(args: readonly string[], timeoutMs = 120_000): Promise<JavaResult> {
  const lib = kafkaLibDir();
  return new Promise((resolvePromise, reject) => {
    // a small heap: the machine has 2 cores and several JVMs may run at once
    const child = spawn('java', ['-Xmx256m', '-XX:+UseSerialGC', '-cp', `${lib}/*`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** The JSON lines a StrataJavaClient mode printed; fails with its stderr when it did not exit 0. */
export async function javaClient(args: readonly string[]): Promise<Record<string, unknown>[]> {
  const r = await runJava([JAVA_CLIENT_SOURCE, ...args]);
  if (r.code !== 0) throw new Error(`StrataJavaClient ${args.join(' ')} exited ${r.code}:\n${r.stderr.slice(-4000)}`);
  return r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}
