/**
 * `MemoryPool`, as Kafka's SimpleMemoryPool under queued.max.request.bytes: the bytes of requests
 * every connection holds at once, whole or partly received. A connection reserves a request's
 * size when it has read the size prefix, before it reads the body; when the reservation does not
 * fit it stops reading that socket (Kafka mutes the channel) and asks to be told when memory frees.
 *
 * Strict: a reservation never takes the pool past its capacity. Waiters are not queued in order:
 * on every release each one tries again, so a small request fits beside a large one still waiting
 * (Kafka's muted channels retry the same way), and no waiter blocks another.
 */
import { assert } from '../core/errors.js';

export class MemoryPool {
  private reserved = 0;
  private readonly waiters = new Set<() => void>();

  /** `capacityBytes` -1: unbounded (every reservation fits, nothing waits). */
  constructor(readonly capacityBytes: number) {
    assert(capacityBytes === -1 || (Number.isSafeInteger(capacityBytes) && capacityBytes > 0), `memory pool capacity must be -1 or positive, got ${capacityBytes}`);
  }

  get reservedBytes(): number {
    return this.reserved;
  }

  /** Reserves `bytes` if they fit; false (and nothing reserved) when they do not. */
  tryReserve(bytes: number): boolean {
    assert(Number.isSafeInteger(bytes) && bytes >= 0, `memory pool reservation of ${bytes} bytes`);
    if (this.capacityBytes !== -1 && this.reserved + bytes > this.capacityBytes) return false;
    this.reserved += bytes;
    return true;
  }

  release(bytes: number): void {
    assert(bytes >= 0 && bytes <= this.reserved, `memory pool: releasing ${bytes} bytes of ${this.reserved} reserved`);
    if (bytes === 0) return;
    this.reserved -= bytes;
    for (const wake of [...this.waiters]) {
      if (!this.waiters.has(wake)) continue; // removed by an earlier waiter's wake-up
      wake();
    }
  }

  /** Calls `wake` after every release until the returned function is called. */
  onRelease(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }

  get waiting(): number {
    return this.waiters.size;
  }
}
