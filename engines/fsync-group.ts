/**
 * `fsync-group`: group commit. An append whose write has completed joins the next fdatasync; while
 * one runs, every append that completes meanwhile waits for the following one, which then covers
 * them all. Each append is acknowledged only after a sync that started after its write finished,
 * so it is covered; concurrent appenders share syncs instead of queueing one each.
 */
import type { StorageEngine } from '../core/engine.js';
import { fdatasyncFd } from './fs-io.js';
import { PwriteSegmentFile } from './pwrite-file.js';

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

class GroupCommitter {
  private running = false;
  /** Appends waiting for the next sync; bounded by the appends in flight, which the Log bounds. */
  private next: Waiter[] = [];

  constructor(private readonly fd: number) {}

  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.next.push({ resolve, reject });
      if (!this.running) this.run();
    });
  }

  private run(): void {
    const group = this.next;
    this.next = [];
    this.running = true;
    fdatasyncFd(this.fd).then(
      () => this.finish(group, undefined),
      (err: unknown) => this.finish(group, err ?? new Error('fdatasync failed')),
    );
  }

  private finish(group: Waiter[], err: unknown): void {
    this.running = false;
    for (const w of group) (err ? w.reject(err) : w.resolve());
    if (this.next.length > 0) this.run();
  }
}

export const fsyncGroupEngine: StorageEngine = {
  name: 'fsync-group',
  supports: { durableAppend: true, groupCommit: true, preallocate: true, native: false },
  open: async (path, options) => {
    let committer: GroupCommitter | undefined;
    return PwriteSegmentFile.open(path, options, (file) => {
      committer ??= new GroupCommitter(file.fd);
      return committer.sync();
    });
  },
};
