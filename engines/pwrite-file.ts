/**
 * A segment file written with positional writes (writev at the segment end) into the page cache.
 * The pwrite, fsync-per-write and fsync-group engines share it and differ only in what an append
 * waits for: nothing, its own O_DSYNC write, or a shared fdatasync (a WriteFollower).
 */
import fs from 'node:fs';
import type { SegmentFile, SegmentFileStats, SegmentOpenOptions } from '../core/engine.js';
import { StrataError, assert } from '../core/errors.js';
import { closeFd, fdatasyncFd, fstatSize, ftruncateFd, preadCached, preadFull, preadRest } from './fs-io.js';
import { openRegularFile } from '../core/regular-file.js';
import { COALESCE, NO_IDLE_LISTENER, SERIAL, WriteCoalescer, type CoalescerLimits, type InlineWrites, type WritesIdleListener } from './write-coalescer.js';
import { IoStats } from './io-stats.js';
import { preallocateFile } from './preallocate.js';

/**
 * What an append waits for after its write completed (fsync-group: a shared sync), told by the
 * writer whenever it has nothing queued or being written (so a sync then covers every write made).
 */
export interface WriteFollower extends WritesIdleListener {
  /** Called once per append whose write completed; the append's promise settles with the result. */
  afterWrite(): Promise<void>;
  /** Resolves when nothing the follower started on the descriptor is still running (before close). */
  settled(): Promise<void>;
}

/** What a follower may use of its file: the descriptor, the counters, the appends still writing. */
export interface FollowedFile {
  readonly path: string;
  readonly fd: number;
  readonly io: IoStats;
  readonly writesInFlight: number;
}

export interface PwriteOptions {
  /**
   * Makes the follower of the file's writes, once at open: absent, an append waits for its write
   * only (pwrite); fsync-group's waits for a shared sync after it.
   */
  follower?: (file: FollowedFile) => WriteFollower;
  /**
   * Open with O_DSYNC and write each append on its own: the write returns once the data is durable,
   * one call instead of a write plus an fdatasync (fsync-per-write).
   */
  dsync?: boolean;
  /** When to write on the calling thread (see InlineWrites); absent: always the threadpool. */
  inline?: InlineWrites;
}

/**
 * Reads up to this size are first tried on the calling thread from the page cache (preadv2
 * RWF_NOWAIT): batch headers and scan windows, the reads a Fetch makes before its sendfile. A
 * thread pool read costs two thread wake-ups and an eventfd round trip, far more CPU than copying
 * 64 KiB; larger reads (recovery's) stay in the pool, so the event loop is never held for more than
 * such a copy. (The buffered transfer reads its 1 MiB chunks from the page cache itself, each
 * followed by a socket.write copy of the same size: engines/transfer/buffered.ts.)
 */
const CACHED_READ_BYTES_MAX = 64 * 1024;

export class PwriteSegmentFile implements SegmentFile, FollowedFile {
  /** Bytes of file reserved ahead of the data (file length when preallocated). */
  private reservedBytes: number;
  private closed = false;
  private readonly writer: WriteCoalescer;
  /** After each completed write: the follower's afterWrite (undefined without a follower). */
  private readonly followWrite: (() => Promise<void>) | undefined;
  private readonly follower: WriteFollower | undefined;
  /** Closes waiting for the writes in flight to settle (the descriptor must outlive them). */
  private idleWaiters: (() => void)[] = [];
  /** The counters behind stats(); group commit counts its fdatasync calls here too. */
  readonly io: IoStats;

  private constructor(
    readonly path: string,
    readonly fd: number,
    validBytes: number,
    fileBytes: number,
    private readonly preallocateBytes: number,
    makeFollower: PwriteOptions['follower'],
    limits: CoalescerLimits,
    dsync: boolean,
  ) {
    this.reservedBytes = fileBytes;
    this.io = new IoStats(dsync);
    const follower = makeFollower?.(this);
    this.follower = follower;
    this.followWrite = follower && (() => follower.afterWrite());
    const listener = follower ?? NO_IDLE_LISTENER;
    const writesIdle = () => {
      listener.writesIdle();
      for (const wake of this.idleWaiters.splice(0)) wake();
    };
    this.writer = new WriteCoalescer(fd, validBytes, { writesIdle }, limits, this.io, path);
  }

  static async open(path: string, options: SegmentOpenOptions, pwrite: PwriteOptions = {}): Promise<PwriteSegmentFile> {
    // O_APPEND is deliberately absent: on Linux it makes pwrite ignore the position
    // a regular file only, no symbolic link followed: recovery must not cut a file the link points at
    const fd = await openRegularFile(path, fs.constants.O_RDWR | fs.constants.O_CREAT | (pwrite.dsync ? fs.constants.O_DSYNC : 0));
    try {
      const fileBytes = await fstatSize(fd);
      const validBytes = options.validBytes ?? fileBytes;
      assert(validBytes <= fileBytes, `valid bytes ${validBytes} exceed file size ${fileBytes} of ${path}`);
      const base = pwrite.dsync ? SERIAL : COALESCE;
      const limits = pwrite.inline ? { ...base, inline: pwrite.inline } : base;
      const file = new PwriteSegmentFile(path, fd, validBytes, fileBytes, options.preallocateBytes, pwrite.follower, limits, pwrite.dsync === true);
      if (options.preallocateBytes > fileBytes) {
        await preallocateFile(fd, fileBytes, options.preallocateBytes);
        file.reservedBytes = options.preallocateBytes;
      }
      return file;
    } catch (err) {
      await closeFd(fd).catch(() => {});
      throw err;
    }
  }

  /** Appends whose write has not completed yet. */
  get writesInFlight(): number {
    return this.writer.pending;
  }

  /** The writer's end position: the one record of where the data ends. */
  get sizeBytes(): number {
    return this.writer.endBytes;
  }

  append(chunks: readonly Buffer[], byteLength: number): Promise<void> {
    this.checkOpen();
    const written = this.writer.write(chunks, byteLength);
    this.io.countAppend(byteLength);
    return this.followWrite ? written.then(this.followWrite) : written;
  }

  read(position: number, length: number): Promise<Buffer> {
    this.checkOpen();
    const capped = Math.max(0, Math.min(length, this.sizeBytes - position));
    if (capped === 0 || capped > CACHED_READ_BYTES_MAX) return preadFull(this.fd, position, capped);
    const buf = Buffer.allocUnsafe(capped);
    const got = preadCached(this.fd, buf, position);
    return got === capped ? Promise.resolve(buf) : preadRest(this.fd, buf, got, position);
  }

  flush(): Promise<void> {
    this.checkOpen();
    return fdatasyncFd(this.fd, this.io);
  }

  stats(): SegmentFileStats {
    return this.io.snapshot();
  }

  async truncate(sizeBytes: number): Promise<void> {
    this.checkOpen();
    assert(sizeBytes >= 0 && sizeBytes <= this.sizeBytes, () => `truncate to ${sizeBytes} outside 0..${this.sizeBytes} of ${this.path}`);
    // cut everything past the valid bytes (a torn tail must not survive in reserved space), then
    // reserve again so later appends still overwrite instead of extending
    assert(this.writer.pending === 0, `truncate of ${this.path} while appends are in flight`);
    await ftruncateFd(this.fd, sizeBytes);
    this.writer.reset(sizeBytes);
    this.reservedBytes = sizeBytes;
    if (this.preallocateBytes > sizeBytes) {
      await preallocateFile(this.fd, sizeBytes, this.preallocateBytes);
      this.reservedBytes = this.preallocateBytes;
    }
    // the cut must be durable (SegmentFile.truncate); a reservation after it reads as zeros
    await fdatasyncFd(this.fd, this.io);
  }

  async trim(): Promise<void> {
    this.checkOpen();
    await this.trimReserved();
  }

  private async trimReserved(): Promise<void> {
    if (this.reservedBytes > this.sizeBytes) {
      await ftruncateFd(this.fd, this.sizeBytes);
      this.reservedBytes = this.sizeBytes;
      // the shorter size must be durable: a trim lost to a power cut brings the reserved zeros back
      // past the data, and a clean open after a close would append after them (crashfs tests)
      await fdatasyncFd(this.fd, this.io);
    }
  }

  /**
   * Refuses every later call at once, then lets the writes (and the follower's syncs) in flight
   * settle before trimming and closing: a write or sync still in the threadpool when the
   * descriptor closes fails with EBADF, or lands in another file that reused the number.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.writer.pending > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      await this.follower?.settled();
      await this.trimReserved();
    } finally {
      await closeFd(this.fd);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new StrataError('LOG_CLOSED', `segment file ${this.path} is closed`);
  }
}
