/**
 * Bounds on decompression in the broker: without them a produce of a few MB of gzip or zstd can
 * expand to gigabytes of memory and many seconds of CPU. Two bounds:
 *  - per request, `RequestDecompressionBudget`: the decompressed bytes all batches of one Produce
 *    request may expand to (the CPU one request can cost); a connection handles one request at a
 *    time, so this is also the bound per connection;
 *  - per process, `DecompressionLimiter`: decompressed bytes held at once across all connections
 *    (the memory), each batch reserving the most it may expand to before it starts, and at most
 *    DECOMPRESSIONS_AT_ONCE_MAX batches at once, so gzip and zstd (which inflate in libuv's
 *    threadpool) leave threads for the engines' writes and syncs. Waiters are served first come
 *    first served, and a request validates its batches one after another, so a connection has at
 *    most one batch waiting: a bomb-laden request cannot push other clients' batches behind all of
 *    its own.
 * And a request hands the event loop back after every DECODE_SLICE_BYTES it decompressed or
 * walked (`count`, `yieldIfDue`), so many small batches cannot hold it either.
 */
import { SlicedDecompressionBudget } from '../core/log/log-validator.js';

/** Decompressed bytes one Produce request may expand to, in all of its batches and partitions. */
export const PRODUCE_DECOMPRESSED_BYTES_PER_REQUEST_MAX = 256 * 1024 * 1024;
/** Decompressed bytes held at once by all connections' validations. */
export const DECOMPRESSION_IN_FLIGHT_BYTES_MAX = 64 * 1024 * 1024;
/** Batches decompressed at once: half of libuv's default threadpool of 4. */
export const DECOMPRESSIONS_AT_ONCE_MAX = 2;

export class RequestDecompressionBudget extends SlicedDecompressionBudget {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(bytesMax: number = PRODUCE_DECOMPRESSED_BYTES_PER_REQUEST_MAX) {
    super(bytesMax, 'one Produce request');
  }

  /** Runs `work` after every earlier call's work settled: one validation at a time per request. */
  serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

interface Waiter {
  bytes: number;
  start: () => void;
}

export class DecompressionLimiter {
  private inFlightBytes = 0;
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    readonly inFlightBytesMax: number = DECOMPRESSION_IN_FLIGHT_BYTES_MAX,
    readonly atOnceMax: number = DECOMPRESSIONS_AT_ONCE_MAX,
  ) {}

  /** Runs `work` once `bytes` fit (alone, when larger than the whole bound), then frees them. */
  async run<T>(bytes: number, work: () => Promise<T>): Promise<T> {
    await this.acquire(bytes);
    try {
      return await work();
    } finally {
      this.release(bytes);
    }
  }

  get heldBytes(): number {
    return this.inFlightBytes;
  }

  get waiters(): number {
    return this.waiting.length;
  }

  private fits(bytes: number): boolean {
    return this.running === 0 || (this.running < this.atOnceMax && this.inFlightBytes + bytes <= this.inFlightBytesMax);
  }

  private acquire(bytes: number): Promise<void> {
    if (this.waiting.length === 0 && this.fits(bytes)) {
      this.inFlightBytes += bytes;
      this.running++;
      return Promise.resolve();
    }
    return new Promise<void>((start) => this.waiting.push({ bytes, start }));
  }

  private release(bytes: number): void {
    this.inFlightBytes -= bytes;
    this.running--;
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) {
      const next = this.waiting.shift()!;
      this.inFlightBytes += next.bytes;
      this.running++;
      next.start();
    }
  }
}
