/**
 * `fsync-group`: group commit. An append whose write has completed joins the next fdatasync; while
 * one runs, every append that completes meanwhile waits for the following one, which then covers
 * them all. Each append is acknowledged only after a sync that started after its write finished,
 * so it is covered; concurrent appenders share syncs instead of queueing one each.
 */
import type { StorageEngine } from '../core/engine.js';
import { fdatasyncFd } from './fs-io.js';
import { PwriteSegmentFile } from './pwrite-file.js';
import { PAGE_CACHE_INLINE } from './write-coalescer.js';

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Starts a sync when the writes in flight have all landed (so one sync covers everyone who is
 * about to ask), or after SYNC_DELAY_MS_MAX when writes keep arriving, so a steady stream cannot
 * postpone a waiting append indefinitely.
 */
const SYNC_DELAY_MS_MAX = 1;
/**
 * Syncs in flight at once. One at a time leaves the disk idle while the next group gathers; a few
 * overlapping ones keep it busy (on this VM the host coalesces concurrent flushes), and each still
 * covers a whole group instead of one append. Half of libuv's 4 threads, leaving room for writes.
 */
const SYNCS_IN_FLIGHT_MAX = 2;

class GroupCommitter {
  private running = 0;
  /** Appends waiting for the next sync; bounded by the appends in flight, which the Log bounds. */
  private next: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly file: PwriteSegmentFile) {
    file.onWritesIdle = () => this.maybeRun(false);
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.next.push({ resolve, reject });
      // the appends written by one coalesced write all call sync() in the same microtask turn:
      // deciding after them lets one fdatasync cover the whole group
      if (this.next.length === 1) queueMicrotask(() => this.maybeRun(false));
    });
  }

  private maybeRun(force: boolean): void {
    if (this.running >= SYNCS_IN_FLIGHT_MAX || this.next.length === 0) return;
    if (!force && this.file.writesInFlight > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.maybeRun(true);
      }, SYNC_DELAY_MS_MAX);
      return;
    }
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const group = this.next;
    this.next = [];
    this.running++;
    fdatasyncFd(this.file.fd, this.file.io).then(
      () => this.finish(group, undefined),
      (err: unknown) => this.finish(group, err ?? new Error('fdatasync failed')),
    );
  }

  private finish(group: Waiter[], err: unknown): void {
    this.running--;
    for (const w of group) (err ? w.reject(err) : w.resolve());
    this.maybeRun(false);
  }
}

export const fsyncGroupEngine: StorageEngine = {
  name: 'fsync-group',
  supports: { durableAppend: true, groupCommit: true, preallocate: true, native: false },
  open: async (path, options) => {
    let committer: GroupCommitter | undefined;
    return PwriteSegmentFile.open(path, options, {
      // the page-cache write inline while the writer is idle, like pwrite: 16 appenders of 4 KiB
      // got ~20% more records/s than with every write through the threadpool (core benchmark,
      // results/core/core-2026-11-22T01-39-53-340Z.md 23,118 -> -01-44-17-254Z.md 28,093);
      // the fdatasync stays in the threadpool
      inline: PAGE_CACHE_INLINE,
      afterWrite: (file) => {
        committer ??= new GroupCommitter(file);
        return committer.sync();
      },
    });
  },
};
