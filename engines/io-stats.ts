/**
 * The counters behind SegmentFile.stats(), incremented by the functions that make the system
 * calls (fs-io.ts, the mmap regions) when each returns, so a count is a call made, not one intended.
 */
import type { SegmentFileStats } from '../core/engine.js';

export class IoStats {
  appends = 0;
  appendedBytes = 0;
  writes = 0;
  writtenBytes = 0;
  /** fdatasync / msync calls. */
  syncCalls = 0;

  /** @param dsync the descriptor is O_DSYNC: each of its writes is a sync as well */
  constructor(private readonly dsync = false) {}

  countAppend(bytes: number): void {
    this.appends++;
    this.appendedBytes += bytes;
  }

  countWrite(bytes: number): void {
    this.writes++;
    this.writtenBytes += bytes;
  }

  countSync(): void {
    this.syncCalls++;
  }

  snapshot(): SegmentFileStats {
    return {
      appends: this.appends,
      appendedBytes: this.appendedBytes,
      writes: this.writes,
      writtenBytes: this.writtenBytes,
      syncs: this.syncCalls + (this.dsync ? this.writes : 0),
    };
  }
}
