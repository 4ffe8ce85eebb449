/**
 * queued.max.request.bytes: half-received requests share one bound. 20 connections each send the
 * first half of a 100 MB request to a `strata serve` child with the default bound (two maximal
 * requests); the server reads only what fits, so its RSS stays under the bound plus its baseline,
 * the rest wait unread, and a small request from a bystander is still answered (it fits beside
 * them). Once they go away their memory is free again for a large request.
 */
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { DEFAULT_BROKER_CONFIG } from '../../broker/broker-config.js';
import { buildBatch } from '../../core/format/records.js';
import { tempDir } from './helpers.js';
import { MiB, memoryOf, metadata, produce, serveChild, type ServeChild } from './hostile-helpers.js';

const SENDERS = 20;
const FRAME_BYTES = 100_000_000;
const HALF_BYTES = FRAME_BYTES / 2;
const PIECE = Buffer.alloc(MiB);
const TOPIC = 'after-half-frames';

let server: ServeChild;
const dataDir = tempDir('request-memory');

beforeAll(async () => {
  server = await serveChild(dataDir, ['connections.max.idle.ms=120000', 'message.max.bytes=33554432']);
});
afterAll(async () => {
  await server.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Sends a frame's size prefix and then up to `bytes` of its body, as fast as the server reads. */
function halfFrame(port: number): { socket: net.Socket; sent: () => number } {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  let sent = 0;
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(FRAME_BYTES, 0);
  const pump = () => {
    while (sent < HALF_BYTES) {
      const piece = PIECE.subarray(0, Math.min(PIECE.length, HALF_BYTES - sent));
      sent += piece.length;
      if (!socket.write(piece)) return; // wait for 'drain': a paused server leaves it pending
    }
  };
  socket.on('connect', () => {
    socket.write(prefix);
    pump();
  });
  socket.on('drain', pump);
  return { socket, sent: () => sent };
}

describe('queued.max.request.bytes', () => {
  it(`${SENDERS} half-received ${FRAME_BYTES / 1e6} MB requests: RSS under the bound plus baseline, a small request still answered`, { timeout: 120_000 }, async () => {
    const pid = server.child.pid!;
    const bystander = await RawKafkaClient.connect(server.port);
    await bystander.request(ApiKey.Metadata, 1, (w) => w.arrayLength(1).string(TOPIC)); // auto-creates it
    const baseline = memoryOf(pid).rssBytes;
    const senders = Array.from({ length: SENDERS }, () => halfFrame(server.port));
    // until the senders stop making progress: the server reads only what it reserved
    let total = -1;
    for (let quiet = 0; quiet < 10; ) {
      await new Promise((r) => setTimeout(r, 200));
      const now = senders.reduce((n, s) => n + s.sent(), 0);
      quiet = now === total ? quiet + 1 : 0;
      total = now;
    }
    const rss = memoryOf(pid).rssBytes;
    const bound = DEFAULT_BROKER_CONFIG.queuedMaxRequestBytes;
    console.log(`request-memory: baseline ${(baseline / MiB).toFixed(0)} MiB, RSS with ${SENDERS} half frames ${(rss / MiB).toFixed(0)} MiB (bound ${bound / MiB} MiB), clients handed ${(total / MiB).toFixed(0)} MiB to their sockets`);
    expect(rss).toBeLessThan(baseline + bound);
    // most senders wait unread; a small request fits beside them and is answered
    expect(senders.filter((s) => s.sent() >= HALF_BYTES).length).toBeLessThan(SENDERS);
    await metadata(bystander);
    // once they are gone, their memory is free for a large request
    for (const s of senders) s.socket.destroy();
    const big = buildBatch([{ value: Buffer.alloc(20 * MiB, 7) }]);
    const [result] = await produce(bystander, TOPIC, [{ index: 0, records: big }]);
    expect(result!.errorCode).toBe(0);
    await bystander.close();
  });
});
