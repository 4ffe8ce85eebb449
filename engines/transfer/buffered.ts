/**
 * `buffered`: the portable transfer. Each slice is read with pread into a pooled 1 MiB chunk and
 * written with socket.write, two chunks per send in flight: while chunk k is being written the
 * next is being read. What the page cache holds is read on the calling thread (preadCached:
 * preadv2 RWF_NOWAIT, with the addon), as the C pread+write loop does: a thread pool read adds two
 * thread wake-ups and moves each chunk between cores, and on two cores a third busy thread beside
 * the event loop and the receiver (bench:transfer runs both side by side: results/transfer/). The
 * copy holds the event loop no longer than the socket.write of the same chunk does. The rest of a
 * chunk the cache does not hold is read in the pool, from where the cached part ended.
 *
 * A chunk goes back to the pool only in its write callback (libuv writes the Buffer by reference,
 * so reusing it earlier would corrupt the stream), which is also the backpressure: a send never
 * has more than one chunk queued on the socket, so a slow reader holds at most two chunks of
 * memory, however large the slices. When the pool has none free (other sends hold them, maybe to
 * clients that stopped reading) a send reads into its own small buffers instead of waiting
 * (send-buffers.ts).
 *
 * Reads ask the slice's cache first (core/cache.ts, FileSlice.cache): bytes it holds are written
 * straight from its memory, with no read and no chunk (user-lru on a re-read), one write in flight
 * as before; what is read from the file is offered to it (user-lru copies the chunk, page-cache
 * hints read-ahead). The transfer never asks which cache it is.
 *
 * A slice with its own read (FileSlice.read: an O_DIRECT engine's) is read through it, and what it
 * returns is written as it is, one write in flight as before.
 */
import type { Socket } from 'node:net';
import { NO_FILE_CACHE } from '../../core/cache.js';
import type { FileSlice, Transfer } from '../../core/transfer.js';
import { preadCached, preadRest } from '../fs-io.js';
import { BufferPool } from './buffer-pool.js';
import { SendBuffers } from './send-buffers.js';
import { TransferGuard, checkSlices, shortFileError } from './transfer-guard.js';

export const BUFFERED_CHUNK_BYTES = 1 << 20;
/** 32 MiB of chunks at most across all concurrent buffered sends of the process. */
export const BUFFERED_POOL_CHUNKS_MAX = 32;

const sharedPool = new BufferPool(BUFFERED_CHUNK_BYTES, BUFFERED_POOL_CHUNKS_MAX);

export interface BufferedTransferOptions {
  pool?: BufferPool;
  /** Read what the page cache holds on the calling thread (default true); false: always the pool. */
  readCachedInline?: boolean;
}

export class BufferedTransfer implements Transfer {
  readonly name = 'buffered';
  readonly supports = { zeroCopy: false, native: false, encryptedSockets: true };
  private readonly pool: BufferPool;
  private readonly readCachedInline: boolean;

  constructor(options: BufferedTransferOptions | BufferPool = {}) {
    const o = options instanceof BufferPool ? { pool: options } : options;
    this.pool = o.pool ?? sharedPool;
    this.readCachedInline = o.readCachedInline ?? true;
  }

  async send(socket: Socket, slices: readonly FileSlice[], signal?: AbortSignal, onProgress?: (bytes: number) => void): Promise<number> {
    checkSlices(slices, this.name);
    const guard = new TransferGuard(socket, signal, this.name);
    const buffers = new SendBuffers(this.pool);
    let sent = 0;
    /** The write of the previous chunk: its callback must run before the next write. */
    let previousWrite: Promise<void> | undefined;
    /** Chunks handed to socket.write whose callback has not run yet. */
    const writing = new Set<Buffer>();

    const write = (chunk: Buffer, length: number): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        writing.add(chunk);
        socket.write(chunk.subarray(0, length), (err) => {
          if (!writing.delete(chunk)) return; // already discarded after a failure
          buffers.release(chunk);
          if (err) return reject(err);
          onProgress?.(length);
          resolve();
        });
      });
    /** A write of the cache's memory: no chunk to give back. */
    const writeHeld = (held: Buffer): Promise<void> =>
      new Promise<void>((resolve, reject) => socket.write(held, (err) => (err ? reject(err) : (onProgress?.(held.length), resolve()))));

    try {
      guard.check();
      for (const slice of slices) {
        const cache = slice.cache ?? NO_FILE_CACHE;
        let position = slice.position;
        const end = slice.position + slice.length;
        while (position < end) {
          const held = cache.lookup(position, 1, Math.min(end - position, this.pool.chunkBytes));
          if (held) {
            if (previousWrite) await guard.race(previousWrite);
            guard.check();
            previousWrite = writeHeld(held);
            previousWrite.catch(() => {});
            position += held.length;
            sent += held.length;
            continue;
          }
          if (slice.read) {
            // the engine reads its own file (O_DIRECT: nothing in the page cache to pread); what it
            // returns is never written again (SegmentFile.read), so it is written as it is
            const want = Math.min(end - position, this.pool.chunkBytes);
            const data = await guard.race(slice.read(position, want));
            if (data.length < want) throw shortFileError(this.name, slice, position + data.length);
            if (previousWrite) await guard.race(previousWrite);
            guard.check();
            previousWrite = writeHeld(data);
            previousWrite.catch(() => {});
            position += data.length;
            sent += data.length;
            continue;
          }
          const chunk = buffers.acquire();
          const want = Math.min(end - position, chunk.length);
          const generation = cache.generation;
          const target = chunk.subarray(0, want);
          const cached = this.readCachedInline ? preadCached(slice.fd, target, position) : 0;
          const read = cached === want ? Promise.resolve(target) : preadRest(slice.fd, target, cached, position);
          let got: number;
          try {
            got = (await guard.race(read)).length;
          } catch (err) {
            // the chunk is free again only when the read stops writing into it
            read.then(() => buffers.release(chunk), () => buffers.release(chunk));
            throw err;
          }
          if (got < want) {
            buffers.release(chunk);
            throw shortFileError(this.name, slice, position + got);
          }
          cache.onRead(position, chunk.subarray(0, got), generation, false); // the chunk goes back to the pool: borrowed
          try {
            if (previousWrite) await guard.race(previousWrite);
            guard.check();
          } catch (err) {
            buffers.release(chunk); // read, never written: nothing else refers to it
            throw err;
          }
          previousWrite = write(chunk, got);
          previousWrite.catch(() => {}); // observed by the next race, or the final one
          position += got;
          sent += got;
        }
      }
      if (previousWrite) await guard.race(previousWrite);
      // a socket destroyed under a pending write may run its callback without an error
      guard.check();
      if (socket.destroyed) throw guard.error ?? new Error(`${this.name} transfer failed: the socket was destroyed`);
      return sent;
    } finally {
      // chunks still referenced by writes that a destroyed socket will never complete
      for (const chunk of writing) buffers.discard(chunk);
      writing.clear();
      guard.dispose();
    }
  }
}

export const bufferedTransfer = new BufferedTransfer();
