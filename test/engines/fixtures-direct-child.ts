/**
 * A child process for the direct engine's strace test: appends odd-sized batches to a segment file
 * with the direct engine, closes and reopens it (the partial last block read back), appends again,
 * reads everything back, then sends a slice with the sendfile transfer the way the log hands it
 * (FileSlice.read), over loopback.
 *   node --import tsx fixtures-direct-child.ts
 * prints {"segmentFd":N,"socketFd":N,"sentBytes":N,"identical":true,"readBack":true} on stdout.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directEngine } from '../../engines/direct/direct.js';
import { builtinTransfers } from '../../engines/transfer/index.js';
import { collect, connect } from '../transfer/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-direct-child-'));
try {
  const path = join(dir, 'segment.log');
  const parts = [100, 5000, 70_000, 3, 1 << 20, 4096, 77].map((n) => randomBytes(n));
  const content = Buffer.concat(parts);
  let file = await directEngine.open(path, { preallocateBytes: 0 });
  await Promise.all(parts.slice(0, 4).map((p) => file.append([p], p.length)));
  await file.close();
  file = await directEngine.open(path, { preallocateBytes: 0 });
  for (const p of parts.slice(4)) await file.append([p], p.length);
  const readBack = (await file.read(0, content.length)).equals(content);
  const conn = await connect();
  const received = collect(conn.client);
  const socketFd = (conn.server as unknown as { _handle: { fd: number } })._handle.fd;
  const slice = { path, fd: file.fd, position: 4096, length: content.length - 4096, read: (at: number, n: number) => file.read(at, n) };
  const sentBytes = await builtinTransfers.sendfile!().send(conn.server, [slice]);
  conn.server.end();
  const got = await received;
  conn.close();
  const segmentFd = file.fd;
  await file.close();
  process.stdout.write(JSON.stringify({ segmentFd, socketFd, sentBytes, identical: got.equals(content.subarray(4096)), readBack }) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
