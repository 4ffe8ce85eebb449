/**
 * Moving log bytes from segment files to a socket. Kafka's FileRecords.writeTo uses
 * FileChannel.transferTo (sendfile(2)); strata makes this swappable: `sendfile` (zero copy, native/)
 * and `buffered` (pread into a buffer, socket.write) implement it.
 */
import type { Socket } from 'node:net';
import type { FileCache } from './cache.js';

/** A byte range of a segment file: what a zero-copy transfer needs. */
export interface FileSlice {
  path: string;
  fd: number;
  position: number;
  length: number;
  /**
   * The file's cache operations (core/cache.ts), for a transfer that reads the bytes into user
   * space (buffered): held bytes are sent from memory, bytes read are offered to it. Absent: none.
   */
  cache?: FileCache;
  /**
   * The engine's own read of the file (SegmentFile.read), present when the engine's descriptor must
   * not be read by the kernel for us (supports.directIo: O_DIRECT, nothing in the page cache). A
   * transfer then sends what this returns from user memory: sendfile hands such slices to buffered.
   */
  read?: (position: number, length: number) => Promise<Buffer>;
}

export interface TransferSupports {
  /** Payload bytes never pass through user space. */
  zeroCopy: boolean;
  native: boolean;
  /**
   * It can send to a TLS socket (`tls.TLSSocket`), i.e. it hands the bytes to the socket's write,
   * which encrypts them in user space. A zero-copy transfer cannot: the kernel would send the file
   * in plaintext. Absent means no: the broker then serves its TLS listener with `buffered`.
   */
  encryptedSockets?: boolean;
}

export interface Transfer {
  readonly name: string;
  readonly supports: TransferSupports;
  /**
   * Writes the slices to the socket in order, after anything already written to it, honouring
   * backpressure. Resolves with the bytes sent; rejects (never hangs) when the peer goes away or
   * `signal` aborts. `onProgress` is called whenever bytes have left (a write completed, a
   * sendfile moved some): the broker closes a connection whose response makes no progress for
   * connections.max.idle.ms, so a transfer that does not call it looks stalled.
   */
  send(socket: Socket, slices: readonly FileSlice[], signal?: AbortSignal, onProgress?: (bytes: number) => void): Promise<number>;
}
