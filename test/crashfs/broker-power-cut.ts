/**
 * The broker's acks path under power cuts: `strata serve` (a real child process) on crashfs,
 * producers over the Kafka protocol appending as fast as they can; at a random moment the power
 * goes (crashfs cut), the server is killed, the file system remounted, the server started again
 * (recovery), and a consumer (kcat) reads the topic back: every record whose Produce response
 * said "no error" must be there, at its offset, byte-identical.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { buildBatch } from '../../core/format/records.js';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { CrashFs } from './crashfs.js';

const TOPIC = 'power-cut';
const PRODUCERS = 4;
const SERVE_START_MS_MAX = 30_000;

export interface BrokerCutOptions {
  engine: string;
  acks: -1 | 1;
  cuts: number;
  /** The bundled cli/main.js. */
  cli: string;
  baseDir: string;
  stopAtLoss?: boolean;
  /** Topic configs for the server (`--config key=value`), e.g. flush.messages=1. */
  config?: readonly string[];
}

export interface BrokerCutResult {
  cuts: number;
  acknowledged: number;
  lost: number;
  losses: string[];
  elapsedMs: number;
  /** Milliseconds per phase over all cycles: where a cycle's time goes. */
  phasesMs: Record<'produce' | 'cut' | 'remount' | 'serve' | 'consume', number>;
}

interface Server {
  child: ChildProcess;
  port: number;
  exited: Promise<void>;
}

async function serve(cli: string, dataDir: string, engine: string, config: readonly string[] = []): Promise<Server> {
  const args = [cli, 'serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--engine', engine, '--auto-create-topics', '--config', 'segment.bytes=262144', ...config.flatMap((c) => ['--config', c])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-8000)));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const deadline = Date.now() + SERVE_START_MS_MAX;
  for (;;) {
    const m = /serving Kafka protocol on 127\.0\.0\.1:(\d+)/.exec(err);
    if (m) return { child, port: Number(m[1]), exited };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`strata serve did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Produce v7 of one batch; the partition's error code and base offset. */
async function produce(client: RawKafkaClient, acks: number, values: string[]): Promise<{ error: number; baseOffset: number }> {
  const batch = buildBatch(values.map((v) => ({ value: Buffer.from(v) })));
  const r = await client.request(ApiKey.Produce, 7, (w) => {
    w.nullableString(null).int16(acks).int32(10_000).arrayLength(1).string(TOPIC).arrayLength(1).int32(0).nullableBytes(batch);
  });
  r.int32(); // topics
  r.string();
  r.int32(); // partitions
  r.int32(); // index
  const error = r.int16();
  return { error, baseOffset: r.int64() };
}

/** Appends until the connection fails (the cut or the kill): every acknowledged record goes into `acked`. */
async function producer(port: number, acks: number, tag: string, onAck: (offset: number, value: string) => void): Promise<void> {
  let client: RawKafkaClient;
  try {
    client = await RawKafkaClient.connect(port);
  } catch {
    return;
  }
  try {
    for (let seq = 0; ; seq++) {
      const values = Array.from({ length: 1 + (seq % 5) }, (_, i) => `${tag}-${seq}-${i}-${'x'.repeat((seq * 7 + i) % 300)}`);
      const { error, baseOffset } = await produce(client, acks, values);
      if (error !== 0) return; // after the cut: KAFKA_STORAGE_ERROR or similar, never a success
      values.forEach((v, i) => onAck(baseOffset + i, v));
    }
  } catch {
    // the connection went with the server
  } finally {
    client.socket.destroy();
  }
}

/** A Metadata request (v1: auto-creation allowed) creates the topic; the first acks=-1 Produce makes it durable. */
async function createTopic(port: number): Promise<void> {
  const client = await RawKafkaClient.connect(port);
  try {
    await client.request(ApiKey.Metadata, 1, (w) => w.arrayLength(1).string(TOPIC));
    for (let attempt = 0; attempt < 100; attempt++) {
      const { error } = await produce(client, -1, ['topic-created']);
      if (error === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`topic ${TOPIC} was not created`);
  } finally {
    await client.close();
  }
}

/** The topic as a consumer sees it: offset -> value, through kcat. */
function consume(port: number): Map<number, string> {
  const r = spawnSync('kcat', ['-C', '-b', `127.0.0.1:${port}`, '-t', TOPIC, '-o', 'beginning', '-e', '-q', '-f', '%o %s\n'], { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`kcat failed (${r.status}): ${r.stderr}`);
  const out = new Map<number, string>();
  for (const line of r.stdout.split('\n').slice(0, -1)) {
    const space = line.indexOf(' ');
    out.set(Number(line.slice(0, space)), line.slice(space + 1));
  }
  return out;
}

function check(acked: Map<number, string>, port: number, cycle: number, result: BrokerCutResult): void {
  const present = consume(port);
  for (const [offset, value] of acked) {
    const got = present.get(offset);
    if (got === value) continue;
    result.lost++;
    if (result.losses.length < 5) result.losses.push(`after cut ${cycle}: acknowledged offset ${offset} ${got === undefined ? 'is missing' : `reads back as ${got.slice(0, 40)}`}`);
    acked.delete(offset); // the offset is handed out again
  }
}

export async function runBrokerPowerCuts(o: BrokerCutOptions): Promise<BrokerCutResult> {
  const started = Date.now();
  const result: BrokerCutResult = { cuts: 0, acknowledged: 0, lost: 0, losses: [], elapsedMs: 0, phasesMs: { produce: 0, cut: 0, remount: 0, serve: 0, consume: 0 } };
  let mark = Date.now();
  const phase = (name: keyof BrokerCutResult['phasesMs']) => {
    const now = Date.now();
    result.phasesMs[name] += now - mark;
    mark = now;
  };
  const mnt = join(o.baseDir, 'mnt');
  const dataDir = join(mnt, 'data');
  let crashfs = await CrashFs.mount(join(o.baseDir, 'backing'), mnt);
  let server: Server | undefined;
  const acked = new Map<number, string>();
  let seed = 4242;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  try {
    server = await serve(o.cli, dataDir, o.engine, o.config);
    await createTopic(server.port);
    for (let cycle = 0; cycle < o.cuts; cycle++) {
      const onAck = (offset: number, value: string) => {
        acked.set(offset, value);
        result.acknowledged++;
      };
      const producing = Array.from({ length: PRODUCERS }, (_, p) => producer(server!.port, o.acks, `c${cycle}p${p}`, onAck));
      await new Promise((r) => setTimeout(r, 100 + random() * 200));
      phase('produce');
      crashfs.cut(cycle % 2 === 1 ? cycle : undefined);
      server.child.kill('SIGKILL');
      await Promise.all([server.exited, ...producing]);
      server = undefined;
      result.cuts++;
      phase('cut');
      crashfs = await crashfs.remount();
      phase('remount');
      server = await serve(o.cli, dataDir, o.engine, o.config);
      phase('serve');
      check(acked, server.port, cycle, result);
      phase('consume');
      if (o.stopAtLoss && result.lost > 0) break;
    }
    server.child.kill('SIGTERM');
    await server.exited;
    server = undefined;
  } finally {
    server?.child.kill('SIGKILL');
    await server?.exited;
    await crashfs.forceUnmount();
  }
  result.elapsedMs = Date.now() - started;
  return result;
}
