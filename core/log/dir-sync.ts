/**
 * Directory syncs shared by the logs created together (group commit for directory entries): a
 * partition's new directory is a durable name once its parent (the data directory) is synced, and
 * logs created at the same time need one sync of the parent between them, not one each. A caller
 * is answered by a sync that started after it asked, so nothing is acknowledged early: while one
 * sync runs, the requests arriving meanwhile wait for the next one, which then covers them all.
 */
import fs from 'node:fs';

/** fsync of a directory off the event loop (libuv's pool), so concurrent creations go on meanwhile. */
export async function syncDirAsync(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class DirSyncGroup {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  /** fsyncs issued so far (tests and measurements read it). */
  syncs = 0;

  constructor(readonly dir: string) {}

  /** Resolves once a sync of the directory that started after this call has finished. */
  sync(): Promise<void> {
    if (this.running === undefined) return this.start();
    // one already runs: it may have started before this caller's entry was made
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.start();
      });
    return this.next;
  }

  private start(): Promise<void> {
    this.syncs++;
    const run = syncDirAsync(this.dir).finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}
