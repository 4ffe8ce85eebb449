/**
 * A segment file written through a shared memory mapping: append copies into the mapping (the page
 * cache itself, no system call), read copies out, flush is msync(MS_SYNC) of the bytes appended
 * since the last flush.
 *
 * The one rule that keeps the process alive: every byte copied in or out lies below the file's
 * size (`fileBytes`), because touching a mapped page wholly past the end of the file raises SIGBUS.
 * So the file is extended with fallocate BEFORE an append copies into it (fallocate, not ftruncate:
 * writing into a sparse hole through a mapping on a full disk also raises SIGBUS, while fallocate
 * reports ENOSPC as an error), and it is only ever shrunk synchronously on the event loop (no copy
 * can run between the shrink and the bookkeeping) to no less than the valid bytes, which are the
 * most any copy touches. A file shrunk by ANOTHER process while mapped can still SIGBUS us; strata
 * owns its segment files and never does that.
 */
import fs from 'node:fs';
import { APPEND_LANDED, type SegmentFile, type SegmentFileStats, type SegmentOpenOptions } from '../core/engine.js';
import { StrataError, assert, assertionFailed } from '../core/errors.js';
import { requireNative, type NativeAddon } from '../native/index.js';
import { closeFd, fdatasyncFd, fstatSize } from './fs-io.js';
import { openRegularFile } from '../core/regular-file.js';
import { IoStats } from './io-stats.js';
import { MappedRegions } from './mmap-regions.js';

/**
 * Growth when the segment is not preallocated: the file is extended a quarter of its size at a
 * time, in multiples of the minimum step and at most the maximum, so a small segment reserves
 * little and a large one is extended (and its blocks allocated) in few, large extents.
 */
export const MMAP_GROWTH_STEP_BYTES = 8 * 1024 * 1024;
export const MMAP_GROWTH_STEP_BYTES_MAX = 64 * 1024 * 1024;
/**
 * Bytes one mapping covers. A segment up to this size is one mapping whatever its file size (the
 * mapping costs address space only, and pages past the file's end are never touched), so a flush
 * is one msync: each msync(MS_SYNC) ends in a device cache flush, and 64 of them for 64 small
 * mappings made a flush of 1 GiB take 2x as long here.
 */
export const MMAP_REGION_BYTES = 1024 * 1024 * 1024;

export interface MmapOpenOptions extends SegmentOpenOptions {
  /** Mapping size (a multiple of the page size); tests use small ones to cross region boundaries. */
  regionBytes?: number;
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

export class MmapSegmentFile implements SegmentFile {
  private size: number;
  /** The file's length: everything below it may be touched through the mapping. */
  private fileBytes: number;
  /** Bytes known durable (msync'ed); flush syncs [syncedBytes, size). */
  private syncedBytes: number;
  private readonly inflight = new Set<Promise<void>>();
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly path: string,
    readonly fd: number,
    private readonly native: NativeAddon,
    private readonly regions: MappedRegions,
    private readonly io: IoStats,
    validBytes: number,
    fileBytes: number,
    private readonly preallocateBytes: number,
  ) {
    this.size = validBytes;
    this.syncedBytes = validBytes;
    this.fileBytes = fileBytes;
  }

  static async open(path: string, options: MmapOpenOptions): Promise<MmapSegmentFile> {
    const native = requireNative('the mmap engine');
    assert(Number.isSafeInteger(options.preallocateBytes) && options.preallocateBytes >= 0, `preallocateBytes ${options.preallocateBytes} must be a non-negative integer`);
    // a regular file only, no symbolic link followed (core/regular-file.ts)
    const fd = await openRegularFile(path, fs.constants.O_RDWR | fs.constants.O_CREAT);
    try {
      let fileBytes = await fstatSize(fd);
      const validBytes = options.validBytes ?? fileBytes;
      assert(validBytes >= 0 && validBytes <= fileBytes, `valid bytes ${validBytes} outside 0..${fileBytes} (file size) of ${path}`);
      if (options.preallocateBytes > fileBytes) {
        native.fallocate(fd, fileBytes, options.preallocateBytes - fileBytes);
        fileBytes = options.preallocateBytes;
      }
      const io = new IoStats();
      const regions = new MappedRegions(native, fd, options.regionBytes ?? MMAP_REGION_BYTES, io);
      return new MmapSegmentFile(path, fd, native, regions, io, validBytes, fileBytes, options.preallocateBytes);
    } catch (err) {
      await closeFd(fd).catch(() => {});
      throw err;
    }
  }

  get sizeBytes(): number {
    return this.size;
  }

  append(chunks: readonly Buffer[], byteLength: number): Promise<void> {
    try {
      this.checkUsable();
      let total = 0;
      for (const chunk of chunks) total += chunk.length;
      if (total !== byteLength) assertionFailed(`append of ${byteLength} bytes got chunks totalling ${total}`);
      const position = this.size;
      // grow first: on ENOSPC nothing was copied and sizeBytes stays where it was
      this.reserve(position + byteLength);
      let at = position;
      for (const chunk of chunks) {
        this.regions.write(at, chunk);
        at += chunk.length;
      }
      this.size = position + byteLength;
      // one copy into the page cache per append: the mapping's counterpart of a write call
      this.io.countAppend(byteLength);
      this.io.countWrite(byteLength);
      return APPEND_LANDED;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  read(position: number, length: number): Promise<Buffer> {
    try {
      this.checkUsable();
      if (!(Number.isSafeInteger(position) && position >= 0 && Number.isSafeInteger(length) && length >= 0)) assertionFailed(`read(${position}, ${length}) needs non-negative integers`);
      // never past the valid bytes (which never exceed the file size): a copy, so it outlives munmap
      const capped = Math.max(0, Math.min(length, this.size - position));
      const out = Buffer.allocUnsafe(capped);
      if (capped > 0) this.regions.readInto(position, out, 0, capped);
      return Promise.resolve(out);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async flush(): Promise<void> {
    this.checkUsable();
    const end = this.size;
    if (end <= this.syncedBytes) return;
    const start = this.syncedBytes;
    const pending = this.regions.sync(start, end);
    this.inflight.add(pending);
    try {
      await pending;
    } catch (err) {
      // after a failed writeback the kernel may mark the pages clean: a later msync could report
      // success for data that never reached the disk, so every later flush fails too
      this.failure = err as Error;
      throw new StrataError('STORAGE_ERROR', `msync of ${this.path} [${start}, ${end}) failed: ${(err as Error).message}`, { cause: err });
    } finally {
      this.inflight.delete(pending);
    }
    this.syncedBytes = Math.max(this.syncedBytes, Math.min(end, this.size));
  }

  async truncate(sizeBytes: number): Promise<void> {
    this.checkUsable();
    assert(Number.isSafeInteger(sizeBytes) && sizeBytes >= 0 && sizeBytes <= this.size, `truncate to ${sizeBytes} outside 0..${this.size} of ${this.path}`);
    // synchronous, so no append or read runs between the shrink and the bookkeeping: cut the torn
    // tail (it must not survive in reserved space), then reserve again as at open
    fs.ftruncateSync(this.fd, sizeBytes);
    this.fileBytes = sizeBytes;
    this.size = sizeBytes;
    this.syncedBytes = Math.min(this.syncedBytes, sizeBytes);
    if (this.preallocateBytes > sizeBytes) {
      this.native.fallocate(this.fd, sizeBytes, this.preallocateBytes - sizeBytes);
      this.fileBytes = this.preallocateBytes;
    }
    // the cut must be durable (SegmentFile.truncate); the reservation after it reads as zeros
    await fdatasyncFd(this.fd, this.io);
  }

  async trim(): Promise<void> {
    this.checkUsable();
    if (this.trimNow()) await fdatasyncFd(this.fd, this.io);
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  stats(): SegmentFileStats {
    return this.io.snapshot();
  }

  /** Bytes of the valid range resident in the page cache (mapped regions only): a metric. */
  residentBytes(): number {
    this.checkUsable();
    return this.regions.residentBytes(0, this.size);
  }

  private async doClose(): Promise<void> {
    // an msync in flight holds its mapping (munmap would say EBUSY): let it finish first
    await Promise.allSettled([...this.inflight]);
    try {
      this.regions.unmapAll();
      if (this.trimNow()) await fdatasyncFd(this.fd, this.io);
    } finally {
      await closeFd(this.fd);
    }
  }

  /**
   * Cuts the reserved space; true when it did, and the caller then makes the size durable: a trim
   * lost to a power cut brings the reserved zeros back past the data (crashfs tests).
   */
  private trimNow(): boolean {
    if (this.fileBytes <= this.size) return false;
    fs.ftruncateSync(this.fd, this.size);
    this.fileBytes = this.size;
    return true;
  }

  /** Makes the file at least `end` bytes long: the preallocation, else the next growth step. */
  private reserve(end: number): void {
    if (end <= this.fileBytes) return;
    const step = Math.min(MMAP_GROWTH_STEP_BYTES_MAX, Math.max(MMAP_GROWTH_STEP_BYTES, roundUp(this.fileBytes / 4, MMAP_GROWTH_STEP_BYTES)));
    const target = end <= this.preallocateBytes ? this.preallocateBytes : roundUp(end, step);
    this.native.fallocate(this.fd, this.fileBytes, target - this.fileBytes);
    this.fileBytes = target;
  }

  private checkUsable(): void {
    if (this.closing) throw new StrataError('LOG_CLOSED', `segment file ${this.path} is closed`);
    if (this.failure) throw new StrataError('STORAGE_ERROR', `segment file ${this.path} failed earlier: ${this.failure.message}`, { cause: this.failure });
  }
}
