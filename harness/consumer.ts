/**
 * Consumers: each runs in its own process (a client is not the measured process: its CPU, its
 * event loop and its memory are not charged to the engine or the transfer): the C loop's consumer
 * (strata_baseline --op consume, native/src/baseline_consume.c) where the addon's build made it, so
 * the receiving end costs what a C receiver costs, else the same walk in a Node process. It
 * connects one TCP socket per partition to the harness's "broker side", which pushes log bytes
 * with a Transfer. A consumer splits the stream into RecordBatches (core's BatchStreamSplitter) and notes
 * when each batch arrived (wall clock, which every process shares), which gives end-to-end
 * latency: append start to receipt of the whole batch.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { loopBinary } from './baselines/loop.js';
import { BatchStreamSplitter } from '../core/format/batch-stream.js';

/** The consumer process's code, plain JS so it runs the same from tsx, vitest and the tsup bundle. */
const WORKER_SOURCE = String.raw`
const parentPort = { postMessage: (m) => process.send(m), on: (e, f) => process.on(e, f), close: () => process.disconnect() };
const workerData = JSON.parse(process.env.STRATA_CONSUMER);
const net = require('node:net');
const { host, port, consumerId, partitions } = workerData;
const now = () => performance.timeOrigin + performance.now();
const streams = [];
let expected = null;

const BatchStreamSplitter = (${String(BatchStreamSplitter)});

function makeStream(partition) {
  const s = { partition, received: 0, splitter: null, offsets: [], times: [], socket: null };
  s.splitter = new BatchStreamSplitter({
    batchStart: (baseOffset) => s.offsets.push(baseOffset),
    batchEnd: () => s.times.push(now()),
    error: (message) => parentPort.postMessage({ type: 'error', message: message + ' on partition ' + partition }),
  });
  return s;
}
function onData(s, chunk) {
  s.received += chunk.length;
  s.splitter.push(chunk);
  check();
}
function check() {
  if (!expected) return;
  for (let p = 0; p < streams.length; p++) if (streams[p].received < expected[p]) return;
  const report = streams.map((s) => ({ received: s.received, offsets: Float64Array.from(s.offsets), times: Float64Array.from(s.times) }));
  for (const s of streams) { s.offsets = []; s.times = []; }
  expected = null;
  parentPort.postMessage({ type: 'done', report });
}
parentPort.on('message', (msg) => {
  if (msg.type === 'expect') { expected = msg.bytes; check(); }
  else if (msg.type === 'close') { for (const s of streams) s.socket.end(); parentPort.close(); }
});
let connected = 0;
for (let p = 0; p < partitions; p++) {
  const s = makeStream(p);
  streams.push(s);
  const socket = net.connect({ host, port }, () => {
    const hello = Buffer.alloc(8);
    hello.writeInt32BE(consumerId, 0);
    hello.writeInt32BE(p, 4);
    socket.write(hello);
    if (++connected === partitions) parentPort.postMessage({ type: 'ready' });
  });
  socket.setNoDelay(true);
  socket.on('data', (chunk) => onData(s, chunk));
  socket.on('error', (err) => parentPort.postMessage({ type: 'error', message: String(err && err.message || err) }));
  s.socket = socket;
}
`;

export interface PartitionReport {
  received: number;
  /** Base offset of each batch received, in order. */
  offsets: Float64Array;
  /** Wall-clock ms (timeOrigin + now) when each batch was complete. */
  times: Float64Array;
}

export interface ConsumerHandle {
  consumerId: number;
  /** The consumer's process (its CPU is read from /proc, apart from the measured process's). */
  pid: number;
  /** Broker-side sockets, by partition. */
  sockets: Socket[];
  /** Waits until each partition socket has received `bytes[p]` in total; returns what arrived since the last wait. */
  waitFor(bytes: number[], timeoutMs: number): Promise<PartitionReport[]>;
  close(): Promise<void>;
}

/** Wall clock in ms with sub-ms resolution, comparable with the consumer processes' wall clocks (CLOCK_REALTIME in the C one). */
export function wallNowMs(): number {
  return performance.timeOrigin + performance.now();
}

type ConsumerMessage = { type: string; message?: string; report?: PartitionReport[] };

/** A consumer process: commands in (`expect`, `close`), its messages out, its exit. */
interface ConsumerProcess {
  readonly child: ChildProcess;
  send(msg: { type: 'expect'; bytes: number[] } | { type: 'close' }): void;
  onMessage(f: (msg: ConsumerMessage) => void): void;
}

/** The C consumer when built (JSON lines on stdout, commands on stdin), else the Node one over IPC. */
function startProcess(data: { host: string; port: number; consumerId: number; partitions: number }, readDelayUs: number): ConsumerProcess {
  const bin = data.host === '127.0.0.1' ? loopBinary() : undefined;
  if (readDelayUs > 0 && !bin) throw new Error('a consumer read delay needs the C consumer (strata_baseline, built with the addon)');
  if (!bin) {
    const child = spawn(process.execPath, ['-e', WORKER_SOURCE], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced', // structured clone: typed arrays pass as such
      env: { ...process.env, STRATA_CONSUMER: JSON.stringify(data) },
    });
    return { child, send: (m) => child.connected && child.send(m), onMessage: (f) => child.on('message', f) };
  }
  const args = ['--op', 'consume', '--port', String(data.port), '--consumer', String(data.consumerId), '--partitions', String(data.partitions)];
  if (readDelayUs > 0) args.push('--delay-us', String(readDelayUs));
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin!.on('error', () => {}); // a consumer that exited: its exit says why
  return {
    child,
    send: (m) => child.stdin!.writable && child.stdin!.write(m.type === 'expect' ? `expect ${m.bytes.join(' ')}\n` : 'close\n'),
    onMessage: (f) => createInterface({ input: child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as { type: string; message?: string; report?: { received: number; offsets: number[]; times: number[] }[] };
      f({ ...msg, report: msg.report?.map((r) => ({ received: r.received, offsets: Float64Array.from(r.offsets), times: Float64Array.from(r.times) })) });
    }),
  };
}

/** A listening broker side on loopback and `count` consumer processes connected to it. */
export async function startConsumers(count: number, partitions: number, host = '127.0.0.1', readDelayUs = 0): Promise<{ consumers: ConsumerHandle[]; close: () => Promise<void> }> {
  const pending = new Map<string, (s: Socket) => void>();
  const server: Server = createServer({ noDelay: true }, (socket) => {
    let hello = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      hello = Buffer.concat([hello, chunk]);
      if (hello.length < 8) return;
      socket.off('data', onData);
      socket.pause();
      const key = `${hello.readInt32BE(0)}/${hello.readInt32BE(4)}`;
      pending.get(key)?.(socket);
    };
    socket.on('data', onData);
    socket.on('error', () => {});
  });
  server.listen(0, host);
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;

  const consumers: ConsumerHandle[] = [];
  for (let c = 0; c < count; c++) {
    const socketPromises = Array.from({ length: partitions }, (_, p) => new Promise<Socket>((resolve) => pending.set(`${c}/${p}`, resolve)));
    const proc = startProcess({ host, port, consumerId: c, partitions }, readDelayUs);
    const worker = proc.child;
    let failure: Error | undefined;
    let onDone: ((r: PartitionReport[]) => void) | undefined;
    let onFailure: ((err: Error) => void) | undefined;
    const failed = (err: Error) => {
      failure ??= err;
      onFailure?.(failure);
    };
    proc.onMessage((msg) => {
      if (msg.type === 'done') onDone?.(msg.report!);
      else if (msg.type === 'error') failed(new Error(`consumer ${c}: ${msg.message}`));
    });
    worker.on('error', failed);
    worker.on('exit', (code, signal) => failed(new Error(`consumer ${c} (pid ${worker.pid}) exited early: ${signal ?? `code ${code}`}`)));
    const sockets = await Promise.all(socketPromises);
    consumers.push({
      consumerId: c,
      pid: worker.pid!,
      sockets,
      waitFor(bytes, timeoutMs) {
        return new Promise((resolve, reject) => {
          if (failure) return reject(failure);
          const timer = setTimeout(() => reject(new Error(`consumer ${c} did not receive ${bytes.join('+')} bytes within ${timeoutMs} ms`)), timeoutMs);
          onDone = (report) => {
            clearTimeout(timer);
            onDone = onFailure = undefined;
            resolve(report);
          };
          onFailure = (err) => {
            clearTimeout(timer);
            onDone = onFailure = undefined;
            reject(err);
          };
          proc.send({ type: 'expect', bytes });
        });
      },
      async close() {
        onFailure = undefined;
        proc.send({ type: 'close' });
        for (const s of sockets) s.destroy();
        if (worker.exitCode === null && worker.signalCode === null) {
          const exited = once(worker, 'exit');
          worker.kill();
          await exited;
        }
      },
    });
  }
  return {
    consumers,
    close: async () => {
      for (const c of consumers) await c.close();
      server.close();
    },
  };
}
