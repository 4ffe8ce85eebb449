/**
 * `sendfile`: zero-copy transfer with sendfile(2) from the segment fd to the socket, like Kafka's
 * FileRecords.writeTo (FileChannel.transferTo). Every call is non-blocking and made on the main
 * thread: a sendfile in libuv's threadpool blocks a pool thread for as long as a slow client takes
 * to read, and four slow clients would starve every fs call of the process. When the socket buffer
 * is full, sendfile says EAGAIN and the transfer waits for writability with a libuv poll handle on
 * a dup() of the socket fd (libuv allows one watcher per fd number, and Node's own handle already
 * watches the original).
 *
 * Ordering with socket.write: sendfile writes straight to the kernel and knows nothing of bytes
 * still queued in Node's Writable, so the transfer first waits until every earlier write has run
 * its callback and writableLength is 0, and corks the socket while sendfile runs so that writes
 * made meanwhile queue in Node and follow the file bytes, in order, on uncork.
 *
 * Cold pages: sendfile waits for pages it must read from the disk, even on a non-blocking socket,
 * and it runs on the event loop; so each call's range is checked first and, when not all in the
 * page cache, read in the thread pool (cold-pages.ts). Each call is at most that window.
 *
 * The read cache (FileSlice.cache, core/cache.ts) is not asked, by design: the bytes never come into
 * user space, the kernel reads them from the page cache, which is Kafka's cache. An in-process
 * cache (user-lru) serves the buffered transfer and the log's own reads, never sendfile.
 *
 * Slices an engine reads itself (FileSlice.read: O_DIRECT, nothing in the page cache) go to the
 * buffered transfer: sendfile would read them from the disk through a page cache they bypass.
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { FileSlice, Transfer } from '../../core/transfer.js';
import { type NativeAddon, type NativePoller, requireNative } from '../../native/index.js';
import { bufferedTransfer } from './buffered.js';
import { COLD_CHECK_WINDOW_BYTES, ColdPageWarmer, type ColdPageStats } from './cold-pages.js';
import { TransferError, TransferGuard, checkSlices, shortFileError } from './transfer-guard.js';

/** The part of the native addon this transfer uses. */
export type SendfileNative = Pick<NativeAddon, 'dup' | 'close' | 'sendfile' | 'setNonBlocking' | 'Poller' | 'mincore'>;

export interface SendfileOptions {
  /**
   * Read the pages of a range that is not all in the page cache in the thread pool before sending
   * it (default), rather than letting sendfile read them from the disk on the event loop.
   */
  coldPagesInPool?: boolean;
}

/**
 * Bytes sent back to back before giving the event loop a turn: on loopback the peer can drain the
 * socket as fast as sendfile fills it, and a 1 GiB slice must not freeze every other connection.
 */
const SENDFILE_YIELD_BYTES = 64 << 20;
/** Earlier writes can keep arriving while we wait for them; give up after this many rounds. */
const WRITE_BARRIER_ROUNDS_MAX = 1000;
const EMPTY = Buffer.alloc(0);

/** The fd under a net.Socket; undefined for sockets without one (TLS, not yet connected pipes). */
function socketFd(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * Resolves once every write issued before it has been handed to the kernel and its callback has
 * run. Writable runs callbacks in order, so the callback of an empty write marks that point.
 */
async function drainWrites(socket: Socket, guard: TransferGuard): Promise<void> {
  for (let round = 0; socket.writableLength > 0 || socket.writableNeedDrain; round++) {
    if (round >= WRITE_BARRIER_ROUNDS_MAX) {
      throw new TransferError('NOT_WRITABLE', `sendfile: the socket still had ${socket.writableLength} bytes queued after ${round} rounds of waiting for earlier writes`);
    }
    await guard.race(new Promise<void>((resolve, reject) => socket.write(EMPTY, (err) => (err ? reject(err) : resolve()))));
  }
}

export class SendfileTransfer implements Transfer {
  readonly name = 'sendfile';
  readonly supports = { zeroCopy: true, native: true, encryptedSockets: false };

  private readonly coldPages: ColdPageWarmer | undefined;

  constructor(private readonly native: SendfileNative, options: SendfileOptions = {}) {
    this.coldPages = options.coldPagesInPool === false ? undefined : new ColdPageWarmer(native);
  }

  /** What the cold-page reads did so far (zeros when they are off). */
  get coldPageStats(): ColdPageStats {
    return this.coldPages?.stats ?? { poolReads: 0, poolReadBytes: 0 };
  }

  async send(socket: Socket, slices: readonly FileSlice[], signal?: AbortSignal, onProgress?: (bytes: number) => void): Promise<number> {
    checkSlices(slices, this.name);
    // an O_DIRECT engine's bytes are not in the page cache sendfile reads: sent from user memory
    if (slices.some((s) => s.read)) return bufferedTransfer.send(socket, slices, signal, onProgress);
    if ((socket as Socket & { encrypted?: boolean }).encrypted) {
      throw new TransferError('UNSUPPORTED_SOCKET', 'sendfile: no sendfile over TLS (the kernel would send plaintext); use the buffered transfer');
    }
    const guard = new TransferGuard(socket, signal, this.name);
    let dupFd = -1;
    let poller: NativePoller | undefined;
    let corked = false;
    try {
      guard.check();
      if (socket.connecting) await guard.race(once(socket, 'connect'));
      // read the fd before any await that could let the socket be destroyed, then keep our own dup:
      // it stays valid (and reports EPIPE/ECONNRESET) even after Node closes the original
      const fd = socketFd(socket);
      if (fd === undefined) throw new TransferError('UNSUPPORTED_SOCKET', 'sendfile: the socket has no file descriptor (TLS, or not a TCP/pipe socket)');
      dupFd = this.native.dup(fd);
      // libuv made the socket non-blocking already; O_NONBLOCK belongs to the open file, shared
      // with the dup, and a blocking sendfile here would freeze the event loop: make sure
      this.native.setNonBlocking(dupFd, true);
      await drainWrites(socket, guard);
      guard.check();
      socket.cork();
      corked = true;

      let sent = 0;
      let sinceYield = 0;
      let pollError: TransferError | undefined;
      const refreshIdleTimer = (socket as unknown as { _unrefTimer?: () => void })._unrefTimer?.bind(socket);
      for (const slice of slices) {
        let position = slice.position;
        const end = slice.position + slice.length;
        while (position < end) {
          guard.check();
          let n: number;
          const asked = Math.min(end - position, COLD_CHECK_WINDOW_BYTES);
          if (this.coldPages) {
            await guard.race(this.coldPages.ensureCached(slice.fd, position, asked));
            guard.check();
          }
          try {
            n = this.native.sendfile(dupFd, slice.fd, position, asked);
          } catch (err) {
            const e = err as NodeJS.ErrnoException;
            throw new TransferError(e.code ?? 'EIO', `sendfile transfer failed: ${e.message}`, { cause: err });
          }
          if (n > 0) {
            pollError = undefined;
            position += n;
            sent += n;
            sinceYield += n;
            onProgress?.(n);
            if (sinceYield >= SENDFILE_YIELD_BYTES) {
              sinceYield = 0;
              await guard.race(yieldToLoop());
            }
            // a short count means the socket buffer filled up: the next call would only say
            // EAGAIN, so wait for writability right away (one syscall less per round)
            if (n >= asked) continue;
          } else if (n === 0) {
            throw shortFileError(this.name, slice, position);
          }
          // EAGAIN or a short count: the socket buffer is full; wait on the main loop until the
          // peer reads
          if (n < 0 && pollError) throw pollError; // polled "ready" yet still EAGAIN: the poll error was real
          poller ??= new this.native.Poller(dupFd);
          const p = poller;
          pollError = await guard.race(
            new Promise<TransferError | undefined>((resolve) => {
              // level triggered: stop at the first notification. A hung-up peer reports writable or
              // a poll error (libuv turns POLLERR into EBADF); either way the next sendfile names
              // the socket's real error (EPIPE, ECONNRESET), so the poll error is only kept in case
              // sendfile has nothing better to say
              p.start((err) => {
                p.stop();
                resolve(err ? new TransferError(err.code ?? 'EIO', `sendfile transfer failed while waiting for the socket: ${err.message}`, { cause: err }) : undefined);
              }, this.native.Poller.WRITABLE);
            }),
          );
          // sendfile bytes bypass Node's stream, so they do not count as activity for setTimeout
          refreshIdleTimer?.();
        }
      }
      guard.check();
      return sent;
    } finally {
      if (poller) {
        poller.stop();
        poller.close();
      }
      if (dupFd >= 0) this.native.close(dupFd);
      if (corked) socket.uncork();
      guard.dispose();
    }
  }
}

/** The sendfile transfer over the built addon; throws "unavailable: native addon not built" without it. */
export function createSendfileTransfer(options: SendfileOptions = {}): SendfileTransfer {
  return new SendfileTransfer(requireNative('the sendfile transfer'), options);
}
