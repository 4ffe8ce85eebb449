/**
 * TLS handshakes that never finish: the broker closes the socket when a handshake fails or times
 * out (the timeout is connections.max.idle.ms when shorter than 10 s), so its descriptors return to
 * where they were; and a handshaking socket counts against max.connections like any connection.
 */
import fs from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { makeTlsIdentity, tlsToolsMissing } from '../../harness/peers/tls-identity.js';
import { startTestBroker, tempDir } from './helpers.js';
import { metadata, openFilesOf, serveChild } from './hostile-helpers.js';

const missing = tlsToolsMissing();
if (missing) console.warn(`tls-handshakes.test.ts skipped: ${missing}`);
const dir = tempDir('tls-handshakes');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const HALF_OPEN = 200;
/** The first bytes of a TLS record carrying a ClientHello, and nothing more. */
const PARTIAL_CLIENT_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]);

/** A TCP connection to the TLS port that starts (or not) a handshake and never finishes it. */
function halfOpen(port: number, sendPartialHello: boolean): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      if (sendPartialHello) s.write(PARTIAL_CLIENT_HELLO);
      resolve(s);
    });
    s.once('error', reject);
  });
}

async function waitFor(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(missing)('TLS handshakes that never finish', () => {
  it(`${HALF_OPEN} half-open handshakes: every socket is closed after the timeout, descriptors back to baseline, a plaintext client served`, { timeout: 90_000 }, async () => {
    const id = makeTlsIdentity(join(dir, 'tls-child'));
    const server = await serveChild(join(dir, 'data-child'), ['connections.max.idle.ms=2000'], undefined, ['--listen-tls', '127.0.0.1:0', '--tls-cert', id.certFile, '--tls-key', id.keyFile]);
    try {
      const pid = server.child.pid!;
      const baseline = openFilesOf(pid);
      const sockets: net.Socket[] = [];
      for (let i = 0; i < HALF_OPEN; i++) sockets.push(await halfOpen(server.tlsPort, i % 2 === 0));
      const closedByServer = Promise.all(sockets.map((s) => new Promise((r) => (s.destroyed ? r(null) : s.on('close', r)))));
      for (const s of sockets) s.on('error', () => {});
      await waitFor(() => openFilesOf(pid) >= baseline + HALF_OPEN * 0.9, 'the half-open sockets to be accepted', 20_000);
      await waitFor(() => openFilesOf(pid) <= baseline + 2, `the descriptors to return to ${baseline} (now ${openFilesOf(pid)})`, 30_000);
      await closedByServer;
      const c = await RawKafkaClient.connect(server.port);
      await metadata(c);
      await c.close();
      expect(server.stderr()).toMatch(/TLS handshake with 127\.0\.0\.1:\d+ failed: TLS handshake timeout; connection closed/);
    } finally {
      await server.stop();
    }
  });

  it('a handshaking socket counts against max.connections', { timeout: 30_000 }, async () => {
    const id = makeTlsIdentity(join(dir, 'tls-inproc'));
    const broker = await startTestBroker({ config: { 'max.connections': '5' }, tls: { port: 0, certFile: id.certFile, keyFile: id.keyFile } });
    try {
      const sockets = await Promise.all(Array.from({ length: 5 }, () => halfOpen(broker.server.tlsPort, false)));
      for (const s of sockets) s.on('error', () => {});
      await waitFor(() => broker.server.quotas.count === 5, 'five handshaking sockets counted', 5000);
      const refused = await RawKafkaClient.connect(broker.port);
      await refused.closed;
      expect(broker.lines.some((l) => /refusing connection from 127\.0\.0\.1:\d+ on the PLAINTEXT listener: max.connections \(5\) reached/.test(l)), broker.lines.join('\n')).toBe(true);
      for (const s of sockets) s.destroy();
      await waitFor(() => broker.server.quotas.count === 0, 'the handshaking sockets uncounted', 5000);
      const c = await RawKafkaClient.connect(broker.port);
      await metadata(c);
      await c.close();
    } finally {
      await broker.close();
    }
  });
});
