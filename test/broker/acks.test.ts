/**
 * acks=-1 means what it means in Kafka: on a single node every in-sync replica is the leader, so it
 * waits for the log's acknowledgement and no flush (Kafka's acks=all does not fsync). Durability
 * comes from the engine or flush.messages, and then costs one data sync per durable append: counted
 * here by strace on a real `strata serve` (fsync/fdatasync of every thread, between the request and
 * its response), never the five of the earlier design (segment, two index files, the recovery-point
 * file and its directory).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { buildBatch } from '../../core/format/records.js';

const hasStrace = (() => {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasStrace) console.warn('SKIPPED acks sync-count tests: strace is not installed (apt-get install strace; CI installs it)');

const children: ChildProcess[] = [];
afterAll(() => {
  // the group, not strace alone: a SIGKILLed strace detaches and leaves the traced server running
  for (const c of children) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

interface Traced {
  port: number;
  /** fsync + fdatasync calls in the trace so far. */
  syncs: () => number;
}

async function tracedServe(engine: string, config: string[]): Promise<Traced> {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'strata-acks-'));
  const trace = join(dir, 'trace.txt');
  const args = ['-f', '-qq', '-e', 'trace=fsync,fdatasync', '-o', trace, process.execPath, '--import', 'tsx', 'cli/main.ts', 'serve', '--data-dir', join(dir, 'data'), '--listen', '127.0.0.1:0', '--engine', engine, '--auto-create-topics', ...config.flatMap((c) => ['--config', c])];
  const child = spawn('strace', args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /serving Kafka protocol on 127\.0\.0\.1:(\d+)/.exec(err);
    if (m) {
      const syncs = () => fs.readFileSync(trace, 'utf8').split('\n').filter((l) => /\b(fsync|fdatasync)\(/.test(l) && !l.includes('resumed>')).length;
      return { port: Number(m[1]), syncs };
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`strata serve did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function produceOne(client: RawKafkaClient, topic: string, acks: number): Promise<number> {
  const batch = buildBatch([{ value: Buffer.from('one record') }]);
  const r = await client.request(ApiKey.Produce, 7, (w) => {
    w.nullableString(null).int16(acks).int32(5000).arrayLength(1).string(topic).arrayLength(1).int32(0).nullableBytes(batch);
  });
  r.int32();
  r.string();
  r.int32();
  r.int32();
  expect(r.int16()).toBe(0);
  return r.int64();
}

/** Syncs made for each of `n` single-record acks=-1 produces (after a first one creates the topic). */
async function syncsPerProduce(engine: string, config: string[], n = 5): Promise<number[]> {
  const s = await tracedServe(engine, config);
  const client = await RawKafkaClient.connect(s.port);
  // a Metadata request creates the topic (auto.create.topics.enable, as in Kafka); the first
  // produce then opens its segment files
  await client.request(ApiKey.Metadata, 1, (w) => w.arrayLength(1).string('t'));
  await produceOne(client, 't', -1);
  await new Promise((r) => setTimeout(r, 200));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const before = s.syncs();
    await produceOne(client, 't', -1);
    out.push(s.syncs() - before);
  }
  await client.close();
  return out;
}

describe.skipIf(!hasStrace)('acks=-1 sync cost (strace)', () => {
  it('pwrite: acks=-1 waits for no flush, as Kafka acks=all does not', async () => {
    expect(await syncsPerProduce('pwrite', [])).toEqual([0, 0, 0, 0, 0]);
  }, 60_000);

  it('pwrite with flush.messages=1: one data sync per produce (no index or checkpoint syncs)', async () => {
    expect(await syncsPerProduce('pwrite', ['flush.messages=1'])).toEqual([1, 1, 1, 1, 1]);
  }, 60_000);

  it('fsync-group: one shared data sync per produce', async () => {
    expect(await syncsPerProduce('fsync-group', [])).toEqual([1, 1, 1, 1, 1]);
  }, 60_000);
});
