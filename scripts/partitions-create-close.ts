/**
 * How long a real `strata serve` takes to create N partitions (one CreateTopics, answered once
 * every log exists and its name is durable), how many descriptors it then holds, and how long it
 * takes to stop on SIGTERM (every log closed, checkpoints and the clean-shutdown marker written).
 * A measurement for people, not a test:
 *
 *   node --import tsx scripts/partitions-create-close.ts [partitions=4000] [engine=pwrite] [data-dir-parent=$TMPDIR]
 *
 * prints one JSON line. Run it on a quiet machine; the figures move with the load.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { ApiKey } from '../broker/protocol/api-keys.js';
import { RawKafkaClient } from '../broker/raw-client.js';

const partitions = Number(process.argv[2] ?? 4000);
const engine = process.argv[3] ?? 'pwrite';
const root = fs.mkdtempSync(join(process.argv[4] ?? os.tmpdir(), 'strata-partitions-'));
const repo = join(import.meta.dirname, '..');

async function main(): Promise<void> {
  const args = ['--import', 'tsx', 'cli/main.ts', 'serve', '--data-dir', join(root, 'data'), '--listen', '127.0.0.1:0', '--engine', engine];
  const child = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let port = 0;
  for (const deadline = Date.now() + 60_000; port === 0; ) {
    const m = /serving Kafka protocol on 127\.0\.0\.1:(\d+)/.exec(stderr);
    if (m) port = Number(m[1]);
    else if (child.exitCode !== null || Date.now() > deadline) throw new Error(`strata serve did not start: ${stderr}`);
    else await new Promise((r) => setTimeout(r, 50));
  }
  const fdsBefore = fs.readdirSync(`/proc/${child.pid}/fd`).length;
  const client = await RawKafkaClient.connect(port);
  const t0 = performance.now();
  const r = await client.request(ApiKey.CreateTopics, 1, (w) => {
    w.arrayLength(1).string('many').int32(partitions).int16(1).arrayLength(0).arrayLength(0);
    w.int32(600_000).bool(false);
  });
  const createMs = performance.now() - t0;
  r.int32();
  r.string();
  const errorCode = r.int16();
  const errorMessage = r.nullableString();
  client.close();
  if (errorCode !== 0) throw new Error(`CreateTopics failed: ${errorCode} ${errorMessage}`);
  const fdsAfter = fs.readdirSync(`/proc/${child.pid}/fd`).length;
  const t1 = performance.now();
  child.kill('SIGTERM');
  await exited;
  const shutdownMs = performance.now() - t1;
  const clean = fs.existsSync(join(root, 'data', '.kafka_cleanshutdown'));
  console.log(JSON.stringify({ partitions, engine, createMs: Math.round(createMs), createMsPerPartition: +(createMs / partitions).toFixed(3), descriptorsAdded: fdsAfter - fdsBefore, shutdownMs: Math.round(shutdownMs), cleanShutdownMarker: clean, loadavg: os.loadavg().map((l) => +l.toFixed(1)) }));
  fs.rmSync(root, { recursive: true, force: true });
}

await main();
