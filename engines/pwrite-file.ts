/**
 * A segment file written with positional writes (writev at the segment end) into the page cache.
 * The pwrite, fsync-per-write and fsync-group engines share it and differ only in what an append
 * waits for: nothing, its own O_DSYNC write, or a shared fdatasync (`afterWrite`).
 */
import fs from 'node:fs';
import type { SegmentFile, SegmentFileStats, SegmentOpenOptions } from '../core/engine.js';
import { StrataError, assert } from '../core/errors.js';
import { closeFd, fdatasyncFd, fstatSize, ftruncateFd, openFd, preadFull } from './fs-io.js';
import { COALESCE, SERIAL, WriteCoalescer, type CoalescerLimits, type InlineWrites } from './write-coalescer.js';
import { IoStats } from './io-stats.js';
import { preallocateFile } from './preallocate.js';

export type AfterWrite = (file: PwriteSegmentFile) => Promise<void>;

export interface PwriteOptions {
  /** What an append waits for after its write: nothing (pwrite), or a shared sync (fsync-group). */
  afterWrite?: AfterWrite;
  /**
   * Open with O_DSYNC and write each append on its own: the write returns once the data is durable,
   * one call instead of a write plus an fdatasync (fsync-per-write).
   */
  dsync?: boolean;
  /** When to write on the calling thread (see InlineWrites); absent: always the threadpool. */
  inline?: InlineWrites;
}

export class PwriteSegmentFile implements SegmentFile {
  private size: number;
  /** Bytes of file reserved ahead of the data (file length when preallocated). */
  private reservedBytes: number;
  private closed = false;
  private readonly writer: WriteCoalescer;
  /** Called whenever the last write in flight settles (group commit waits for that moment). */
  onWritesIdle: (() => void) | undefined;
  /** The counters behind stats(); group commit counts its fdatasync calls here too. */
  readonly io: IoStats;

  private constructor(
    readonly path: string,
    readonly fd: number,
    validBytes: number,
    fileBytes: number,
    private readonly preallocateBytes: number,
    private readonly afterWrite: AfterWrite | undefined,
    limits: CoalescerLimits,
    dsync: boolean,
  ) {
    this.size = validBytes;
    this.reservedBytes = fileBytes;
    this.io = new IoStats(dsync);
    this.writer = new WriteCoalescer(fd, validBytes, () => this.onWritesIdle?.(), limits, this.io);
  }

  static async open(path: string, options: SegmentOpenOptions, pwrite: PwriteOptions = {}): Promise<PwriteSegmentFile> {
    // O_APPEND is deliberately absent: on Linux it makes pwrite ignore the position
    const fd = await openFd(path, fs.constants.O_RDWR | fs.constants.O_CREAT | (pwrite.dsync ? fs.constants.O_DSYNC : 0));
    try {
      const fileBytes = await fstatSize(fd);
      const validBytes = options.validBytes ?? fileBytes;
      assert(validBytes <= fileBytes, `valid bytes ${validBytes} exceed file size ${fileBytes} of ${path}`);
      const base = pwrite.dsync ? SERIAL : COALESCE;
      const limits = pwrite.inline ? { ...base, inline: pwrite.inline } : base;
      const file = new PwriteSegmentFile(path, fd, validBytes, fileBytes, options.preallocateBytes, pwrite.afterWrite, limits, pwrite.dsync === true);
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

  get sizeBytes(): number {
    return this.size;
  }

  append(chunks: readonly Buffer[], byteLength: number): Promise<void> {
    this.checkOpen();
    this.size += byteLength;
    this.io.countAppend(byteLength);
    const written = this.writer.write(chunks, byteLength);
    return this.afterWrite ? written.then(() => this.afterWrite!(this)) : written;
  }

  read(position: number, length: number): Promise<Buffer> {
    this.checkOpen();
    const capped = Math.max(0, Math.min(length, this.size - position));
    return preadFull(this.fd, position, capped);
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
    assert(sizeBytes >= 0 && sizeBytes <= this.size, `truncate to ${sizeBytes} outside 0..${this.size} of ${this.path}`);
    // cut everything past the valid bytes (a torn tail must not survive in reserved space), then
    // reserve again so later appends still overwrite instead of extending
    assert(this.writer.pending === 0, `truncate of ${this.path} while appends are in flight`);
    await ftruncateFd(this.fd, sizeBytes);
    this.size = sizeBytes;
    this.writer.reset(sizeBytes);
    this.reservedBytes = sizeBytes;
    if (this.preallocateBytes > sizeBytes) {
      await preallocateFile(this.fd, sizeBytes, this.preallocateBytes);
      this.reservedBytes = this.preallocateBytes;
    }
  }

  async trim(): Promise<void> {
    this.checkOpen();
    if (this.reservedBytes > this.size) {
      await ftruncateFd(this.fd, this.size);
      this.reservedBytes = this.size;
      // the shorter size must be durable: a trim lost to a power cut brings the reserved zeros back
      // past the data, and a clean open after a close would append after them (crashfs tests)
      await fdatasyncFd(this.fd, this.io);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.trim();
    } finally {
      this.closed = true;
      await closeFd(this.fd);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new StrataError('LOG_CLOSED', `segment file ${this.path} is closed`);
  }
}
