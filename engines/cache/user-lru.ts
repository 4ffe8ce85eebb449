/**
 * `user-lru`: an in-process, byte-bounded LRU of byte ranges that reads brought into user space (a
 * Redpanda-style batch cache: a consumer re-reading a hot log is served from memory, without a
 * system call). Reads of every kind fill it: header-scan windows, LogSegment.readBytes and the
 * buffered transfer's chunks, so a Fetch sent with the buffered transfer hits on its re-read.
 *
 * Appends are not copied in: a copy of every append bought no hit for a Fetch-sized read, which
 * spans many appends and so was never contained in one of them, and filled the cache with the tail
 * whether anyone read it or not (its CPU cost was within the noise here: docs/cache.md). A tailing
 * reader's header scan brings the new batches in, and the transfer then sends them from memory.
 * A read's buffer is kept by reference when
 * its reader hands it over (an engine's read returns a buffer of its own); a borrowed one (the
 * buffered transfer's pooled chunk) is copied.
 *
 * A lookup hits when the held range starting at or before it covers enough of it. Held ranges of
 * one file never contain one another (a range contained in a held one is not added; held ranges a
 * new one contains are dropped), so sorted by start they are also sorted by end, and the best
 * candidate is the last one starting at or before the position: one binary search.
 */
import type { Cache, CachedFile, CacheStats, FileCache } from '../../core/cache.js';
import { StrataError, assert } from '../../core/errors.js';

export interface UserLruOptions {
  /** Most bytes held (the sum of held ranges' lengths). */
  bytesMax?: number;
  /** Most ranges held (bounds bookkeeping when ranges are tiny). */
  entriesMax?: number;
}

export const USER_LRU_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;
export const USER_LRU_ENTRIES_MAX_DEFAULT = 65536;
/**
 * A handed-over buffer is kept by reference only when it is most of the memory it keeps alive; a
 * small view of a larger allocation (Node's 8 KiB pool, a short read's oversized buffer) is copied,
 * so that `bytes` counts what is really held.
 */
const VIEW_SHARE_MIN = 0.5;

interface Entry {
  readonly owner: UserLruFile;
  readonly position: number;
  readonly end: number;
  readonly data: Buffer;
}

export class UserLruCache implements Cache {
  readonly name = 'user-lru';
  readonly supports = { holdsBytes: true };
  readonly bytesMax: number;
  readonly entriesMax: number;
  /** Every entry of every file, least recently used first (a Set keeps insertion order; a touch re-inserts). */
  private readonly lru = new Set<Entry>();
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

  open(file: CachedFile): UserLruFile {
    return new UserLruFile(this, file.path);
  }

  stats(): CacheStats {
    return { hits: this.hits, misses: this.misses, bytes: this.bytes };
  }

  /** Ranges held (for tests and metrics). */
  get entries(): number {
    return this.lru.size;
  }

  /** @internal A lookup of one of its files was answered from memory (`entry`) or not. */ counted(entry: Entry | undefined): void {
    if (!entry) {
      this.misses++;
      return;
    }
    this.hits++;
    this.touch(entry);
  }

  /** @internal */ touch(entry: Entry): void {
    this.lru.delete(entry);
    this.lru.add(entry);
  }

  /** @internal */ add(entry: Entry): void {
    this.lru.add(entry);
    this.bytes += entry.data.length;
    this.evict();
  }

  /** @internal */ forget(entry: Entry): void {
    if (this.lru.delete(entry)) this.bytes -= entry.data.length;
  }

  /** Evicts least recently used ranges until both bounds hold. */
  private evict(): void {
    while (this.bytes > this.bytesMax || this.lru.size > this.entriesMax) {
      const oldest = this.lru.values().next().value as Entry;
      this.forget(oldest);
      oldest.owner.removeEvicted(oldest);
    }
  }
}

/** One segment file's ranges. */
export class UserLruFile implements FileCache {
  /** Entries sorted by position. */
  private list: Entry[] = [];
  generation = 0;
  private closed = false;

  constructor(
    private readonly cache: UserLruCache,
    readonly path: string,
  ) {}

  lookup(position: number, lengthMin: number, lengthMax: number): Buffer | undefined {
    const i = lastStartingAtOrBefore(this.list, position);
    const entry = i >= 0 ? this.list[i]! : undefined;
    if (entry && entry.end - position >= Math.max(lengthMin, 1)) {
      this.cache.counted(entry);
      return entry.data.subarray(position - entry.position, Math.min(entry.end, position + lengthMax) - entry.position);
    }
    this.cache.counted(undefined);
    return undefined;
  }

  onRead(position: number, data: Buffer, generation: number, owned: boolean): void {
    if (this.closed || generation !== this.generation) return; // read across a cut: maybe not the file's bytes now
    if (data.length === 0 || data.length > this.cache.bytesMax) return;
    const keepView = owned && data.length >= VIEW_SHARE_MIN * data.buffer.byteLength;
    this.insert(position, keepView ? data : copyOf(data));
  }

  onAppend(position: number, _bytes: number): void {
    // an append goes past every held byte; anything held there would be bytes of an earlier file
    const last = this.list[this.list.length - 1];
    if (last && last.end > position) this.invalidate(position);
  }

  invalidate(fromPosition: number): void {
    this.generation++;
    const keep: Entry[] = [];
    for (const entry of this.list) {
      if (entry.end > fromPosition) this.cache.forget(entry);
      else keep.push(entry);
    }
    this.list = keep;
  }

  close(): void {
    this.invalidate(0);
    this.closed = true;
  }

  /** Ranges of this file held (for tests). */
  get entries(): number {
    return this.list.length;
  }

  /** @internal The cache evicted `entry`. */
  removeEvicted(entry: Entry): void {
    const k = lastStartingAtOrBefore(this.list, entry.position);
    assert(k >= 0 && this.list[k] === entry, 'evicted entry missing from its file list');
    this.list.splice(k, 1);
  }

  private insert(position: number, data: Buffer): void {
    const end = position + data.length;
    const list = this.list;
    const i = lastStartingAtOrBefore(list, position);
    const before = i >= 0 ? list[i]! : undefined;
    if (before && before.end >= end) {
      this.cache.touch(before); // already held whole: just count the use
      return;
    }
    // drop held ranges the new one contains (they start at or after `position`)
    const j = before && before.position === position ? i : i + 1;
    let k = j;
    while (k < list.length && list[k]!.end <= end) this.cache.forget(list[k++]!);
    const entry: Entry = { owner: this, position, end, data };
    list.splice(j, k - j, entry);
    this.cache.add(entry);
  }
}

/** A copy in memory of its own (Buffer.from would put a small one in Node's shared 8 KiB pool). */
function copyOf(data: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(data.length);
  data.copy(copy);
  return copy;
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
