/**
 * A bounded pool of equal-sized buffers for the buffered transfer. Bounded because every concurrent
 * send holds up to two chunks (one being read, one being written): without a cap, many slow
 * consumers would pin unbounded memory; with it, extra sends wait for a chunk instead.
 */
import { assert, assertionFailed } from '../../core/errors.js';

interface Waiter {
  resolve: (buf: Buffer) => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class BufferPool {
  private readonly free: Buffer[] = [];
  private readonly waiters: Waiter[] = [];
  /** Buffers that exist (free or lent out). */
  private allocated = 0;

  constructor(
    readonly chunkBytes: number,
    readonly buffersMax: number,
    /** Sends queued for a chunk beyond this fail fast rather than queueing without limit. */
    readonly waitersMax = 4096,
  ) {
    assert(Number.isInteger(chunkBytes) && chunkBytes > 0, `chunkBytes must be a positive integer, got ${chunkBytes}`);
    assert(Number.isInteger(buffersMax) && buffersMax > 0, `buffersMax must be a positive integer, got ${buffersMax}`);
  }

  get lentOut(): number {
    return this.allocated - this.free.length;
  }

  acquire(signal?: AbortSignal): Promise<Buffer> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const buf = this.free.pop();
    if (buf) return Promise.resolve(buf);
    if (this.allocated < this.buffersMax) {
      this.allocated++;
      return Promise.resolve(Buffer.allocUnsafeSlow(this.chunkBytes));
    }
    if (this.waiters.length >= this.waitersMax) {
      return Promise.reject(new Error(`buffer pool exhausted: ${this.buffersMax} chunks lent out and ${this.waiters.length} sends already waiting`));
    }
    return new Promise<Buffer>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
    });
  }

  /** Gives a buffer back; only once nothing (a pending read or socket write) still uses it. */
  release(buf: Buffer): void {
    if (buf.length !== this.chunkBytes) assertionFailed(`released a buffer of ${buf.length} bytes to a pool of ${this.chunkBytes}-byte chunks`);
    const waiter = this.waiters.shift();
    if (waiter) {
      if (waiter.onAbort) waiter.signal!.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(buf);
      return;
    }
    assert(this.free.length < this.allocated, 'buffer released twice');
    this.free.push(buf);
  }

  /**
   * Forgets a lent buffer that may still be referenced by a socket write that will never report
   * completion (the socket was destroyed): it is left to the garbage collector, and the pool may
   * allocate a fresh one in its place, so a torn connection never shrinks the pool.
   */
  discard(): void {
    assert(this.lentOut > 0, 'discard without a lent buffer');
    this.allocated--;
    const waiter = this.waiters.shift();
    if (waiter) {
      if (waiter.onAbort) waiter.signal!.removeEventListener('abort', waiter.onAbort);
      this.allocated++;
      waiter.resolve(Buffer.allocUnsafeSlow(this.chunkBytes));
    }
  }
}
