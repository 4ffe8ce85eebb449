/**
 * `strata bench --target` against a real three-broker Apache Kafka cluster (the Kafka peer's
 * cluster mode, KRaft, on this machine): the quick workload file unchanged, topics with
 * replication.factor=3, acks=1 and acks=all; the results name the target and its brokers as the
 * cluster's Metadata describes them, and the run deletes the topics it created. Kept short (a few
 * thousand records, one repetition): the cluster and the clients share two cores.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterMetadata, parseBootstrapUrl } from '../../harness/clients/kafka-admin.js';
import { loadResults } from '../../harness/compare.js';
import { KAFKA_LIB_DIR, KAFKA_VERSION } from '../../harness/peers/kafka/kafka-tools.js';
import { startKafkaCluster, type KafkaCluster } from '../../harness/peers/kafka/kafka-peer.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const jars = existsSync(join(KAFKA_LIB_DIR, `kafka_2.13-${KAFKA_VERSION}.jar`));
if (!jars) console.warn(`kafka-cluster.test.ts skipped: Kafka ${KAFKA_VERSION} jars not in ${KAFKA_LIB_DIR} (npm run peer:kafka)`);
const dir = mkdtempSync(join(tmpdir(), 'strata-kafka-cluster-'));
let cluster: KafkaCluster | undefined;

function strata(args: string[]) {
  return run(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), ...args], { cwd: root, timeout: 150_000, env: { ...process.env, CI: 'true' } });
}

beforeAll(async () => {
  if (jars) cluster = await startKafkaCluster(3, { dir: join(dir, 'kafka') });
}, 180_000);

afterAll(async () => {
  await cluster?.cleanup();
  rmSync(dir, { recursive: true, force: true });
}, 90_000);

describe.skipIf(!jars)(`strata bench --target on a three-broker Kafka ${KAFKA_VERSION} cluster`, () => {
  it('runs quick.yaml unchanged with replication factor 3, acks=1 and acks=all, naming the target and its brokers', { timeout: 150_000 }, async () => {
    const c = cluster!;
    const url = `kafka://${c.bootstrap}`;
    const out = join(dir, 'out');
    const { stdout } = await strata(['bench', '--target', url, '--replication-factor', '3', '--acks', '1,all',
      '--workload', join(root, 'harness/workloads/quick.yaml'), '--records', '2000', '--repetitions', '1', '--no-charts', '--out', out]);
    expect(stdout).toMatch(/4 cells: 4 ok, 0 skipped, 0 failed/);
    const results = loadResults(join(out, 'results.json')); // validated against the schema
    const t = results.target!;
    expect(t.url).toBe(url);
    expect(t.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`)).toEqual(c.nodes.map((n) => `${n.nodeId}@${n.bootstrap}`));
    expect(t.clusterId).toBe(c.clusterId);
    expect(t.replicationFactor).toBe(3);
    expect(t.acks).toEqual(['1', 'all']);
    expect(t.notApplied.join('\n')).toMatch(/matrix\.engine \[pwrite, fsync-group\]/);
    // the workload's codecs x the acks; engine, transfer and cache are the target's own
    expect(results.cells.map((x) => x.id).sort()).toEqual([
      'target/target/target/lz4/r1024/b100/acks=1', 'target/target/target/lz4/r1024/b100/acks=all',
      'target/target/target/none/r1024/b100/acks=1', 'target/target/target/none/r1024/b100/acks=all',
    ]);
    for (const cell of results.cells) {
      expect(cell.status, cell.reason).toBe('ok');
      expect(cell.notes).toContain('topic replicas per partition 3, ISR 3 when the run began');
      expect(cell.summary['produce.records']!.median).toBe(2000);
      expect(cell.summary['produce.recordsPerSec']!.median).toBeGreaterThan(0);
      expect(cell.summary['warmRead.recordsPerSec']!.median).toBeGreaterThan(0);
      expect(cell.summary['endToEnd.latency.usP99']!.median).toBeGreaterThanOrEqual(cell.summary['endToEnd.latency.usP50']!.median);
    }
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('## Target');
    expect(report).toContain(c.nodes.map((n) => `${n.nodeId}@${n.bootstrap}`).join(', '));
    // every topic the run created is gone again
    const md = await clusterMetadata(parseBootstrapUrl(url));
    expect(md.brokers).toHaveLength(3);
    const left = (await clusterMetadata(parseBootstrapUrl(url), null)).topics.filter((x) => x.name.startsWith('strata-bench-'));
    expect(left).toEqual([]);
  });

  it('refuses a replication factor above the broker count, naming the brokers', async () => {
    const c = cluster!;
    const err = await strata(['bench', '--target', `kafka://${c.bootstrap}`, '--replication-factor', '4', '--quick', '--out', join(dir, 'bad')]).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(1);
    expect((err as { stderr: string }).stderr).toContain('--replication-factor 4: the target has 3 broker(s) (1@127.0.0.1:');
  });
});
