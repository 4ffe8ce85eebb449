/**
 * What sits where the log's bytes come into user space. Kafka relies on the OS page cache
 * (`page-cache`: reads go to the file, with fadvise hints); Redpanda serves reads from an
 * in-process batch cache (`user-lru`: what reads brought in, kept in memory). `none` reads the file
 * every time and keeps nothing.
 *
 * Like an engine (core/engine.ts), a cache is a small table of operations, after fio's
 * `ioengine_ops`: `open(file)` gives the operations for one open segment file (a `FileCache`), and
 * every place where bytes of that file come into user space asks it the same way, never which
 * cache it holds: the header scans (file-records.ts scanBatchHeaders), LogSegment.readBytes
 * (readSlice, readBatches, offsetForTimestamp) and the buffered transfer's reads (a Fetch), which
 * find the FileCache on the FileSlice they send. The sendfile transfer never reads into user space:
 * it reads from the page cache by design, as Kafka's FileChannel.transferTo does, and ignores it.
 *
 * The lifetime of what is held is the FileCache's, i.e. the open segment's: a segment reopened
 * (recovery, a truncation reopening the last segment) or recreated at the same path (truncation,
 * then appends) starts with an empty one, so bytes of an older file can never be served for it.
 */
import type { SegmentFile } from './engine.js';

export interface CacheStats {
  /** Lookups answered from process memory. */
  hits: number;
  /** Lookups that went to the file. */
  misses: number;
  /** Bytes held in process memory by the cache. */
  bytes: number;
}

/** What a cache needs of a file: SegmentFile and FileSlice both have it. */
export interface CachedFile {
  readonly path: string;
  readonly fd: number;
}

/** One open segment file's cache operations. */
export interface FileCache {
  /**
   * The bytes held from `position` on, at least `lengthMin` and at most `lengthMax` of them,
   * without I/O: a view of the cache's memory that the caller must not modify. Undefined (a miss)
   * when fewer than `lengthMin` are held there.
   */
  lookup(position: number, lengthMin: number, lengthMax: number): Buffer | undefined;
  /**
   * Taken before reading the file itself and handed to onRead with what the read returned: bytes
   * read while the file was cut (invalidate) are not kept, since they may not be the file's any more.
   */
  readonly generation: number;
  /**
   * After reading [position, position + data.length) of the file, in a read begun at `generation`.
   * `owned`: the reader hands `data` over (nothing writes to it again), so it may be kept by
   * reference; otherwise a cache that keeps it copies it.
   */
  onRead(position: number, data: Buffer, generation: number, owned: boolean): void;
  /** After `bytes` were appended at `position` (the appender keeps its buffers). */
  onAppend(position: number, bytes: number): void;
  /** The file was cut at `fromPosition`: nothing from there on may be served again. */
  invalidate(fromPosition: number): void;
  /** The segment was closed or deleted: what is held goes, later calls do nothing. */
  close(): void;
}

/** What a cache says it does; the cache conformance suite checks each flag both ways. */
export interface CacheSupports {
  /**
   * Lookups can be answered from process memory: bytes offered to onRead may be held and served
   * again (user-lru). False: every lookup misses and nothing is held (none, page-cache).
   */
  holdsBytes: boolean;
}

export interface Cache {
  readonly name: string;
  readonly supports: CacheSupports;
  /** The operations for one segment file, called when the segment opens. */
  open(file: CachedFile): FileCache;
  stats(): CacheStats;
}

/** The FileCache of `none`: holds nothing, hints nothing, counts nothing. */
export const NO_FILE_CACHE: FileCache = {
  lookup: () => undefined,
  generation: 0,
  onRead: () => {},
  onAppend: () => {},
  invalidate: () => {},
  close: () => {},
};

export const noneCache: Cache = {
  name: 'none',
  supports: { holdsBytes: false },
  open: () => NO_FILE_CACHE,
  stats: () => ({ hits: 0, misses: 0, bytes: 0 }),
};

/**
 * Reads at least `lengthMin` and at most `lengthMax` bytes of `file` at `position` through its
 * cache: the held bytes when there are enough, else exactly `lengthMax` from the file (fewer only at
 * its end), which are then offered to the cache. An engine's read returns a buffer of its own, so
 * it is handed over. The result must not be modified: it may be the cache's.
 */
export async function readThrough(cache: FileCache, file: SegmentFile, position: number, lengthMin: number, lengthMax: number): Promise<Buffer> {
  const held = cache.lookup(position, lengthMin, lengthMax);
  if (held) return held;
  const generation = cache.generation;
  const data = await file.read(position, lengthMax);
  cache.onRead(position, data, generation, true);
  return data;
}
