/**
 * acks=-1 waits for a flush that covers the batch. Concurrent produce requests to one log share
 * flushes: a request joins the next flush to START after its append (a flush already running may
 * have begun before the append was acknowledged, so it cannot be trusted to cover it). At most one
 * flush runs and one waits per log, however many producers wait.
 */
import type { Log } from '../core/log/log.js';

interface LogFlushState {
  running: Promise<void> | undefined;
  next: Promise<void> | undefined;
}

export class FlushCoalescer {
  private readonly state = new WeakMap<Log, LogFlushState>();
  flushes = 0;

  flush(log: Log): Promise<void> {
    let s = this.state.get(log);
    if (!s) this.state.set(log, (s = { running: undefined, next: undefined }));
    const st = s;
    if (!st.running) {
      st.running = this.run(log, st);
      return st.running;
    }
    st.next ??= st.running.then(
      () => this.startNext(log, st),
      () => this.startNext(log, st),
    );
    return st.next;
  }

  private startNext(log: Log, st: LogFlushState): Promise<void> {
    st.next = undefined;
    st.running = this.run(log, st);
    return st.running;
  }

  private async run(log: Log, st: LogFlushState): Promise<void> {
    this.flushes++;
    try {
      await log.flush();
    } finally {
      if (!st.next) st.running = undefined;
    }
  }
}
