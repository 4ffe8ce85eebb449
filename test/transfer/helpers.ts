/** Real files and real loopback sockets for the transfer tests. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileSlice, Transfer } from '../../core/transfer.js';
import { bufferedTransfer } from '../../engines/transfer/buffered.js';
import { createSendfileTransfer } from '../../engines/transfer/sendfile.js';
import { loopbackSockets } from '../conformance/transfer-sockets.js';

export interface SegmentFixture {
  dir: string;
  paths: string[];
  fds: number[];
  contents: Buffer[];
  cleanup(): Promise<void>;
}

/** Files of the given sizes filled with random bytes, opened read-only. */
export async function makeSegments(sizes: readonly number[]): Promise<SegmentFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-transfer-'));
  const paths: string[] = [];
  const fds: number[] = [];
  const contents: Buffer[] = [];
  for (const [i, size] of sizes.entries()) {
    const path = join(dir, `${String(i).padStart(20, '0')}.log`);
    const content = randomBytes(size);
    fs.writeFileSync(path, content);
    paths.push(path);
    contents.push(content);
    fds.push(fs.openSync(path, 'r'));
  }
  return {
    dir,
    paths,
    fds,
    contents,
    async cleanup() {
      for (const fd of fds) fs.closeSync(fd);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function slice(fx: SegmentFixture, file: number, position: number, length: number): FileSlice {
  return { path: fx.paths[file]!, fd: fx.fds[file]!, position, length };
}

export function expectedBytes(fx: SegmentFixture, slices: readonly FileSlice[]): Buffer {
  return Buffer.concat(slices.map((s) => fx.contents[fx.paths.indexOf(s.path)]!.subarray(s.position, s.position + s.length)));
}

export interface Connection {
  /** The accepted socket: the one a broker would send from. */
  server: net.Socket;
  /** The connecting socket: the reader. */
  client: net.Socket;
  close(): void;
}

export async function connect(): Promise<Connection> {
  const { server, client } = await loopbackSockets();
  return {
    server,
    client,
    close() {
      server.destroy();
      client.destroy();
    },
  };
}

/** Everything the client receives until the server ends the stream. */
export function collect(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

/** The transfers this build has: buffered always, sendfile when the native addon is built. */
export function availableTransfers(): Transfer[] {
  const list: Transfer[] = [bufferedTransfer];
  try {
    list.push(createSendfileTransfer());
  } catch {
    // not built: the sendfile-specific tests say so
  }
  return list;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms (hang)`)), ms);
    }),
  ]);
}
