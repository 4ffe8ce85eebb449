/**
 * The shared machinery of Kafka's sparse indexes (AbstractIndex): fixed-size entries kept in memory
 * and written to a file preallocated to segment.index.bytes while the segment is active, trimmed to
 * its entries on roll, close and after recovery. Entries reach the file on flush (they are not
 * checksummed; recovery rebuilds them from the log, as Kafka does).
 */
import fs from 'node:fs';
import { assert, assertionFailed } from '../errors.js';
import { openRegularFile, openRegularFileSync, readRegularFileSync } from '../regular-file.js';

export abstract class IndexFile {
  /** Entries held; grows by doubling up to maxEntries. */
  protected buf: Buffer;
  protected entryCount = 0;
  /** Entries already written to the file. */
  private flushedCount = 0;
  private fileBytes: number;
  readonly maxEntries: number;

  protected constructor(
    readonly path: string,
    readonly baseOffset: number,
    maxIndexBytes: number,
    readonly entryBytes: number,
    existing?: Buffer,
  ) {
    this.maxEntries = Math.floor(maxIndexBytes / entryBytes);
    assert(this.maxEntries >= 1, `index ${path} needs room for at least one ${entryBytes}-byte entry`);
    if (existing) {
      this.entryCount = Math.floor(existing.length / entryBytes);
      this.buf = Buffer.allocUnsafe(Math.max(64 * entryBytes, this.entryCount * entryBytes));
      existing.copy(this.buf, 0, 0, this.entryCount * entryBytes);
      this.flushedCount = this.entryCount;
      this.fileBytes = existing.length;
    } else {
      this.buf = Buffer.allocUnsafe(64 * entryBytes);
      this.fileBytes = -1; // not created yet
    }
  }

  get entries(): number {
    return this.entryCount;
  }

  /** False until the file is written (or was loaded): its first flush creates it. */
  get hasFile(): boolean {
    return this.fileBytes >= 0;
  }

  isFull(): boolean {
    return this.entryCount >= this.maxEntries;
  }

  /** Bytes of valid entries (what the file is trimmed to). */
  get sizeBytes(): number {
    return this.entryCount * this.entryBytes;
  }

  protected reserveEntry(): number {
    if (this.entryCount >= this.maxEntries) assertionFailed(`index ${this.path} is full (${this.maxEntries} entries)`);
    const at = this.entryCount * this.entryBytes;
    if (at + this.entryBytes > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.buf.length * 2, this.maxEntries * this.entryBytes));
      this.buf.copy(grown, 0, 0, at);
      this.buf = grown;
    }
    this.entryCount++;
    return at;
  }

  /** Drops entries from `count` on. */
  protected truncateEntries(count: number): void {
    assert(count >= 0 && count <= this.entryCount, `truncate index ${this.path} to ${count} of ${this.entryCount} entries`);
    this.entryCount = count;
    if (this.flushedCount > count) this.flushedCount = count;
  }

  reset(): void {
    this.truncateEntries(0);
    this.fileBytes = -1;
  }

  /**
   * Writes unflushed entries to the file. `preallocateBytes` > 0 keeps the file at that size (the
   * active segment, like Kafka's preallocated mmap); 0 trims it to exactly its entries.
   */
  flushToFile(preallocateBytes: number, sync: boolean): void {
    // a regular file only: a symbolic link named like an index is never written through
    const fd = openRegularFileSync(this.path, fs.constants.O_RDWR | fs.constants.O_CREAT);
    try {
      const validBytes = this.sizeBytes;
      // an index built from scratch must not keep stale entries of an earlier file in its
      // preallocated tail: cut the file to nothing before writing
      if (this.fileBytes < 0) fs.ftruncateSync(fd, 0);
      const fromBytes = this.flushedCount * this.entryBytes;
      if (validBytes > fromBytes) fs.writeSync(fd, this.buf, fromBytes, validBytes - fromBytes, fromBytes);
      const targetBytes = Math.max(validBytes, Math.floor(preallocateBytes / this.entryBytes) * this.entryBytes);
      if (this.fileBytes !== targetBytes) {
        fs.ftruncateSync(fd, targetBytes);
        this.fileBytes = targetBytes;
      }
      if (sync) fs.fdatasyncSync(fd);
      this.flushedCount = this.entryCount;
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * flushToFile(preallocateBytes, false) for an index with no file and no entries yet (a new
   * segment's), on libuv's pool: many logs created at once then overlap their file creation.
   */
  async createFile(preallocateBytes: number): Promise<void> {
    assert(this.fileBytes < 0 && this.entryCount === 0, () => `index ${this.path} already has a file or entries`);
    const fd = await openRegularFile(this.path, fs.constants.O_RDWR | fs.constants.O_CREAT);
    try {
      const targetBytes = Math.floor(preallocateBytes / this.entryBytes) * this.entryBytes;
      // no stale entries of an earlier file in the preallocated tail (as flushToFile)
      await ftruncateAsync(fd, 0);
      if (targetBytes > 0) await ftruncateAsync(fd, targetBytes);
      this.fileBytes = targetBytes;
      this.flushedCount = 0;
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * Makes what flushToFile wrote durable with the sync in libuv's pool, not on the event loop: the
   * logs a LogManager closes at once then overlap their index syncs instead of queueing them.
   */
  async syncFile(): Promise<void> {
    const fd = openRegularFileSync(this.path, fs.constants.O_RDWR);
    try {
      await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Binary search: the largest slot whose key <= target, or -1. */
  protected floorSlot(target: number, keyAt: (slot: number) => number): number {
    let lo = 0;
    let hi = this.entryCount - 1;
    if (hi < 0 || keyAt(0) > target) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (keyAt(mid) <= target) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

function ftruncateAsync(fd: number, bytes: number): Promise<void> {
  return new Promise((resolve, reject) => fs.ftruncate(fd, bytes, (err) => (err ? reject(err) : resolve())));
}

/**
 * Reads an index file's bytes, or undefined when it does not exist (whole entries are cut by the
 * caller); refused when it is not a regular file or is larger than `maxBytes`.
 */
export function readIndexFile(path: string, maxBytes: number): Buffer | undefined {
  try {
    return readRegularFileSync(path, maxBytes);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
