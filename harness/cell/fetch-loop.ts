/**
 * The broker side of a consumer in a cell: read a partition's log and hand the slices to the
 * cell's Transfer, following the log as appends land.
 */
import type { BenchLog } from '../bench-log.js';
import type { CellComponents } from '../components.js';
import type { ConsumerHandle } from '../consumer.js';

/** Bytes a fetch may return (Kafka's max.partition.fetch.bytes default). */
export const FETCH_BYTES_MAX = 1024 * 1024;

/** Resolves waiters whenever an append completes (tailing fetchers wait on it). */
export class AppendSignal {
  private waiters: (() => void)[] = [];
  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** Sends a partition's log from `from` to the socket until `done()` and caught up; returns bytes sent. */
export async function fetchLoop(log: BenchLog, components: CellComponents, consumer: ConsumerHandle, partition: number, from: number, done: () => boolean, signal: AppendSignal): Promise<number> {
  const socket = consumer.sockets[partition]!;
  let next = from;
  let sent = 0;
  for (;;) {
    if (next < log.logEndOffset) {
      const r = await log.read(next, FETCH_BYTES_MAX);
      if (r.bytes > 0) {
        sent += await components.transfer.send(socket, r.slices);
        next = r.nextOffset;
        continue;
      }
    }
    if (done()) return sent;
    await signal.wait();
  }
}
