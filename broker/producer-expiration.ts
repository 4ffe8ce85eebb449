/**
 * producer.id.expiration.ms for the broker's logs (Kafka's LogManager schedules the same check on
 * producer.id.expiration.check.interval.ms): every interval, each log that took idempotent appends
 * forgets the producers idle longer than the expiration. The state itself is the log's
 * (Log.producerState): checked and recorded at placement, snapshotted at roll and close.
 */
import type { Log } from '../core/log/log.js';

export class ProducerExpiration {
  /** By directory: a log reopened after a storage failure replaces the one it was. */
  private readonly logs = new Map<string, Log>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly producerIdExpirationMs: number,
    expirationCheckIntervalMs: number,
  ) {
    this.timer = setInterval(() => this.removeExpired(), expirationCheckIntervalMs);
    this.timer.unref();
  }

  /** A log that took an idempotent append: its producers expire from now on. */
  track(log: Log): void {
    this.logs.set(log.dir, log);
  }

  private removeExpired(): void {
    const now = Date.now();
    for (const log of this.logs.values()) log.producerState.manager?.removeExpiredProducers(now, this.producerIdExpirationMs);
  }

  /** The log is being deleted: nothing of it to expire. */
  forget(log: Log): void {
    if (this.logs.get(log.dir) === log) this.logs.delete(log.dir);
  }

  close(): void {
    clearInterval(this.timer);
    this.logs.clear();
  }
}
