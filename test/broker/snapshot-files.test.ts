/**
 * Producer snapshot names taken by something that is not a regular file: a `.snapshot` symbolic
 * link to /dev/zero (read whole, it took 5 GiB and the event loop) and a directory named
 * `N.snapshot` (every idempotent produce to the partition answered KAFKA_STORAGE_ERROR, 56). Both
 * are left alone with a warning naming them, and the producer state is rebuilt from the log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { join, resolve } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { listSnapshotOffsets, producerSnapshotPath } from '../../core/log/producer-snapshot-file.js';
import { startTestBroker, tempDir } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const cleanups: (() => Promise<void>)[] = [];
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function idempotentProducer(port: number): Promise<Producer> {
  // few retries: a partition that keeps failing must fail the test within its time
  const kafka = new Kafka({ clientId: 'strata-snapshot-files', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100 }, requestTimeout: 10_000 });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  return producer;
}

async function send(producer: Producer, values: string[]): Promise<void> {
  await producer.send({ topic: 'snap', acks: -1, messages: values.map((value) => ({ value, partition: 0 })) });
}

/** A data dir whose `snap-0` holds 3 records from an idempotent producer and the snapshot a clean close wrote. */
async function dirWithSnapshot(tag: string): Promise<{ dir: string; snapshot: string }> {
  const dir = tempDir(tag);
  dirs.push(dir);
  const b = await startTestBroker({ dataDir: dir });
  const p = await idempotentProducer(b.port);
  await send(p, ['a', 'b', 'c']);
  await p.disconnect();
  await b.close();
  const partitionDir = join(dir, 'snap-0');
  expect(listSnapshotOffsets(partitionDir)).toEqual([3]);
  return { dir, snapshot: producerSnapshotPath(partitionDir, 3) };
}

describe('producer snapshot names that are not regular files', () => {
  it('a directory named N.snapshot: idempotent produce to the partition succeeds, the directory is left alone', async () => {
    const { dir, snapshot } = await dirWithSnapshot('snapshot-dir');
    fs.rmSync(snapshot);
    fs.mkdirSync(snapshot);
    const b = await startTestBroker({ dataDir: dir });
    cleanups.push(() => b.close());
    const p = await idempotentProducer(b.port);
    await send(p, ['d']);
    await send(p, ['e', 'f']);
    const log = (await b.server.topics.log('snap', 0))!;
    const values = (await log.readBatches(0, 1 << 20)).flatMap((batch) => batch.records.map((r) => r.value!.toString()));
    expect(values).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(b.lines).toContain(`WARN ${snapshot} is not a regular file: not a producer snapshot, left alone (never read, written or deleted)`);
    expect(fs.statSync(snapshot).isDirectory()).toBe(true);
  }, 60_000);

  it('a .snapshot symlinked to /dev/zero is not read: strata serve answers the idempotent produce and stays small', async () => {
    const { dir, snapshot } = await dirWithSnapshot('snapshot-dev-zero');
    fs.rmSync(snapshot);
    fs.symlinkSync('/dev/zero', snapshot);
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'serve', '--data-dir', dir, '--listen', '127.0.0.1:0'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    let port = 0;
    for (const deadline = Date.now() + 30_000; port === 0; await new Promise((r) => setTimeout(r, 50))) {
      port = Number(/serving Kafka protocol on 127\.0\.0\.1:(\d+)/.exec(err)?.[1] ?? 0);
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`strata serve did not start: ${err}`);
    }
    const p = await idempotentProducer(port);
    await send(p, ['d']);
    const rssKiB = Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]);
    expect(rssKiB).toBeLessThan(512 * 1024);
    expect(err).toContain(`${snapshot} is not a regular file: not a producer snapshot, left alone (never read, written or deleted)`);
    expect(fs.lstatSync(snapshot).isSymbolicLink()).toBe(true);
  }, 60_000);
});
