/**
 * The segment writer of the pwrite-family engines. An append that finds the writer idle is written
 * inline, on the calling thread, unless a recent inline write was slow (InlineWrites). Otherwise it
 * goes to libuv's threadpool: appends that arrive while a write is in flight queue up and the next
 * write takes them all in one pwritev, since their positions are contiguous; a second write may run
 * beside the first once enough has queued. Under load this turns many threadpool round trips (and
 * writers contending for the inode lock) into a few large writes. With the SERIAL limits
 * (fsync-per-write) every append gets its own write. The queue and its runs are a RunCoalescer
 * (run-coalescer.ts), shared with group commit.
 */
import { APPEND_LANDED } from '../core/engine.js';
import { assertionFailed } from '../core/errors.js';
import { pwritevAll, pwritevAllSync } from './fs-io.js';
import { IoStats } from './io-stats.js';
import { RUN_WAITERS_QUEUED_MAX, RunCoalescer, type RunWaiter } from './run-coalescer.js';

/** Linux's IOV_MAX: chunks one writev may take. */
const CHUNKS_PER_WRITE_MAX = 1024;
/** Bytes one write may take, so a long queue is written in bounded steps. */
const BYTES_PER_WRITE_MAX = 8 * 1024 * 1024;
/**
 * Writes in flight per segment file. A second write queued in the threadpool while the first one
 * copies hides the round trip between them (1 MiB writes, 512 MB: 131 ms with one in flight, 110
 * with two, 102 with four, measured here); more than two buys little, and each holds a pool thread.
 */
const WRITES_IN_FLIGHT_MAX = 2;
/** Queued bytes that justify a second write in flight; less waits and joins the next write. */
const PIPELINE_BYTES_MIN = 256 * 1024;

/** How much a WriteCoalescer may coalesce and overlap, and whether it may write inline. */
export interface CoalescerLimits {
  appendsPerWriteMax: number;
  writesInFlightMax: number;
  /** Write on the calling thread when nothing is queued or in flight (undefined: never). */
  inline?: InlineWrites;
}

/**
 * Inline writes: an append that finds the writer idle is written at once on the calling thread, as
 * Kafka's handler threads and fio's psync write. A page-cache copy is usually
 * shorter than a threadpool round trip (both measured by `npm run bench:core`, results/engines/), so
 * this is the fast path. But the kernel may make a buffered write wait (dirty-page throttling, a journal
 * commit) and the event loop waits with it; so a write that took longer than `slowWriteMs` sends the
 * writer to libuv's threadpool for `poolPauseMs`, and a throttled disk stalls the loop at most once
 * per pause instead of on every append.
 */
export interface InlineWrites {
  slowWriteMs: number;
  poolPauseMs: number;
}

/** The pwrite engine's inline rule: 2 ms is ~130 x a 64 KiB page-cache write here. */
export const PAGE_CACHE_INLINE: InlineWrites = { slowWriteMs: 2, poolPauseMs: 1000 };

/** fsync-per-write's inline rule for O_DSYNC writes: 10 ms is ~50 x a 4 KiB durable write here. */
export const DURABLE_INLINE: InlineWrites = { slowWriteMs: 10, poolPauseMs: 1000 };

/**
 * The -blocking engines: every write inline, however long it takes (never the threadpool, so the
 * queue stays empty). A reference for benchmarks, fio's psync exactly, for a process or worker that
 * does nothing but append: a slow disk stalls its event loop on every append.
 */
export const ALWAYS_INLINE: InlineWrites = { slowWriteMs: Number.POSITIVE_INFINITY, poolPauseMs: 0 };

export const COALESCE: CoalescerLimits = { appendsPerWriteMax: Number.MAX_SAFE_INTEGER, writesInFlightMax: WRITES_IN_FLIGHT_MAX };

/**
 * One pwritev per append, one at a time, in call order: the fsync-per-write engine's writer on an
 * O_DSYNC descriptor, where every append must carry its own sync. Neither coalescing (which would
 * be group commit in user space) nor overlapping writes (ext4's journal then commits the
 * overlapping O_DSYNC writes together: group commit in the kernel) — so the engine measures what it
 * is named after, one sync per append, like Kafka's flush.messages=1, which flushes under the log
 * lock.
 */
export const SERIAL: CoalescerLimits = { appendsPerWriteMax: 1, writesInFlightMax: 1 };

/** Told when the writer has nothing queued or being written (group commit waits for that moment). */
export interface WritesIdleListener {
  writesIdle(): void;
}

/** For a writer nobody follows (pwrite, fsync-per-write). */
export const NO_IDLE_LISTENER: WritesIdleListener = { writesIdle: () => {} };

export class WriteCoalescer {
  /** Threadpool writes: queued appends and the pwritev runs that take them. */
  private readonly runs: RunCoalescer<readonly Buffer[]>;
  /** performance.now() before which writes go to the threadpool (after a slow inline write). */
  private poolUntilMs = 0;
  /** Writes made on the calling thread (write calls, not appends). */
  inlineWrites = 0;

  constructor(
    private readonly fd: number,
    /**
     * Where the next append goes: the end of everything written or queued (at first, the file's
     * valid size). The one record of the file's write position; a run's position follows from it.
     */
    private endPosition: number,
    /** Told when no append is queued or being written. */
    private readonly listener: WritesIdleListener = NO_IDLE_LISTENER,
    private readonly limits: CoalescerLimits = COALESCE,
    /** Where the system calls are counted (the segment file's stats). */
    readonly stats: IoStats = new IoStats(),
    /** Names the writer in assertion messages (the segment file's path). */
    name = `fd ${fd}`,
  ) {
    const runLimits = { runsInFlightMax: limits.writesInFlightMax, waitersQueuedMax: RUN_WAITERS_QUEUED_MAX, waitersPerRunMax: limits.appendsPerWriteMax, onFailure: 'fail-all' } as const;
    this.runs = new RunCoalescer(`writes to ${name}`, runLimits, {
      // a write of what is queued when nothing is being written (an append alone pays no waiting),
      // or, with one write in flight, once enough has queued up to be worth a second one: it then
      // waits in the threadpool while the first copies, instead of after it
      mayStart: (writesInFlight, queuedBytes) => writesInFlight === 0 || queuedBytes >= PIPELINE_BYTES_MIN,
      take: (queue) => this.appendsForOneWrite(queue),
      run: (appends, bytes) => this.pwritev(appends, bytes),
      idle: () => this.listener.writesIdle(),
    });
  }

  /** The most threadpool writes that were in flight at once (what the overlap limit allows). */
  get writesInFlightMax(): number {
    return this.runs.runsInFlightPeak;
  }

  /** Writes made through the threadpool (write calls, not appends). */
  get threadpoolWrites(): number {
    return this.runs.runsStarted;
  }

  /** The end of everything written or queued: where the next append goes. */
  get endBytes(): number {
    return this.endPosition;
  }

  /** After a truncate: the next append goes to `position`. Only when nothing is pending. */
  reset(position: number): void {
    if (this.runs.pending !== 0) assertionFailed(`write position reset to ${position} with ${this.runs.pending} appends pending`);
    this.endPosition = position;
  }

  /** Appends queued or being written. */
  get pending(): number {
    return this.runs.pending;
  }

  /** Writes `chunks` right after everything written or queued before. */
  write(chunks: readonly Buffer[], bytes: number): Promise<void> {
    if (this.runs.hasFailed) {
      this.endPosition += bytes;
      return Promise.reject(this.runs.firstFailure);
    }
    if (this.limits.inline !== undefined && this.runs.idle) {
      const startMs = performance.now();
      if (startMs >= this.poolUntilMs) return this.writeInline(chunks, bytes, startMs, this.limits.inline);
    }
    // queued first: an append the queue refuses outright (an assertion) leaves the position as it was
    const written = this.runs.enqueue(chunks, bytes);
    this.endPosition += bytes;
    this.runs.startRuns();
    return written;
  }

  /**
   * The idle writer's write on the calling thread (see InlineWrites): APPEND_LANDED, or the error,
   * which then fails every later write too (the file may hold part of this one).
   */
  private writeInline(chunks: readonly Buffer[], bytes: number, startMs: number, inline: InlineWrites): Promise<void> {
    const position = this.endPosition;
    this.endPosition += bytes;
    try {
      this.inlineWrites++;
      pwritevAllSync(this.fd, chunks, bytes, position, this.stats);
      return APPEND_LANDED;
    } catch (err) {
      this.runs.fail(err);
      return Promise.reject(err);
    } finally {
      const elapsedMs = performance.now() - startMs;
      if (elapsedMs > inline.slowWriteMs) this.poolUntilMs = startMs + elapsedMs + inline.poolPauseMs;
      this.listener.writesIdle();
    }
  }

  /** How many queued appends one pwritev takes: the limits' appends, IOV_MAX chunks, 8 MiB (one at least). */
  private appendsForOneWrite(queue: readonly RunWaiter<readonly Buffer[]>[]): number {
    let chunkCount = 0;
    let bytes = 0;
    let take = 0;
    while (take < queue.length) {
      const p = queue[take]!;
      if (take > 0 && (take >= this.limits.appendsPerWriteMax || chunkCount + p.item.length > CHUNKS_PER_WRITE_MAX || bytes + p.weight > BYTES_PER_WRITE_MAX)) break;
      chunkCount += p.item.length;
      bytes += p.weight;
      take++;
    }
    return take;
  }

  /**
   * One threadpool write of `appends`, contiguous from the next position. Two writes in flight may
   * finish out of order; the Log acknowledges appends in offset order (and fails every append
   * behind a failed one), so this writer need not.
   */
  private pwritev(appends: readonly RunWaiter<readonly Buffer[]>[], bytes: number): Promise<void> {
    const chunks = appends.length === 1 ? appends[0]!.item : appends.flatMap((p) => p.item);
    // runs take the queue's head, so this one starts where the appends still queued behind it do not
    const position = this.endPosition - this.runs.weightQueued - bytes;
    return pwritevAll(this.fd, chunks, position, this.stats);
  }
}
