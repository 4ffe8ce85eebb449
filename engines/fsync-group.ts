/**
 * `fsync-group`: group commit. An append whose write has completed joins the next fdatasync; while
 * one runs, every append that completes meanwhile waits for the following one, which then covers
 * them all. Each append is acknowledged only after a sync that started after its write finished,
 * so it is covered; concurrent appenders share syncs instead of queueing one each.
 */
import type { StorageEngine } from '../core/engine.js';
import { fdatasyncFd } from './fs-io.js';
import { PwriteSegmentFile, type FollowedFile, type WriteFollower } from './pwrite-file.js';
import { RUN_WAITERS_QUEUED_MAX, RunCoalescer } from './run-coalescer.js';
import { PAGE_CACHE_INLINE } from './write-coalescer.js';

/**
 * Starts a sync when the writes in flight have all landed (so one sync covers everyone who is
 * about to ask), or after SYNC_DELAY_MS_MAX when writes keep arriving, so a steady stream cannot
 * postpone a waiting append indefinitely.
 */
const SYNC_DELAY_MS_MAX = 1;
/**
 * Syncs in flight at once. One at a time leaves the disk idle while the next group gathers; a few
 * overlapping ones keep it busy (a device or host may coalesce concurrent flushes), and each still
 * covers a whole group instead of one append. Half of libuv's 4 threads, leaving room for writes.
 */
const SYNCS_IN_FLIGHT_MAX = 2;

/**
 * The fdatasync runs of one segment file: every append whose write completed queues for the next
 * sync, which takes all of them. A failed sync fails its own group only: the Log fails every
 * append behind it anyway (in offset order), and the next group gets a sync of its own.
 */
export class GroupCommitter implements WriteFollower {
  private readonly syncs: RunCoalescer<undefined>;
  private timer: NodeJS.Timeout | undefined;
  /** Set while the delay timer starts a sync regardless of the writes in flight. */
  private overdue = false;
  private readonly startSyncs = () => this.syncs.startRuns();
  /** Waiting for the syncs queued and in flight to settle (the file is closing). */
  private settledWaiters: (() => void)[] = [];
  private readonly onOverdue = () => {
    this.timer = undefined;
    this.overdue = true;
    try {
      this.syncs.startRuns();
    } finally {
      this.overdue = false;
    }
  };

  constructor(private readonly file: FollowedFile) {
    // the waiters are appends whose write completed, at most one each: bounded like the writer's queue
    const limits = { runsInFlightMax: SYNCS_IN_FLIGHT_MAX, waitersQueuedMax: RUN_WAITERS_QUEUED_MAX, waitersPerRunMax: RUN_WAITERS_QUEUED_MAX, onFailure: 'fail-run' } as const;
    this.syncs = new RunCoalescer(`group commit of ${file.path}`, limits, {
      mayStart: () => this.mayStartSync(),
      take: (queue) => queue.length,
      run: () => fdatasyncFd(this.file.fd, this.file.io),
      idle: () => {
        for (const wake of this.settledWaiters.splice(0)) wake();
      },
    });
  }

  afterWrite(): Promise<void> {
    const synced = this.syncs.enqueue(undefined, 0);
    // the appends written by one coalesced write all get here in the same microtask turn:
    // deciding after them lets one fdatasync cover the whole group
    if (this.syncs.queued === 1) queueMicrotask(this.startSyncs);
    return synced;
  }

  settled(): Promise<void> {
    if (this.syncs.pending === 0) return Promise.resolve();
    this.syncs.startRuns();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /** The writer has nothing in flight: a sync now covers every completed write. */
  writesIdle(): void {
    this.syncs.startRuns();
  }

  /** Now when no write is in flight (or the delay ran out); otherwise within SYNC_DELAY_MS_MAX. */
  private mayStartSync(): boolean {
    if (!this.overdue && this.file.writesInFlight > 0) {
      this.timer ??= setTimeout(this.onOverdue, SYNC_DELAY_MS_MAX);
      return false;
    }
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    return true;
  }
}

export const fsyncGroupEngine: StorageEngine = {
  name: 'fsync-group',
  supports: { durableAppend: true, groupCommit: true, preallocate: true, native: false },
  open: (path, options) =>
    PwriteSegmentFile.open(path, options, {
      // the page-cache write inline while the writer is idle, like pwrite: a threadpool round trip
      // costs more than the write it carries (the engines workload's threadpool-only rows,
      // results/engines/); the fdatasync stays in the threadpool
      inline: PAGE_CACHE_INLINE,
      follower: (file) => new GroupCommitter(file),
    }),
};
