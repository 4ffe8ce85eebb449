/**
 * Clients that never read their Fetch responses: each holds what its own send holds, never what
 * the others need. 20 plaintext connections on the buffered transfer, or 16 over TLS (enough to
 * take the shared pool's chunks, two each), send a large Fetch and read nothing; a bystander's
 * fetch of the same bytes on the same listener still completes, and every stalled connection is
 * closed once its send has made no progress for connections.max.idle.ms.
 */
import type net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { connectRaw, countResponse, fetchFrame } from '../../broker/raw-frames.js';
import { buildBatch } from '../../core/format/records.js';
import { makeTlsIdentity, tlsToolsMissing } from '../../harness/peers/tls-identity.js';
import { startTestBroker, tempDir, type TestBroker } from './helpers.js';
import { MiB, produce } from './hostile-helpers.js';

const TOPIC = 'slow-readers';
const tlsMissing = tlsToolsMissing();
const BATCHES = 24;
const FETCH_BYTES = BATCHES * MiB;
/** Long enough for the bystander's fetch to finish while the stalled ones still sit. */
const IDLE_MS = 6000;

let broker: TestBroker;

beforeAll(async () => {
  const tlsListener = tlsMissing ? undefined : makeTlsIdentity(join(tempDir('slow-readers-tls'), 'tls'));
  broker = await startTestBroker({
    transfer: 'buffered',
    config: { 'connections.max.idle.ms': String(IDLE_MS) },
    tls: tlsListener && { port: 0, certFile: tlsListener.certFile, keyFile: tlsListener.keyFile },
  });
  await broker.server.topics.create(TOPIC, 1);
  const c = await RawKafkaClient.connect(broker.port);
  for (let i = 0; i < BATCHES; i++) {
    const [r] = await produce(c, TOPIC, [{ index: 0, records: buildBatch([{ value: Buffer.alloc(1_000_000, i) }]) }]);
    expect(r!.errorCode).toBe(0);
  }
  await c.close();
});
afterAll(async () => {
  await broker.close();
});

/** A connection that sends one Fetch and never reads. */
function stalledReader(port: number, secure: boolean): { socket: net.Socket } {
  const socket = connectRaw(port, secure, (s) => {
    s.pause(); // never read: the kernel's buffers fill and the broker's send stalls
    s.write(fetchFrame(1, 'slow-reader', TOPIC, FETCH_BYTES));
  });
  return { socket };
}

/** Reads one whole Fetch response of the topic (counting its bytes, not keeping them); its size. */
function fetchAll(port: number, secure: boolean): Promise<number> {
  const socket = connectRaw(port, secure, (s) => s.write(fetchFrame(7, 'slow-reader', TOPIC, FETCH_BYTES)));
  return countResponse(socket).done.finally(() => socket.destroy());
}

describe.each([
  { listener: 'plaintext (buffered)', secure: false, stalledCount: 20 },
  { listener: 'TLS', secure: true, stalledCount: 16 },
])('clients that never read their fetches, $listener', ({ listener, secure, stalledCount }) => {
  it.skipIf(secure && tlsMissing)(`${stalledCount} stalled readers: a bystander's fetch completes, and the stalled ones are closed after connections.max.idle.ms`, { timeout: 60_000 }, async () => {
    const port = secure ? broker.server.tlsPort : broker.port;
    const before = performance.now();
    const size = await fetchAll(port, secure);
    const aloneMs = performance.now() - before;
    expect(size).toBeGreaterThan(BATCHES * 1_000_000);
    const linesBefore = broker.lines.length;
    const stalledAt = Date.now();
    const stalled = Array.from({ length: stalledCount }, () => stalledReader(port, secure));
    // let every stalled send fill its socket and stop
    await new Promise((r) => setTimeout(r, 1000));
    const start = performance.now();
    const bystander = await Promise.race([fetchAll(port, secure), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the bystander fetch did not complete in 20 s')), 20_000))]);
    const withStalledMs = performance.now() - start;
    console.log(`slow-readers (${listener}): bystander fetch of ${(bystander / MiB).toFixed(1)} MiB: ${aloneMs.toFixed(0)} ms alone, ${withStalledMs.toFixed(0)} ms beside ${stalledCount} stalled readers`);
    expect(bystander).toBe(size);
    // it finished beside them, not after they were closed (its own close may take a moment)
    await waitFor(() => broker.server.connectionCount <= stalledCount, 2000);
    expect(broker.server.connectionCount).toBe(stalledCount);
    // the stalled clients read nothing, so they cannot see the close: the broker's count says it
    // closed connections.max.idle.ms after their last progress (a moment after they connected),
    // not a period later (Node's own socket timeout gives a queued write one more)
    await waitFor(() => broker.server.connectionCount === 0, stalledAt + IDLE_MS + IDLE_MS / 2 - Date.now());
    for (const s of stalled) s.socket.destroy();
    const closedLines = broker.lines.slice(linesBefore).filter((l) => /its response made no progress for connections.max.idle.ms \(6000 ms\)/.test(l));
    expect(closedLines).toHaveLength(stalledCount);
  });
});

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms; ${broker.server.connectionCount} connections open; log: ${broker.lines.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
