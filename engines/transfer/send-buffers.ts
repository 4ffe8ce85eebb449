/**
 * The buffers one buffered send reads into: a chunk of the shared pool while it has one free,
 * else one of the send's own, smaller buffers (at most two: one being read, one being written).
 * So a send never waits for a chunk another send holds; what a client that stops reading can pin
 * is its own send's two buffers, and the pool's chunks only while its connection is open
 * (connections.max.idle.ms closes one whose send makes no progress).
 */
import { assert } from '../../core/errors.js';
import type { BufferPool } from './buffer-pool.js';

/** Own buffers of a send that found the pool empty: small, as there may be one pair per connection. */
export const SEND_OWN_BUFFER_BYTES = 64 * 1024;
const SEND_OWN_BUFFERS_MAX = 2;

export class SendBuffers {
  private readonly pooled = new Set<Buffer>();
  private readonly ownFree: Buffer[] = [];
  private ownAllocated = 0;

  constructor(
    private readonly pool: BufferPool,
    private readonly ownBytes = Math.min(SEND_OWN_BUFFER_BYTES, pool.chunkBytes),
  ) {}

  acquire(): Buffer {
    const chunk = this.pool.tryAcquire();
    if (chunk) {
      this.pooled.add(chunk);
      return chunk;
    }
    const own = this.ownFree.pop();
    if (own) return own;
    assert(this.ownAllocated < SEND_OWN_BUFFERS_MAX, `a send asked for a buffer with ${this.ownAllocated} of its own in use`);
    this.ownAllocated++;
    return Buffer.allocUnsafeSlow(this.ownBytes);
  }

  /** Once nothing (a read or a socket write) uses `buf` any more. */
  release(buf: Buffer): void {
    if (this.pooled.delete(buf)) this.pool.release(buf);
    else this.ownFree.push(buf);
  }

  /** `buf` may still be referenced by a write that will never complete: never reuse it. */
  discard(buf: Buffer): void {
    if (this.pooled.delete(buf)) this.pool.discard();
    else this.ownAllocated--;
  }
}
