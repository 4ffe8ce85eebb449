/**
 * A bounded pool of equal-sized buffers for the buffered transfer. Bounded because every concurrent
 * send holds up to two chunks (one being read, one being written): without a cap, many slow
 * consumers would pin unbounded memory. Nobody waits for a chunk: when all are lent out, a send
 * reads into its own smaller buffers (SendBuffers), because the chunks may be held by sends to
 * clients that stopped reading, and waiting on them would stall every other send behind them.
 */
import { assert, assertionFailed } from '../../core/errors.js';

export class BufferPool {
  private readonly free: Buffer[] = [];
  /** Buffers that exist (free or lent out). */
  private allocated = 0;

  constructor(
    readonly chunkBytes: number,
    readonly buffersMax: number,
  ) {
    assert(Number.isInteger(chunkBytes) && chunkBytes > 0, `chunkBytes must be a positive integer, got ${chunkBytes}`);
    assert(Number.isInteger(buffersMax) && buffersMax > 0, `buffersMax must be a positive integer, got ${buffersMax}`);
  }

  get lentOut(): number {
    return this.allocated - this.free.length;
  }

  /** A free chunk, or undefined when buffersMax are lent out. */
  tryAcquire(): Buffer | undefined {
    const buf = this.free.pop();
    if (buf) return buf;
    if (this.allocated >= this.buffersMax) return undefined;
    this.allocated++;
    return Buffer.allocUnsafeSlow(this.chunkBytes);
  }

  /** Gives a buffer back; only once nothing (a pending read or socket write) still uses it. */
  release(buf: Buffer): void {
    if (buf.length !== this.chunkBytes) assertionFailed(`released a buffer of ${buf.length} bytes to a pool of ${this.chunkBytes}-byte chunks`);
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
  }
}
