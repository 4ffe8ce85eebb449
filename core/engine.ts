/**
 * A storage engine is a small table of operations on one segment file, in the spirit of fio's
 * `ioengine_ops`: open, append, read, flush, truncate, trim, close, and stats() counting the system
 * calls made. The log never asks which engine it holds; what an engine promises is stated by its
 * `supports` manifest, which the conformance suite (test/conformance) checks both ways: a feature
 * claimed must work, and one not claimed must really be absent.
 */

import type { CacheStats } from './cache.js';

export interface EngineSupports {
  /** append() resolves only once the appended bytes are durable (fdatasync or equivalent). */
  durableAppend: boolean;
  /** Concurrent appends share one sync (group commit). */
  groupCommit: boolean;
  /** Honours SegmentOpenOptions.preallocateBytes (fallocate or ftruncate-ahead). */
  preallocate: boolean;
  /** Needs the native addon (native/). */
  native: boolean;
  /**
   * Its segment files are opened O_DIRECT, so the page cache holds none of their bytes: the
   * descriptor must not be read buffered or sent with sendfile (which reads the page cache). Bytes
   * leave through SegmentFile.read; the log hands transfers that read (FileSlice.read). Absent: false.
   */
  directIo?: boolean;
}

export interface SegmentOpenOptions {
  /**
   * Reserve this many bytes of file ahead of the data (0 = grow on append). The engine trims the
   * reservation on trim() and close(), so a closed segment file is exactly its valid bytes long.
   */
  preallocateBytes: number;
  /** Valid bytes of an existing file, when the caller knows them (the rest is preallocated zeros). */
  validBytes?: number;
}

/**
 * What one open segment file has done so far, counted where each system call (or copy into a
 * mapping) is made, so that an engine's claims can be checked by behaviour: group commit shows
 * fewer syncs than appends, an engine without durableAppend syncs only when flushed.
 */
export interface SegmentFileStats {
  /** append() calls accepted. */
  appends: number;
  /** Bytes those appends carried. */
  appendedBytes: number;
  /**
   * Operations that put appended bytes into the page cache: each write/writev system call (a
   * partial write continued is two), or each append's copy into a shared mapping (mmap).
   */
  writes: number;
  /** Bytes those writes carried. */
  writtenBytes: number;
  /**
   * Waits for the disk: each fdatasync/fsync or msync(MS_SYNC) call, and each write on an O_DSYNC
   * descriptor (a write and its sync in one call), counted when the call returns, so an append
   * acknowledged as durable has its sync counted by then.
   */
  syncs: number;
}

export interface SegmentFile {
  readonly path: string;
  /** The open file descriptor: what a zero-copy transfer sends from. */
  readonly fd: number;
  /** Bytes appended so far, including appends still in flight. */
  readonly sizeBytes: number;
  /**
   * Appends `chunks` (together `byteLength` bytes) at position `sizeBytes`, which grows by
   * byteLength before append returns its promise, so concurrent appends get consecutive,
   * non-overlapping positions. The promise resolves when the bytes are in the engine's durability
   * domain: the page cache for pwrite/mmap, the disk for the fsync engines. An engine whose bytes
   * have already landed when append returns (it wrote them on the calling thread) returns
   * APPEND_LANDED, which lets the log acknowledge without a round of promise callbacks.
   */
  append(chunks: readonly Buffer[], byteLength: number): Promise<void>;
  /**
   * Reads up to `length` bytes at `position` (fewer only at the end of the file), into a buffer of
   * its own that it never writes to again: a read cache (core/cache.ts) may keep it by reference.
   */
  read(position: number, length: number): Promise<Buffer>;
  /** Makes every completed append durable. */
  flush(): Promise<void>;
  /**
   * Cuts the file to `sizeBytes` valid bytes (recovery, or removing a torn tail); the shorter size
   * is durable when the promise resolves. Otherwise a power cut can bring the cut bytes back, and
   * a later roll that finds nothing to trim never syncs the size: the next recovery would find a
   * closed segment with a zeroed or torn tail, count it as damage and delete every later segment,
   * acknowledged appends included.
   */
  truncate(sizeBytes: number): Promise<void>;
  /** Gives back preallocated space beyond the valid bytes (on roll). */
  trim(): Promise<void>;
  /**
   * Trims, then closes the descriptor. Idempotent. A call made while the close is in flight
   * completes or fails with a StrataError coded LOG_CLOSED (never hangs, never writes after the
   * trim); every call after it fails with LOG_CLOSED. Writes already in flight finish first: the
   * descriptor must outlive them.
   */
  close(): Promise<void>;
  /** A snapshot of the counters since open (still readable after close). */
  stats(): SegmentFileStats;
}

export interface StorageEngine {
  readonly name: string;
  readonly supports: EngineSupports;
  /**
   * Why the engine cannot work on this machine ("unavailable: <reason>", e.g. the kernel refuses
   * io_uring), or undefined when it can; checked where it is registered, beside the native addon.
   */
  unavailable?(): string | undefined;
  /**
   * The counters of a cache the engine keeps itself (the direct engine's batch cache), which a
   * report adds to the log's cache (core/cache.ts) when it prints hits and misses. Absent: none.
   */
  cacheStats?(): CacheStats;
  /** Opens (creating when missing) the segment file at `path`. */
  open(path: string, options: SegmentOpenOptions): Promise<SegmentFile>;
}

/**
 * What a module that provides an engine exports (as `default` or `engine`): the engine itself or a
 * factory taking engine-specific options. This is the contract a third-party engine implements.
 */
export type StorageEngineModule = StorageEngine | ((options: Record<string, string>) => StorageEngine);

/**
 * The resolved promise an engine returns from SegmentFile.append when the bytes landed before
 * append returned. The log recognises it by identity and acknowledges the append at once: after a
 * blocking O_DSYNC write the CPU's caches are cold (the thread slept through the disk flush), so
 * each round of promise callbacks then adds to the append's latency (`npm run bench:core`,
 * results/engines/). Any other promise takes the general path, so returning it is an optimisation only.
 */
export const APPEND_LANDED: Promise<void> = Promise.resolve();
