/**
 * `page-cache`: the OS page cache, as Kafka uses it. The process holds nothing (lookup always
 * misses, so the log reads the file, which the kernel serves from memory when it can); what this
 * cache adds is hints: after a read into user space (a header scan, LogSegment.readBytes, a buffered
 * transfer's chunk) it asks the kernel to read ahead the next `readAheadBytes`
 * (posix_fadvise WILLNEED), which keeps a sequential consumer ahead of the disk.
 *
 * Also here, for the harness: dropping a file's pages on purpose (cold reads) and measuring how much
 * of a file is resident (mincore), both through the native addon. Without the addon the cache works
 * and gives no hints; the two functions throw ENGINE_UNAVAILABLE.
 */
import fs from 'node:fs';
import type { Cache, CachedFile, CacheStats, FileCache } from '../../core/cache.js';
import { StrataError } from '../../core/errors.js';
import { loadNative, requireNative } from '../../native/index.js';
import { closeFd, fdatasyncFd, openFd } from '../fs-io.js';

export interface PageCacheOptions {
  /** Bytes past each read to hint WILLNEED for (0 = no hints). */
  readAheadBytes?: number;
}

export const PAGE_CACHE_READ_AHEAD_BYTES_DEFAULT = 1024 * 1024;

export class PageCache implements Cache {
  readonly name = 'page-cache';
  readonly supports = { holdsBytes: false };
  readonly readAheadBytes: number;
  private hints = 0;

  constructor(options: PageCacheOptions = {}) {
    this.readAheadBytes = options.readAheadBytes ?? PAGE_CACHE_READ_AHEAD_BYTES_DEFAULT;
    if (!Number.isSafeInteger(this.readAheadBytes) || this.readAheadBytes < 0) {
      throw new StrataError('INVALID_CONFIG', `page-cache readAheadBytes must be a non-negative integer, got ${options.readAheadBytes}`);
    }
  }

  open(file: CachedFile): FileCache {
    return new PageCacheFile(this, file.fd);
  }

  /** @internal A WILLNEED hint was given. */
  countHint(): void {
    this.hints++;
  }

  /** hits/misses are the kernel's and not visible here; bytes: held in process memory (none). */
  stats(): CacheStats & { readAheadHints: number } {
    return { hits: 0, misses: 0, bytes: 0, readAheadHints: this.hints };
  }
}

/** One file's hints: the end of the range last hinted, so a sequential reader hints each range once. */
class PageCacheFile implements FileCache {
  readonly generation = 0;
  private hintedEnd = 0;
  private closed = false;

  constructor(
    private readonly cache: PageCache,
    private readonly fd: number,
  ) {}

  lookup(): Buffer | undefined {
    return undefined; // the file is read, and the kernel serves it from memory when it can
  }

  onRead(position: number, data: Buffer): void {
    const native = loadNative();
    const readAheadBytes = this.cache.readAheadBytes;
    if (!native || this.closed || readAheadBytes === 0 || data.length === 0) return;
    const end = position + data.length;
    // hint again only once the reader has consumed half of what was hinted last time
    if (this.hintedEnd > end + readAheadBytes / 2) return;
    const from = Math.max(end, this.hintedEnd);
    const to = end + readAheadBytes;
    try {
      native.posix_fadvise(this.fd, from, to - from, native.FADV.WILLNEED);
    } catch {
      return; // a hint; a file closed under us (EBADF) costs nothing but the hint
    }
    this.cache.countHint();
    this.hintedEnd = to;
  }

  onAppend(): void {
    // freshly written pages are in the page cache already
  }

  invalidate(fromPosition: number): void {
    if (this.hintedEnd > fromPosition) this.hintedEnd = 0;
  }

  close(): void {
    this.closed = true; // the fd number may be reused by another file: hint nothing more
  }
}

/**
 * Drops the clean pages of [offset, offset + length) (length 0: to the end) of the file open as
 * `fd` from the page cache, after writing back dirty ones (DONTNEED skips dirty pages). Pages that
 * some process has mapped (e.g. an open mmap segment) are not dropped: the kernel keeps mapped pages.
 */
export async function dropFilePages(fd: number, offset = 0, length = 0): Promise<void> {
  const native = requireNative('dropping page-cache pages');
  await fdatasyncFd(fd);
  native.posix_fadvise(fd, offset, length, native.FADV.DONTNEED);
}

/** dropFilePages for a path (for cold reads in the harness). */
export async function dropPathPages(path: string): Promise<void> {
  const fd = await openFd(path, fs.constants.O_RDONLY);
  try {
    await dropFilePages(fd);
  } finally {
    await closeFd(fd);
  }
}

/** Bytes of [offset, offset + length) of the file open as `fd` that are in the page cache (mincore). */
export function residentBytes(fd: number, offset: number, length: number): number {
  return requireNative('page-cache residency (mincore)').mincore(fd, offset, length);
}

/** Resident bytes of a whole file by path, with its size: { residentBytes, fileBytes }. */
export function pathResidency(path: string): { residentBytes: number; fileBytes: number } {
  const native = requireNative('page-cache residency (mincore)');
  const fd = fs.openSync(path, 'r');
  try {
    const fileBytes = fs.fstatSync(fd).size;
    return { residentBytes: native.mincore(fd, 0, fileBytes), fileBytes };
  } finally {
    fs.closeSync(fd);
  }
}
