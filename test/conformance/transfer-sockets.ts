/**
 * Real loopback connections for the transfer suite: a plain TCP pair and a TLS pair (a throwaway
 * self-signed certificate made with openssl), each with the sending side (`server`, what a broker
 * sends from) and a collector of what the reading side receives.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';

export interface SocketPair {
  server: net.Socket;
  client: net.Socket;
  /** Resolves with the first `bytes` bytes the client receives (rejects if it closes before). */
  received(bytes: number): Promise<Buffer>;
  close(): void;
}

function collector(client: net.Socket): (bytes: number) => Promise<Buffer> {
  const chunks: Buffer[] = [];
  let have = 0;
  let ended = false;
  let wake: (() => void) | undefined;
  client.on('data', (d: Buffer) => {
    chunks.push(d);
    have += d.length;
    wake?.();
  });
  const onEnd = () => {
    ended = true;
    wake?.();
  };
  client.on('end', onEnd).on('close', onEnd).on('error', onEnd);
  return async (bytes) => {
    while (have < bytes) {
      if (ended) throw new Error(`the connection closed after ${have} of ${bytes} bytes`);
      await new Promise<void>((resolve) => (wake = resolve));
    }
    return Buffer.concat(chunks).subarray(0, bytes);
  };
}

/** A connected loopback TCP pair: `server` the accepted socket (a broker's side), `client` the reader. */
export async function loopbackSockets(): Promise<{ server: net.Socket; client: net.Socket }> {
  const listener = net.createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as net.AddressInfo;
  const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve));
  const client = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
  const server = await accepted;
  listener.close();
  return { server, client };
}

export async function connectPair(): Promise<SocketPair> {
  const { server, client } = await loopbackSockets();
  server.on('error', () => {}); // the tests look at the send's rejection
  return { server, client, received: collector(client), close: () => (server.destroy(), client.destroy()) };
}

/** Why a TLS pair cannot be made here (no openssl), or undefined. */
export function tlsUnavailable(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore', timeout: 10_000 });
    return undefined;
  } catch (err) {
    return `openssl is needed for a test certificate (${(err as Error).message})`;
  }
}

export async function connectTlsPair(dir: string): Promise<SocketPair> {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {
    stdio: 'ignore',
    timeout: 30_000,
  });
  const listener = tls.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as net.AddressInfo;
  const accepted = new Promise<tls.TLSSocket>((resolve) => listener.once('secureConnection', resolve));
  const client = tls.connect({ port, host: '127.0.0.1', ca: fs.readFileSync(cert) });
  await new Promise<void>((resolve, reject) => client.once('secureConnect', resolve).once('error', reject));
  const server = await accepted;
  listener.close();
  server.on('error', () => {});
  return { server, client, received: collector(client), close: () => (server.destroy(), client.destroy()) };
}
