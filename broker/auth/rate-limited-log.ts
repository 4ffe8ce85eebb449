/**
 * Lines about failed logins and denied requests, at most LINES_PER_SECOND_MAX a second: a client
 * guessing passwords or probing topics would otherwise write a line per attempt. The lines over
 * the limit are counted and the count is logged with the next line that gets through.
 */
import type { Logger } from '../../core/tokens.js';

export const LINES_PER_SECOND_MAX = 10;

export class RateLimitedLog {
  private windowStartMs = 0;
  private linesInWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly nowMs: () => number = Date.now,
  ) {}

  info(message: string): void {
    const now = this.nowMs();
    if (now - this.windowStartMs >= 1000) {
      this.windowStartMs = now;
      this.linesInWindow = 0;
    }
    if (this.linesInWindow >= LINES_PER_SECOND_MAX) {
      this.suppressed++;
      return;
    }
    this.linesInWindow++;
    const dropped = this.suppressed;
    this.suppressed = 0;
    this.logger.info(dropped > 0 ? `${message} (and ${dropped} more such lines not logged, over ${LINES_PER_SECOND_MAX} a second)` : message);
  }
}
