/**
 * What hostile or careless clients take from the others, measured against a `strata serve` child
 * (docs/reliability.md quotes these figures):
 *   stalled   N connections each send a Fetch of the whole topic (--fetch-mib) and read nothing
 *             (TLS, and plaintext with --transfer buffered and sendfile); a bystander fetches the same bytes
 *             on the same listener: its time alone and beside them, and the server's descriptors
 *             connections.max.idle.ms + 5 s later and twice that + 5 s (are the stalled ones closed?)
 *   handshake N TCP connections to the TLS port that never finish a handshake; a plaintext
 *             bystander's fetch beside them, the server's descriptors before, with them, and 15 s
 *             later (the handshake timeout is 10 s)
 *   halfframe N connections each send half of a 100 MB request; the server's VmRSS before and
 *             with them, and a bystander's Metadata round trip beside them
 *
 *   npx tsx harness/bench/connection-bounds.ts [--root CHECKOUT] [--scenario stalled,handshake,halfframe]
 *
 * --root runs the server from another checkout (e.g. a worktree of an older commit, with
 * node_modules linked) while the clients run from this one. A bystander that does not finish in
 * 30 s is reported as a timeout.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { connectRaw, countResponse, fetchFrame } from '../../broker/raw-frames.js';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { buildBatch } from '../../core/format/records.js';
import { makeTlsIdentity } from '../peers/tls-identity.js';
import { startServeListening } from '../serve-process.js';
import { openDescriptors, rssBytes } from '../proc.js';

const { values: args } = parseArgs({
  options: {
    root: { type: 'string', default: join(import.meta.dirname, '..', '..') },
    scenario: { type: 'string', default: 'stalled,handshake,halfframe' },
    'fetch-mib': { type: 'string', default: '50' },
    'idle-ms': { type: 'string', default: '10000' },
  },
});
const ROOT = resolve(args.root);
const FETCH_MIB = Number(args['fetch-mib']);
const IDLE_MS = Number(args['idle-ms']);
const BYSTANDER_TIMEOUT_MS = 30_000;
const TOPIC = 'bounds';
const MiB = 1 << 20;
const work = fs.mkdtempSync(join(tmpdir(), 'strata-connection-bounds-'));
const id = makeTlsIdentity(join(work, 'tls'));

interface Server {
  child: ChildProcess;
  port: number;
  tlsPort: number;
  fds(): number;
  rssMiB(): number;
  log(): string;
  stop(): Promise<void>;
}

async function serve(transfer: string, dataDir: string): Promise<Server> {
  const served = await startServeListening(
    ['--data-dir', dataDir, '--listen', '127.0.0.1:0', '--listen-tls', '127.0.0.1:0', '--tls-cert', id.certFile, '--tls-key', id.keyFile,
      '--transfer', transfer, '--auto-create-topics', '--config', `connections.max.idle.ms=${IDLE_MS}`, '--config', 'message.max.bytes=2000000'],
    { root: ROOT },
  );
  const { child } = served;
  const pid = child.pid!;
  return {
    child,
    port: served.port,
    tlsPort: served.tlsPort,
    log: served.stderr,
    fds: () => openDescriptors(pid),
    rssMiB: () => rssBytes(pid) / 2 ** 20,
    stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', () => r()), child.kill('SIGKILL')))),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fill(port: number): Promise<void> {
  const c = await RawKafkaClient.connect(port);
  await c.request(ApiKey.Metadata, 1, (w) => w.arrayLength(1).string(TOPIC)); // auto-creates it
  await sleep(200);
  for (let i = 0; i < FETCH_MIB; i++) {
    const batch = buildBatch([{ value: Buffer.alloc(MiB - 200, i) }]);
    const r = await c.request(ApiKey.Produce, 7, (w) => {
      w.nullableString(null).int16(1).int32(30_000).arrayLength(1).string(TOPIC).arrayLength(1).int32(0).nullableBytes(batch);
    });
    r.int32();
    r.string();
    r.int32();
    r.int32();
    const code = r.int16();
    if (code !== 0) throw new Error(`produce failed with error ${code}`);
  }
  await c.close();
}

/** One whole fetch of the topic; its time in ms, or a line saying it did not finish. */
function bystanderFetch(port: number, secure: boolean): Promise<string> {
  const start = performance.now();
  const s = connectRaw(port, secure, (c) => c.write(fetchFrame(1, 'bounds', TOPIC, FETCH_MIB * MiB + MiB)));
  const response = countResponse(s);
  return new Promise((done) => {
    const finish = (what: string) => {
      clearTimeout(timer);
      s.destroy();
      done(what);
    };
    const timer = setTimeout(() => finish(`timed out at ${BYSTANDER_TIMEOUT_MS / 1000} s (${(response.received() / MiB).toFixed(1)} MiB received)`), BYSTANDER_TIMEOUT_MS);
    response.done.then(
      (size) => finish(`${(performance.now() - start).toFixed(0)} ms (${(size / MiB).toFixed(1)} MiB)`),
      () => finish(`closed by the broker after ${response.received()} bytes`),
    );
  });
}

async function stalled(label: string, transfer: string, secure: boolean, count: number): Promise<void> {
  const server = await serve(transfer, join(work, `data-${label}`));
  try {
    await fill(server.port);
    const port = secure ? server.tlsPort : server.port;
    const alone = await bystanderFetch(port, secure);
    const fdsBefore = server.fds();
    const readers = Array.from({ length: count }, () =>
      connectRaw(port, secure, (s) => {
        s.pause();
        s.write(fetchFrame(1, 'bounds', TOPIC, FETCH_MIB * MiB + MiB));
      }),
    );
    await sleep(2000);
    const beside = await bystanderFetch(port, secure);
    const fdsWith = server.fds();
    await sleep(IDLE_MS + 5000);
    const fdsOnce = server.fds();
    await sleep(IDLE_MS);
    console.log(`stalled ${label}: ${count} non-reading clients; bystander alone ${alone}, beside them ${beside}; server fds ${fdsBefore} before, ${fdsWith} with them, ${fdsOnce} at connections.max.idle.ms (${IDLE_MS} ms) + 5 s, ${server.fds()} at twice that + 5 s`);
    if (process.env.BOUNDS_DEBUG) console.log(server.log());
    for (const r of readers) r.destroy();
  } finally {
    await server.stop();
  }
}

async function handshakes(count: number): Promise<void> {
  const server = await serve('sendfile', join(work, 'data-handshake'));
  try {
    await fill(server.port);
    const alone = await bystanderFetch(server.port, false);
    const fdsBefore = server.fds();
    const sockets = await Promise.all(Array.from({ length: count }, () => new Promise<net.Socket>((r) => {
      const s = net.connect({ host: '127.0.0.1', port: server.tlsPort }, () => r(s));
      s.on('error', () => {});
    })));
    await sleep(1000);
    const fdsWith = server.fds();
    const beside = await bystanderFetch(server.port, false);
    await sleep(15_000);
    console.log(`handshake: ${count} half-open TLS handshakes; plaintext bystander alone ${alone}, beside them ${beside}; server fds ${fdsBefore} before, ${fdsWith} with them, ${server.fds()} 15 s later`);
    for (const s of sockets) s.destroy();
  } finally {
    await server.stop();
  }
}

async function halfFrames(count: number, frameBytes: number): Promise<void> {
  const server = await serve('sendfile', join(work, 'data-halfframe'));
  try {
    const bystander = await RawKafkaClient.connect(server.port);
    await bystander.request(ApiKey.Metadata, 1, (w) => w.int32(0));
    await sleep(500);
    const rssBefore = server.rssMiB();
    const piece = Buffer.alloc(MiB);
    let handed = 0;
    const senders = Array.from({ length: count }, () => {
      const s = net.connect({ host: '127.0.0.1', port: server.port });
      s.on('error', () => {});
      let sent = 0;
      const pump = () => {
        while (sent < frameBytes / 2) {
          const n = Math.min(MiB, frameBytes / 2 - sent);
          sent += n;
          handed += n;
          if (!s.write(piece.subarray(0, n))) return;
        }
      };
      s.on('connect', () => {
        const prefix = Buffer.alloc(4);
        prefix.writeInt32BE(frameBytes, 0);
        s.write(prefix);
        pump();
      });
      s.on('drain', pump);
      return s;
    });
    let last = -1;
    for (let quiet = 0; quiet < 10; quiet = handed === last ? quiet + 1 : 0) {
      last = handed;
      await sleep(300);
    }
    const rssWith = server.rssMiB();
    const start = performance.now();
    const answered = await Promise.race([bystander.request(ApiKey.Metadata, 1, (w) => w.int32(0)).then(() => `${(performance.now() - start).toFixed(1)} ms`), sleep(BYSTANDER_TIMEOUT_MS).then(() => 'no answer in 30 s')]);
    console.log(`halfframe: ${count} x half of a ${frameBytes / 1e6} MB request; server VmRSS ${rssBefore.toFixed(0)} MiB before, ${rssWith.toFixed(0)} MiB with them (clients handed ${(handed / MiB).toFixed(0)} MiB to their sockets); bystander Metadata ${answered}`);
    for (const s of senders) s.destroy();
    bystander.socket.destroy();
  } finally {
    await server.stop();
  }
}

try {
  console.log(`server from ${ROOT}`);
  const scenarios = new Set(args.scenario.split(','));
  if (scenarios.has('stalled')) {
    await stalled('TLS', 'sendfile', true, 16);
    await stalled('plaintext buffered', 'buffered', false, 20);
    await stalled('plaintext sendfile', 'sendfile', false, 20);
  }
  if (scenarios.has('handshake')) await handshakes(300);
  if (scenarios.has('halfframe')) await halfFrames(20, 100_000_000);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
