/**
 * `user-lru`: an in-process, byte-bounded LRU of recently appended and read byte ranges, keyed by
 * segment file path and position (a Redpanda-style batch cache: the tail a consumer is about to
 * read is served from memory without a system call).
 *
 * A lookup hits only when one held range contains the whole requested range. Held ranges of one
 * file never contain one another (a range contained in a held one is not added; held ranges a new
 * one contains are dropped), so sorted by start they are also sorted by end, and the one range
 * that can contain a request is the last one starting at or before it: one binary search.
 */
import type { Cache, CacheStats } from '../../core/cache.js';
import type { SegmentFile } from '../../core/engine.js';
import { StrataError, assert } from '../../core/errors.js';

export interface UserLruOptions {
  /** Most bytes held (the sum of held ranges' lengths). */
  bytesMax?: number;
  /** Most ranges held (bounds bookkeeping when ranges are tiny). */
  entriesMax?: number;
}

export const USER_LRU_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;
export const USER_LRU_ENTRIES_MAX_DEFAULT = 65536;

interface Entry {
  readonly key: string;
  readonly path: string;
  readonly position: number;
  readonly end: number;
  readonly data: Buffer;
}

export class UserLruCache implements Cache {
  readonly name = 'user-lru';
  readonly bytesMax: number;
  readonly entriesMax: number;
  /** Every entry, least recently used first (a Map keeps insertion order; a touch re-inserts). */
  private readonly lru = new Map<string, Entry>();
  /** Per file: entries sorted by position. */
  private readonly byPath = new Map<string, Entry[]>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(options: UserLruOptions = {}) {
    this.bytesMax = options.bytesMax ?? USER_LRU_BYTES_MAX_DEFAULT;
    this.entriesMax = options.entriesMax ?? USER_LRU_ENTRIES_MAX_DEFAULT;
    if (!Number.isSafeInteger(this.bytesMax) || this.bytesMax <= 0) {
      throw new StrataError('INVALID_CONFIG', `user-lru cache bytesMax must be a positive integer, got ${options.bytesMax}`);
    }
    if (!Number.isSafeInteger(this.entriesMax) || this.entriesMax <= 0) {
      throw new StrataError('INVALID_CONFIG', `user-lru cache entriesMax must be a positive integer, got ${options.entriesMax}`);
    }
  }

  onAppend(file: SegmentFile, position: number, chunks: readonly Buffer[]): void {
    let length = 0;
    for (const c of chunks) length += c.length;
    if (length === 0 || length > this.bytesMax) return;
    // a copy: the caller may reuse its buffers
    this.insert(file.path, position, Buffer.concat(chunks, length));
  }

  /**
   * The held bytes for [position, position + length), as a view into the cache's own copy: the
   * caller must not modify it.
   */
  lookup(file: SegmentFile, position: number, length: number): Buffer | undefined {
    const list = this.byPath.get(file.path);
    const end = position + length;
    if (list) {
      const i = lastStartingAtOrBefore(list, position);
      const entry = i >= 0 ? list[i]! : undefined;
      if (entry && entry.end >= end) {
        this.hits++;
        this.lru.delete(entry.key);
        this.lru.set(entry.key, entry);
        return entry.data.subarray(position - entry.position, end - entry.position);
      }
    }
    this.misses++;
    return undefined;
  }

  onRead(file: SegmentFile, position: number, data: Buffer): void {
    if (data.length === 0 || data.length > this.bytesMax) return;
    // a copy: `data` may be a slice of a larger buffer (kept alive whole) or be modified later
    this.insert(file.path, position, Buffer.from(data));
  }

  invalidate(path: string, fromPosition = 0): void {
    const list = this.byPath.get(path);
    if (!list) return;
    const keep: Entry[] = [];
    for (const entry of list) {
      if (entry.end > fromPosition) this.drop(entry);
      else keep.push(entry);
    }
    if (keep.length === 0) this.byPath.delete(path);
    else this.byPath.set(path, keep);
  }

  stats(): CacheStats {
    return { hits: this.hits, misses: this.misses, bytes: this.bytes };
  }

  /** Ranges held (for tests and metrics). */
  get entries(): number {
    return this.lru.size;
  }

  private insert(path: string, position: number, data: Buffer): void {
    const end = position + data.length;
    let list = this.byPath.get(path);
    if (!list) {
      list = [];
      this.byPath.set(path, list);
    }
    const i = lastStartingAtOrBefore(list, position);
    const before = i >= 0 ? list[i]! : undefined;
    if (before && before.end >= end) {
      // already held whole: just count the use
      this.lru.delete(before.key);
      this.lru.set(before.key, before);
      return;
    }
    // drop held ranges the new one contains (they start at or after `position`)
    let j = before && before.position === position ? i : i + 1;
    while (j < list.length && list[j]!.end <= end) {
      this.drop(list[j]!);
      list.splice(j, 1);
    }
    const entry: Entry = { key: `${path}\0${position}`, path, position, end, data };
    list.splice(j, 0, entry);
    this.lru.set(entry.key, entry);
    this.bytes += data.length;
    this.evict();
  }

  private drop(entry: Entry): void {
    if (this.lru.delete(entry.key)) this.bytes -= entry.data.length;
  }

  /** Evicts least recently used ranges until both bounds hold. */
  private evict(): void {
    while (this.bytes > this.bytesMax || this.lru.size > this.entriesMax) {
      const oldest = this.lru.values().next().value as Entry;
      this.drop(oldest);
      const list = this.byPath.get(oldest.path)!;
      const k = lastStartingAtOrBefore(list, oldest.position);
      assert(k >= 0 && list[k] === oldest, 'evicted entry missing from its file list');
      list.splice(k, 1);
      if (list.length === 0) this.byPath.delete(oldest.path);
    }
  }
}

/** Index of the last entry whose position <= `position`, or -1. */
function lastStartingAtOrBefore(list: readonly Entry[], position: number): number {
  let lo = 0;
  let hi = list.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.position <= position) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
