/**
 * Consumers: each runs in its own worker thread (its own event loop, so parsing what arrives does
 * not steal the producer's loop) and connects one TCP socket per partition to the harness's
 * "broker side", which pushes log bytes with a Transfer. A consumer splits the stream into
 * RecordBatches with core's BatchStreamSplitter and notes when each batch arrived (wall clock with
 * performance.timeOrigin, shared by all threads), which gives end-to-end latency: append start to
 * receipt of the whole batch.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { BatchStreamSplitter } from '../core/format/batch-stream.js';

/** The worker's code, plain JS so it runs the same from tsx, vitest and the tsup bundle. */
const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
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
  /** Broker-side sockets, by partition. */
  sockets: Socket[];
  /** Waits until each partition socket has received `bytes[p]` in total; returns what arrived since the last wait. */
  waitFor(bytes: number[], timeoutMs: number): Promise<PartitionReport[]>;
  close(): Promise<void>;
}

/** Wall clock in ms with sub-ms resolution, comparable with the consumer threads' `now()`. */
export function wallNowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A listening broker side on loopback and `count` consumer threads connected to it. */
export async function startConsumers(count: number, partitions: number, host = '127.0.0.1'): Promise<{ consumers: ConsumerHandle[]; close: () => Promise<void> }> {
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
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { host, port, consumerId: c, partitions } });
    let failure: Error | undefined;
    let onDone: ((r: PartitionReport[]) => void) | undefined;
    worker.on('message', (msg: { type: string; message?: string; report?: PartitionReport[] }) => {
      if (msg.type === 'done') onDone?.(msg.report!);
      else if (msg.type === 'error') failure = new Error(`consumer ${c}: ${msg.message}`);
    });
    worker.on('error', (err) => (failure = err));
    const sockets = await Promise.all(socketPromises);
    consumers.push({
      consumerId: c,
      sockets,
      waitFor(bytes, timeoutMs) {
        return new Promise((resolve, reject) => {
          if (failure) return reject(failure);
          const timer = setTimeout(() => reject(new Error(`consumer ${c} did not receive ${bytes.join('+')} bytes within ${timeoutMs} ms`)), timeoutMs);
          onDone = (report) => {
            clearTimeout(timer);
            onDone = undefined;
            resolve(report);
          };
          worker.postMessage({ type: 'expect', bytes });
        });
      },
      async close() {
        worker.postMessage({ type: 'close' });
        for (const s of sockets) s.destroy();
        await worker.terminate();
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
