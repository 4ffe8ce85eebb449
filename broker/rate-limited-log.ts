/**
 * One log line per interval for a kind of event a client can repeat at will (refused
 * connections, failed TLS handshakes): the first is logged, the rest of the interval only counted,
 * and the next line says how many were not logged. A client hammering the broker must not turn
 * into a log line per attempt.
 */

/** At most one line per this interval; the next line counts the ones in between. */
export const RATE_LIMITED_LOG_INTERVAL_MS = 10_000;

export class RateLimitedLog {
  private suppressed = 0;
  private lastLineMs = -Infinity;

  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => number = Date.now,
    private readonly intervalMs = RATE_LIMITED_LOG_INTERVAL_MS,
  ) {}

  log(line: string): void {
    const now = this.now();
    if (now - this.lastLineMs < this.intervalMs) {
      this.suppressed++;
      return;
    }
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.lastLineMs = now;
    this.write(suppressed > 0 ? `${line} (${suppressed} more since the last such line, not logged one by one)` : line);
  }
}
