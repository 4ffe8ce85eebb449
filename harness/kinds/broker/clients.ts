/**
 * The clients of the broker workload, in this process over the broker's raw protocol client: a
 * filler that produces the topic the fetches read, a bystander that fetches the whole topic (its
 * time, or how far it got when it did not finish), a bystander that logs in with SCRAM-SHA-512 and
 * asks for Metadata, and a guesser that tries SASL/PLAIN with a wrong password.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ApiKey } from '../../../broker/protocol/api-keys.js';
import { RawKafkaClient } from '../../../broker/raw-client.js';
import { connectRaw, countResponse, fetchFrame } from '../../../broker/raw-frames.js';
import { buildBatch } from '../../../core/format/records.js';

export const TOPIC = 'bounds';
export const MiB = 1 << 20;
/** SASL_AUTHENTICATION_FAILED, what a wrong password is answered with. */
const SASL_AUTHENTICATION_FAILED = 58;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `mib` one-MiB batches into TOPIC (auto-created by the Metadata request), acks=1. */
export async function fillTopic(port: number, mib: number): Promise<void> {
  const c = await RawKafkaClient.connect(port);
  try {
    await c.request(ApiKey.Metadata, 1, (w) => w.arrayLength(1).string(TOPIC));
    await sleep(200);
    for (let i = 0; i < mib; i++) {
      const batch = buildBatch([{ value: Buffer.alloc(MiB - 200, i) }]);
      const r = await c.request(ApiKey.Produce, 7, (w) => {
        w.nullableString(null).int16(1).int32(30_000).arrayLength(1).string(TOPIC).arrayLength(1).int32(0).nullableBytes(batch);
      });
      r.int32(); // topics
      r.string();
      r.int32(); // partitions
      r.int32();
      const code = r.int16();
      if (code !== 0) throw new Error(`produce to ${TOPIC} on 127.0.0.1:${port}: error ${code}`);
    }
  } finally {
    await c.close();
  }
}

export interface Timed {
  ms: number;
  /** 1 when it finished, 0 when it timed out or was closed (ms is then how long it waited). */
  completed: number;
}

/** One Fetch of the whole topic (maxBytes past its size) on its own connection. */
export function bystanderFetch(port: number, secure: boolean, mib: number, timeoutMs: number): Promise<Timed> {
  const start = performance.now();
  const s = connectRaw(port, secure, (c) => c.write(fetchFrame(1, 'bystander', TOPIC, mib * MiB + MiB)));
  const response = countResponse(s);
  return new Promise((done) => {
    const finish = (completed: number) => {
      clearTimeout(timer);
      s.destroy();
      done({ ms: performance.now() - start, completed });
    };
    const timer = setTimeout(() => finish(0), timeoutMs);
    response.done.then(() => finish(1), () => finish(0));
  });
}

/** `count` connections that each ask for the whole topic and read nothing of the answer. */
export function stalledReaders(port: number, secure: boolean, mib: number, count: number): { destroy(): void } {
  const sockets = Array.from({ length: count }, () => connectRaw(port, secure, (s) => {
    s.pause();
    s.write(fetchFrame(1, 'stalled', TOPIC, mib * MiB + MiB));
  }));
  return { destroy: () => sockets.forEach((s) => s.destroy()) };
}

/** A wrong SASL/PLAIN password for `user`; resolves once the broker refused it. */
export async function guessPassword(port: number, user: string): Promise<void> {
  const c = await RawKafkaClient.connect(port);
  try {
    await c.request(ApiKey.SaslHandshake, 1, (w) => w.string('PLAIN'));
    const r = await c.request(ApiKey.SaslAuthenticate, 1, (w) => w.bytes(Buffer.from(`\0${user}\0guess-${randomBytes(4).toString('hex')}`)));
    const code = r.int16();
    if (code !== SASL_AUTHENTICATION_FAILED) throw new Error(`a wrong password for ${user} on 127.0.0.1:${port} was answered ${code}, not ${SASL_AUTHENTICATION_FAILED}`);
  } finally {
    c.socket.destroy();
  }
}

/** A SCRAM-SHA-512 login (RFC 5802 client side) then a Metadata request: its time in ms. */
export async function scramLoginAndMetadata(port: number, user: string, password: string): Promise<number> {
  const t0 = performance.now();
  const c = await RawKafkaClient.connect(port);
  try {
    await c.request(ApiKey.SaslHandshake, 1, (w) => w.string('SCRAM-SHA-512'));
    const bare = `n=${user},r=${randomBytes(16).toString('base64')}`;
    const first = await c.request(ApiKey.SaslAuthenticate, 1, (w) => w.bytes(Buffer.from(`n,,${bare}`)));
    first.int16();
    first.nullableString();
    const serverFirst = first.bytes().toString();
    const a = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
    const salted = pbkdf2Sync(password, Buffer.from(a.s!, 'base64'), Number(a.i), 64, 'sha512');
    const clientKey = createHmac('sha512', salted).update('Client Key').digest();
    const withoutProof = `c=biws,r=${a.r}`;
    const signature = createHmac('sha512', createHash('sha512').update(clientKey).digest()).update(`${bare},${serverFirst},${withoutProof}`).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)).toString('base64');
    const fin = await c.request(ApiKey.SaslAuthenticate, 1, (w) => w.bytes(Buffer.from(`${withoutProof},p=${proof}`)));
    const code = fin.int16();
    if (code !== 0) throw new Error(`the SCRAM login of ${user} on 127.0.0.1:${port} was refused (error ${code})`);
    await c.request(ApiKey.Metadata, 4, (w) => w.int32(0).bool(false));
    return performance.now() - t0;
  } finally {
    c.socket.destroy();
  }
}
