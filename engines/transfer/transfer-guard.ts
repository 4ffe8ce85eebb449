/**
 * What both transfers share: turning "the peer went away" into a rejected promise. A socket can
 * end a transfer four ways: an 'error' (ECONNRESET, EPIPE), a 'close' without one, the caller's
 * AbortSignal, or having been unwritable from the start. Every wait a transfer does is raced
 * against `failed`, so no transfer can hang on a write callback or a poll that never comes.
 */
import type { Socket } from 'node:net';
import type { FileSlice } from '../../core/transfer.js';

export type TransferErrorCode = 'PEER_CLOSED' | 'ABORTED' | 'SHORT_FILE' | 'INVALID_SLICE' | 'NOT_WRITABLE' | 'UNSUPPORTED_SOCKET';

/** A transfer failure; `code` is the errno name (ECONNRESET, EPIPE, ...) when the kernel reported one. */
export class TransferError extends Error {
  constructor(
    readonly code: TransferErrorCode | string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransferError';
  }
}

export class TransferGuard {
  readonly failed: Promise<never>;
  private failure: Error | undefined;
  private rejectFailed!: (err: Error) => void;
  private readonly onError: (err: Error) => void;
  private readonly onClose: () => void;
  private readonly onAbort: () => void;

  constructor(
    private readonly socket: Socket,
    private readonly signal: AbortSignal | undefined,
    transferName: string,
  ) {
    this.failed = new Promise<never>((_, reject) => {
      this.rejectFailed = reject;
    });
    // a rejection nobody awaits yet (between races) must not surface as unhandled
    this.failed.catch(() => {});
    this.onError = (err) => {
      const code = (err as NodeJS.ErrnoException).code ?? 'PEER_CLOSED';
      this.fail(new TransferError(code, `${transferName} transfer failed: ${err.message}`, { cause: err }));
    };
    this.onClose = () => this.fail(new TransferError('PEER_CLOSED', `${transferName} transfer failed: the socket closed before the transfer finished`));
    this.onAbort = () => this.fail(new TransferError('ABORTED', `${transferName} transfer aborted: ${String(signal?.reason)}`, { cause: signal?.reason }));
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    signal?.addEventListener('abort', this.onAbort, { once: true });
    if (signal?.aborted) this.onAbort();
    else if (socket.destroyed || !socket.writable) {
      this.fail(new TransferError('NOT_WRITABLE', `${transferName} transfer failed: the socket is not writable (destroyed or ended)`));
    } else if (socket.writableCorked > 0) {
      // corked writes complete only on uncork: waiting for them (or for our own) would never end
      this.fail(new TransferError('NOT_WRITABLE', `${transferName} transfer refused: the socket is corked (uncork it before sending)`));
    }
  }

  get error(): Error | undefined {
    return this.failure;
  }

  fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.rejectFailed(err);
  }

  /** Throws the failure, if any: for checks between synchronous steps. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  /** `p`, unless the transfer fails first. */
  race<T>(p: Promise<T>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return Promise.race([p, this.failed]);
  }

  dispose(): void {
    this.socket.off('error', this.onError);
    this.socket.off('close', this.onClose);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

/** Rejects slices no file could hold, before any byte is sent. */
export function checkSlices(slices: readonly FileSlice[], transferName: string): number {
  let total = 0;
  for (const [i, s] of slices.entries()) {
    if (!Number.isInteger(s.fd) || s.fd < 0) throw new TransferError('INVALID_SLICE', `${transferName}: slice ${i} (${s.path}) has invalid fd ${s.fd}`);
    if (!Number.isSafeInteger(s.position) || s.position < 0) throw new TransferError('INVALID_SLICE', `${transferName}: slice ${i} (${s.path}) has invalid position ${s.position}`);
    if (!Number.isSafeInteger(s.length) || s.length < 0) throw new TransferError('INVALID_SLICE', `${transferName}: slice ${i} (${s.path}) has invalid length ${s.length}`);
    total += s.length;
  }
  return total;
}

export function shortFileError(transferName: string, slice: FileSlice, position: number): TransferError {
  return new TransferError(
    'SHORT_FILE',
    `${transferName}: ${slice.path} ends at ${position}, inside the slice [${slice.position}, ${slice.position + slice.length})`,
  );
}
