/**
 * Log lines about events a client can repeat at will (refused connections, failed TLS handshakes,
 * failed logins, denied requests), at most `linesMax` per `intervalMs`: the rest of the interval
 * is only counted, and the next line that gets through says how many were not logged. A client
 * hammering the broker must not turn into a log line per attempt.
 */

export interface LogRate {
  linesMax: number;
  intervalMs: number;
}

/** Refused connections and failed handshakes: one line per interval is enough to see a flood. */
export const REFUSALS_LOG_RATE: LogRate = { linesMax: 1, intervalMs: 10_000 };
/** Failed logins and denials name principals and resources, so a few more of them are kept. */
export const DENIALS_LOG_RATE: LogRate = { linesMax: 10, intervalMs: 1000 };

export class RateLimitedLog {
  private suppressed = 0;
  private windowStartMs = -Infinity;
  private linesInWindow = 0;

  constructor(
    private readonly write: (line: string) => void,
    private readonly rate: LogRate = REFUSALS_LOG_RATE,
    private readonly nowMs: () => number = Date.now,
  ) {
    if (!(rate.linesMax >= 1 && rate.intervalMs > 0)) throw new Error(`RateLimitedLog: bad rate ${JSON.stringify(rate)}`);
  }

  log(line: string): void {
    const now = this.nowMs();
    if (now - this.windowStartMs >= this.rate.intervalMs) {
      this.windowStartMs = now;
      this.linesInWindow = 0;
    }
    if (this.linesInWindow >= this.rate.linesMax) {
      this.suppressed++;
      return;
    }
    this.linesInWindow++;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.write(suppressed > 0 ? `${line} (${suppressed} more such lines not logged since the last one)` : line);
  }
}
