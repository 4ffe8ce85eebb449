/**
 * The engines' one "collect requests while a run is in flight, then do the next run for all of
 * them" mechanism. A request waits in a bounded queue; a run takes some of the queue from its head
 * (in arrival order), does one operation for all of them (a pwritev of their bytes, one fdatasync)
 * and settles exactly their promises. Up to `runsInFlightMax` runs overlap; the policy says when
 * the next may start (now, or later, when its owner calls startRuns() again) and how much it takes.
 *
 * Two users: the segment writer (write-coalescer.ts: contiguous appends in one pwritev, a second
 * write beside the first once 256 KiB queued) and group commit (fsync-group.ts: one fdatasync for
 * every append whose write has completed). The Log's ack queue (core/log/append-sequencer.ts) is
 * not one: it does no run, it releases acknowledgements in offset order as they land.
 *
 * Failure: 'fail-run' rejects the failed run's waiters only (the next run may succeed: a sync);
 * 'fail-all' also rejects everything queued and every later request, with the first error (after a
 * failed, possibly partial write the positions of the bytes behind it are unknown).
 */
import { assertionFailed } from '../core/errors.js';

/**
 * Waiters one coalescer may hold queued. The Log keeps at most APPENDS_IN_FLIGHT_MAX (1024)
 * appends in flight per log, each one waiter here, so it never comes near this; a caller of a
 * SegmentFile that queues more has lost its own bound, which is an assertion failure.
 */
export const RUN_WAITERS_QUEUED_MAX = 4096;

/** A queued request: what it carries, its weight against the limits, and its promise's settlers. */
export interface RunWaiter<T> {
  readonly item: T;
  /** Bytes for a write, 0 for a sync: what `mayStart` sees summed as `queuedWeight`. */
  readonly weight: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export interface RunLimits {
  /** Runs in flight at once (1: each run waits for the one before). */
  runsInFlightMax: number;
  /** Waiters queued for a later run; more is an assertion failure (see RUN_WAITERS_QUEUED_MAX). */
  waitersQueuedMax: number;
  /** Waiters one run may take (1: no coalescing). */
  waitersPerRunMax: number;
  onFailure: 'fail-run' | 'fail-all';
}

export interface RunPolicy<T> {
  /**
   * Whether a run may start now, with `runsInFlight` (below the limit) already running and
   * `queuedWeight` waiting. False leaves the queue as it is: the owner calls startRuns() later.
   */
  mayStart(runsInFlight: number, queuedWeight: number): boolean;
  /** How many waiters from the head of `queue` (never empty) the next run takes: 1..queue.length. */
  take(queue: readonly RunWaiter<T>[]): number;
  /** Does one run for `waiters`, whose weights add up to `weight`. */
  run(waiters: readonly RunWaiter<T>[], weight: number): Promise<void>;
  /** After a run settled its waiters, when nothing is queued or running any more. */
  idle?(): void;
}

export class RunCoalescer<T> {
  private queue: RunWaiter<T>[] = [];
  private queuedWeight = 0;
  private runsInFlight = 0;
  private waitersRunning = 0;
  private failed = false;
  private failure: unknown = undefined;
  /** Runs started since construction, and the most that were in flight at once. */
  runsStarted = 0;
  runsInFlightPeak = 0;

  constructor(
    /** Names the coalescer in assertion messages (e.g. "writes to /data/t-0/...log"). */
    private readonly name: string,
    private readonly limits: RunLimits,
    private readonly policy: RunPolicy<T>,
  ) {
    const { runsInFlightMax, waitersQueuedMax, waitersPerRunMax } = limits;
    for (const [key, value] of Object.entries({ runsInFlightMax, waitersQueuedMax, waitersPerRunMax })) {
      if (!(Number.isSafeInteger(value) && value >= 1)) assertionFailed(`${name}: ${key} ${value} must be a positive integer`);
    }
  }

  /** Waiters queued for a run that has not started. */
  get queued(): number {
    return this.queue.length;
  }

  /** The weight of the waiters queued for a run that has not started. */
  get weightQueued(): number {
    return this.queuedWeight;
  }

  /** Waiters queued or in a run in flight. */
  get pending(): number {
    return this.queue.length + this.waitersRunning;
  }

  /** Nothing queued and no run in flight. */
  get idle(): boolean {
    return this.queue.length === 0 && this.runsInFlight === 0;
  }

  /** With 'fail-all': whether a run (or fail()) failed; every request since is rejected. */
  get hasFailed(): boolean {
    return this.failed;
  }

  /** The first failure, with 'fail-all' (what every later request is rejected with). */
  get firstFailure(): unknown {
    return this.failure;
  }

  /**
   * Queues a request for a later run; its promise settles with that run. Starts nothing: the
   * owner calls startRuns() when it wants the decision made (at once, or after a microtask so that
   * requests made in the same turn share a run).
   */
  enqueue(item: T, weight: number): Promise<void> {
    if (this.failed) return Promise.reject(this.failure);
    if (this.queue.length >= this.limits.waitersQueuedMax) assertionFailed(`${this.name}: more than ${this.limits.waitersQueuedMax} waiters queued`);
    if (!(Number.isSafeInteger(weight) && weight >= 0)) assertionFailed(`${this.name}: weight ${weight} must be a non-negative integer`);
    return new Promise((resolve, reject) => {
      this.queue.push({ item, weight, resolve, reject });
      this.queuedWeight += weight;
    });
  }

  /** Starts runs while something is queued, a run may be added and the policy agrees. */
  startRuns(): void {
    while (this.queue.length > 0 && this.runsInFlight < this.limits.runsInFlightMax && !this.failed) {
      if (!this.policy.mayStart(this.runsInFlight, this.queuedWeight)) return;
      this.startRun();
    }
  }

  /**
   * Marks the coalescer failed from outside a run (the writer's inline write failed): with
   * 'fail-all', rejects everything queued and every later request with `err`. The first wins.
   */
  fail(err: unknown): void {
    if (this.failed || this.limits.onFailure !== 'fail-all') return;
    this.failed = true;
    this.failure = err;
    const queued = this.queue;
    this.queue = [];
    this.queuedWeight = 0;
    for (const w of queued) w.reject(err);
  }

  private startRun(): void {
    const take = this.policy.take(this.queue);
    if (!(Number.isSafeInteger(take) && take >= 1 && take <= this.queue.length && take <= this.limits.waitersPerRunMax)) {
      assertionFailed(`${this.name}: a run took ${take} of ${this.queue.length} waiters (at most ${this.limits.waitersPerRunMax})`);
    }
    let waiters: RunWaiter<T>[];
    if (take === this.queue.length) {
      waiters = this.queue;
      this.queue = [];
    } else {
      waiters = this.queue.splice(0, take);
    }
    let weight = 0;
    for (const w of waiters) weight += w.weight;
    this.queuedWeight -= weight;
    this.runsInFlight++;
    if (this.runsInFlight > this.runsInFlightPeak) this.runsInFlightPeak = this.runsInFlight;
    this.runsStarted++;
    this.waitersRunning += waiters.length;
    let running: Promise<void>;
    try {
      running = this.policy.run(waiters, weight);
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(
      () => this.complete(waiters, undefined),
      (err: unknown) => this.complete(waiters, err ?? new Error(`${this.name}: run failed`)),
    );
  }

  /**
   * Settles one finished run. Overlapping runs may finish out of order: a waiter hears when its
   * own run does (the Log orders acknowledgements itself). The next run starts before the
   * waiters hear, so it is already in the threadpool while their callbacks run.
   */
  private complete(waiters: RunWaiter<T>[], err: unknown): void {
    this.runsInFlight--;
    this.waitersRunning -= waiters.length;
    if (this.runsInFlight < 0 || this.waitersRunning < 0) assertionFailed(`${this.name}: ${this.runsInFlight} runs, ${this.waitersRunning} waiters in flight after a run`);
    if (err !== undefined) this.fail(err);
    this.startRuns();
    if (err === undefined) for (const w of waiters) w.resolve();
    else for (const w of waiters) w.reject(err);
    if (this.policy.idle !== undefined && this.pending === 0) this.policy.idle();
  }
}
