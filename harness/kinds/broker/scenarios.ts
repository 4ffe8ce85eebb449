/**
 * What hostile or careless clients take from the others, each scenario against a `strata serve`
 * child of its own (its descriptors and resident set from /proc, its CPU from /proc/PID/stat: the
 * server's alone, the clients run in this process):
 *   stalled-*   clients each ask for the whole topic and read nothing (over TLS, and plaintext
 *               with the buffered and the sendfile transfer); a bystander's fetch of the same bytes
 *               alone and beside them; the server's descriptors before, with them, at
 *               connections.max.idle.ms + idleGraceMs and at twice that + idleGraceMs (are the stalled ones closed?)
 *   handshake   TCP connections to the TLS port that never start a handshake; a plaintext
 *               bystander's fetch beside them; descriptors before, with them, and after the
 *               handshake deadline (connections.max.idle.ms) + idleGraceMs
 *   halfframe   connections each send half of a large request; the server's resident set before
 *               and with them, a bystander's connection and Metadata round trip beside them
 *   auth-flood  connections each guess a SASL/PLAIN password over and over; the guesses answered
 *               per second, the server's CPU per second, a SCRAM-SHA-512 bystander's login times
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { RawKafkaClient } from '../../../broker/raw-client.js';
import { ApiKey } from '../../../broker/protocol/api-keys.js';
import { cpuSeconds, openDescriptors, rssBytes } from '../../proc.js';
import type { Metrics } from '../../results.js';
import { median, round } from '../../stats.js';
import { bystanderFetch, fillTopic, guessPassword, MiB, scramLoginAndMetadata, sleep, stalledReaders } from './clients.js';

export const SCENARIOS = ['stalled-tls', 'stalled-buffered', 'stalled-sendfile', 'handshake', 'halfframe', 'auth-flood'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface BrokerSizes {
  fetchMib: number;
  idleMs: number;
  /** How long past connections.max.idle.ms the descriptors are counted (the broker's idle sweep is periodic). */
  idleGraceMs: number;
  stalledClients: number;
  handshakes: number;
  halfFrames: number;
  halfFrameMb: number;
  authConnections: number;
  authSeconds: number;
  authDelayMs: number;
  bystanderTimeoutMs: number;
}

/** The server a scenario runs against. */
export interface Served {
  pid: number;
  port: number;
  tlsPort: number;
}

export const AUTH_USER = 'alice';
export const AUTH_PASSWORD = 'right';

/** How long the hostile clients get to connect before they are counted: well inside the idle timeout. */
const settleMs = (z: BrokerSizes) => Math.min(2000, z.idleMs / 2);

export async function stalled(s: Served, z: BrokerSizes, secure: boolean): Promise<Metrics> {
  await fillTopic(s.port, z.fetchMib);
  const port = secure ? s.tlsPort : s.port;
  const alone = await bystanderFetch(port, secure, z.fetchMib, z.bystanderTimeoutMs);
  const fdsBefore = openDescriptors(s.pid);
  const readers = stalledReaders(port, secure, z.fetchMib, z.stalledClients);
  try {
    await sleep(settleMs(z));
    const fdsWith = openDescriptors(s.pid);
    const beside = await bystanderFetch(port, secure, z.fetchMib, z.bystanderTimeoutMs);
    await sleep(z.idleMs + z.idleGraceMs);
    const fdsAfterIdle = openDescriptors(s.pid);
    await sleep(z.idleMs);
    return {
      'bystander.aloneMs': round(alone.ms), 'bystander.aloneCompleted': alone.completed,
      'bystander.besideMs': round(beside.ms), 'bystander.besideCompleted': beside.completed,
      'server.fdsBefore': fdsBefore, 'server.fdsWith': fdsWith, 'server.fdsAfterIdle': fdsAfterIdle, 'server.fdsAfterTwiceIdle': openDescriptors(s.pid),
    };
  } finally {
    readers.destroy();
  }
}

export async function handshake(s: Served, z: BrokerSizes): Promise<Metrics> {
  await fillTopic(s.port, z.fetchMib);
  const alone = await bystanderFetch(s.port, false, z.fetchMib, z.bystanderTimeoutMs);
  const fdsBefore = openDescriptors(s.pid);
  const sockets = await Promise.all(Array.from({ length: z.handshakes }, () => new Promise<net.Socket>((resolve) => {
    const c = net.connect({ host: '127.0.0.1', port: s.tlsPort }, () => resolve(c));
    c.on('error', () => {});
  })));
  try {
    await sleep(settleMs(z));
    const fdsWith = openDescriptors(s.pid);
    const beside = await bystanderFetch(s.port, false, z.fetchMib, z.bystanderTimeoutMs);
    await sleep(z.idleMs + z.idleGraceMs);
    return {
      'bystander.aloneMs': round(alone.ms), 'bystander.aloneCompleted': alone.completed,
      'bystander.besideMs': round(beside.ms), 'bystander.besideCompleted': beside.completed,
      'server.fdsBefore': fdsBefore, 'server.fdsWith': fdsWith, 'server.fdsAfterDeadline': openDescriptors(s.pid),
    };
  } finally {
    for (const c of sockets) c.destroy();
  }
}

/** Each sender writes a size prefix of `frameBytes` and half of the frame, as fast as the socket takes it. */
function halfFrameSenders(port: number, count: number, frameBytes: number): { handed(): number; destroy(): void } {
  const piece = Buffer.alloc(MiB);
  let handed = 0;
  const sockets = Array.from({ length: count }, () => {
    const c = net.connect({ host: '127.0.0.1', port });
    c.on('error', () => {});
    let sent = 0;
    const pump = () => {
      while (sent < frameBytes / 2) {
        const n = Math.min(MiB, frameBytes / 2 - sent);
        sent += n;
        handed += n;
        if (!c.write(piece.subarray(0, n))) return;
      }
    };
    c.on('connect', () => {
      const prefix = Buffer.alloc(4);
      prefix.writeInt32BE(frameBytes, 0);
      c.write(prefix);
      pump();
    });
    c.on('drain', pump);
    return c;
  });
  return { handed: () => handed, destroy: () => sockets.forEach((c) => c.destroy()) };
}

export async function halfFrame(s: Served, z: BrokerSizes): Promise<Metrics> {
  const rssBefore = rssBytes(s.pid);
  const senders = halfFrameSenders(s.port, z.halfFrames, z.halfFrameMb * 1e6);
  try {
    // until the senders have handed nothing more to their sockets for 3 s (the server stopped reading or has it all)
    let last = -1;
    for (let quiet = 0; quiet < 10; quiet = senders.handed() === last ? quiet + 1 : 0) {
      last = senders.handed();
      await sleep(300);
    }
    const rssWith = rssBytes(s.pid);
    // a new connection: one opened before would have been idle longer than connections.max.idle.ms
    const t0 = performance.now();
    const metadata = RawKafkaClient.connect(s.port).then(async (c) => {
      try {
        await c.request(ApiKey.Metadata, 1, (w) => w.int32(0));
        return 1;
      } finally {
        c.socket.destroy();
      }
    });
    const answered = await Promise.race([metadata, sleep(z.bystanderTimeoutMs).then(() => 0)]);
    return {
      'server.rssMibBefore': round(rssBefore / MiB), 'server.rssMibWith': round(rssWith / MiB), 'clients.handedMib': round(senders.handed() / MiB),
      'bystander.metadataMs': round(performance.now() - t0), 'bystander.metadataCompleted': answered,
    };
  } finally {
    senders.destroy();
  }
}

export async function authFlood(s: Served, z: BrokerSizes): Promise<Metrics> {
  let guesses = 0;
  let stop = false;
  const guesser = async () => {
    while (!stop) {
      try {
        await guessPassword(s.port, AUTH_USER);
        guesses++;
      } catch (err) {
        // the broker closes a connection after a failed login; one closed mid-guess at the end is no error
        if (!stop && !String(err).includes('closed')) throw err;
      }
    }
  };
  const bystander = async () => {
    const times: number[] = [];
    while (!stop) {
      times.push(await scramLoginAndMetadata(s.port, AUTH_USER, AUTH_PASSWORD));
      await sleep(200);
    }
    return times;
  };
  const cpu0 = cpuSeconds(s.pid);
  const t0 = performance.now();
  const workers = Array.from({ length: z.authConnections }, guesser);
  const logins = bystander();
  await sleep(z.authSeconds * 1000);
  stop = true;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(s.pid) - cpu0;
  await Promise.all(workers);
  const times = await logins;
  if (times.length === 0) throw new Error(`auth-flood: the bystander did not log in once in ${z.authSeconds} s`);
  return {
    'guesses.perSec': round(guesses / seconds), 'server.cpuSecondsPerSec': round(cpu / seconds),
    'bystander.logins': times.length, 'bystander.loginMsP50': round(median(times)), 'bystander.loginMsMax': round(Math.max(...times)),
  };
}
