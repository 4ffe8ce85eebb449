/**
 * A stop-gap Transfer used only when neither `buffered` nor `sendfile` is registered in
 * engines/transfer (they are built on another branch): pread each slice into a buffer and
 * socket.write it, waiting for drain. It copies every byte through user space; the real transfers
 * replace it as soon as they are in main (server.ts picks them first).
 */
import { read } from 'node:fs';
import type { Socket } from 'node:net';
import type { FileSlice, Transfer } from '../core/transfer.js';

const CHUNK_BYTES_MAX = 1024 * 1024;

function pread(fd: number, buf: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, 0, length, position, (err, n) => (err ? reject(err) : resolve(n))));
}

function writeAndDrain(socket: Socket, buf: Buffer, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return reject(new Error('socket closed before the fetch response was sent'));
    const onClose = () => finish(new Error('socket closed while the fetch response was being sent'));
    const onAbort = () => finish(new Error('transfer aborted'));
    const finish = (err?: Error) => {
      socket.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    socket.once('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (socket.write(buf)) finish();
    else socket.once('drain', () => finish());
  });
}

export const preadFallbackTransfer: Transfer = {
  name: 'pread-fallback',
  supports: { zeroCopy: false, native: false },
  async send(socket: Socket, slices: readonly FileSlice[], signal?: AbortSignal): Promise<number> {
    let sent = 0;
    for (const slice of slices) {
      let done = 0;
      while (done < slice.length) {
        const want = Math.min(CHUNK_BYTES_MAX, slice.length - done);
        const buf = Buffer.allocUnsafe(want);
        const n = await pread(slice.fd, buf, want, slice.position + done);
        if (n === 0) throw new Error(`${slice.path} ended at ${slice.position + done}, before the ${slice.length}-byte slice at ${slice.position} was sent`);
        await writeAndDrain(socket, n === want ? buf : buf.subarray(0, n), signal);
        done += n;
        sent += n;
      }
    }
    return sent;
  },
};
