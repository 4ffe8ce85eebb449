/**
 * The null engine of the produce ceiling: appends that do no I/O. The same harness and Log over it
 * show how fast the load generator and everything above the engine can go; a real engine's figure
 * means something only well below that (run-bench.ts reports the harness as the limit otherwise).
 * Not registered: it is the harness's instrument, never an engine a user can pick.
 */
import { open } from 'node:fs/promises';
import { APPEND_LANDED, type SegmentFile, type SegmentFileStats, type StorageEngine } from '../../core/engine.js';

class NullSegmentFile implements SegmentFile {
  private size = 0;
  private readonly counts: SegmentFileStats = { appends: 0, appendedBytes: 0, writes: 0, writtenBytes: 0, syncs: 0 };
  private closed = false;

  constructor(
    readonly path: string,
    private readonly handle: Awaited<ReturnType<typeof open>>,
  ) {}

  get fd(): number {
    return this.handle.fd;
  }

  get sizeBytes(): number {
    return this.size;
  }

  append(_chunks: readonly Buffer[], byteLength: number): Promise<void> {
    if (this.closed) throw new Error(`null engine: append to closed segment ${this.path}`);
    this.size += byteLength;
    this.counts.appends++;
    this.counts.appendedBytes += byteLength;
    return APPEND_LANDED;
  }

  read(position: number, _length: number): Promise<Buffer> {
    return Promise.reject(new Error(`null engine: ${this.path} keeps no bytes (read at position ${position}); the produce ceiling has no readers`));
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  truncate(sizeBytes: number): Promise<void> {
    this.size = Math.min(this.size, sizeBytes);
    return Promise.resolve();
  }

  trim(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }

  stats(): SegmentFileStats {
    return { ...this.counts };
  }
}

export const nullEngine: StorageEngine = {
  name: 'null',
  supports: { durableAppend: false, groupCommit: false, preallocate: false, native: false },
  // an empty file, so the Log's directory looks as it does over a real engine
  async open(path: string): Promise<SegmentFile> {
    return new NullSegmentFile(path, await open(path, 'a+'));
  },
};
