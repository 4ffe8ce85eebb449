/**
 * Closes a connection whose response makes no progress for connections.max.idle.ms: Kafka closes a
 * channel with no read or write for that long, and a send the client does not read is such a
 * channel. Progress is reported by whatever writes the response (a socket write's callback, the
 * transfer's onProgress) and costs one clock read; the timer is re-armed only when it expires, for
 * what is left of the period since the last progress, so the close comes exactly
 * connections.max.idle.ms after the last byte left.
 *
 * Node's own socket timeout cannot do this: it gives a write still queued one more period before
 * it reports, so a stalled send would be closed only after twice the setting.
 */
import { assert } from '../core/errors.js';

export class SendWatchdog {
  private lastProgressMs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly idleMs: number,
    private readonly onStalled: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    assert(Number.isFinite(idleMs) && idleMs > 0, `SendWatchdog: idle period must be positive, got ${idleMs}`);
  }

  /** A send begins. */
  start(): void {
    this.lastProgressMs = this.now();
    if (!this.timer) this.arm(this.idleMs);
  }

  /** Bytes left for the peer (or at least for the kernel). */
  readonly progress = (): void => {
    this.lastProgressMs = this.now();
  };

  /** The send is over (done or failed). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.check(), ms);
    this.timer.unref();
  }

  private check(): void {
    const quietMs = this.now() - this.lastProgressMs;
    if (quietMs < this.idleMs) {
      this.arm(this.idleMs - quietMs);
      return;
    }
    this.timer = undefined;
    this.onStalled();
  }
}
