/**
 * HARNESS FALLBACK, not a strata transfer: used only while engines/transfer has no `buffered`
 * transfer registered (the transfer issue builds the real ones). It is the traditional path the
 * zero-copy article describes: pread into a user-space buffer, then socket.write, honouring
 * backpressure. Results name it `buffered(harness-fallback)` so no figure is mistaken for the real one.
 */
import { read } from 'node:fs';
import type { Socket } from 'node:net';
import type { FileSlice, Transfer } from '../core/transfer.js';

const CHUNK_BYTES = 256 * 1024;

function preadInto(fd: number, buf: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, 0, buf.length, position, (err, n) => (err ? reject(err) : resolve(n))));
}

function waitDrain(socket: Socket, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onDrain = () => (cleanup(), resolve());
    const onClose = () => (cleanup(), reject(new Error('socket closed during transfer')));
    const onError = (err: Error) => (cleanup(), reject(err));
    const onAbort = () => (cleanup(), reject(new Error('transfer aborted')));
    socket.on('drain', onDrain);
    socket.on('close', onClose);
    socket.on('error', onError);
    signal?.addEventListener('abort', onAbort);
  });
}

export const bufferedFallbackTransfer: Transfer = {
  name: 'buffered(harness-fallback)',
  supports: { zeroCopy: false, native: false },
  async send(socket: Socket, slices: readonly FileSlice[], signal?: AbortSignal): Promise<number> {
    let sent = 0;
    for (const slice of slices) {
      let position = slice.position;
      const end = slice.position + slice.length;
      while (position < end) {
        if (signal?.aborted) throw new Error('transfer aborted');
        if (socket.destroyed) throw new Error('socket closed during transfer');
        // a fresh buffer per chunk: socket.write keeps a reference until it is flushed
        const buf = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, end - position));
        const n = await preadInto(slice.fd, buf, position);
        if (n === 0) throw new Error(`unexpected end of ${slice.path} at ${position}`);
        position += n;
        sent += n;
        if (!socket.write(n === buf.length ? buf : buf.subarray(0, n))) await waitDrain(socket, signal);
      }
    }
    return sent;
  },
};
