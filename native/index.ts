/**
 * The native addon (native/src, built by native/install.mjs during `npm install`; by hand:
 * `npm run build:native`). Everything
 * that does not need it works without it; loadNative() returns undefined when it was not built, and
 * requireNative(what) throws ENGINE_UNAVAILABLE naming how to build it.
 *
 * Every function validates its arguments (TypeError `ERR_INVALID_ARG_TYPE` / RangeError
 * `ERR_OUT_OF_RANGE` naming the argument) and throws a Node-style error on a failed system call:
 * `code` is the errno name ('EBADF', 'ENOSPC', ...), `errno` the negative number, `syscall` the
 * call. Offsets and lengths are byte counts, non-negative integers up to Number.MAX_SAFE_INTEGER.
 *
 * Setting STRATA_NATIVE=0 in the environment makes loadNative() act as if the addon was not built
 * (to exercise the fallbacks).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StrataError } from '../core/errors.js';
import buildFix from './build-fix.json' with { type: 'json' };

/** posix_fadvise(2) advice values. */
export interface FadviseAdvice {
  readonly NORMAL: number;
  readonly SEQUENTIAL: number;
  readonly RANDOM: number;
  readonly WILLNEED: number;
  /** Drop the range's clean pages from the page cache (dirty pages stay: write them back first). */
  readonly DONTNEED: number;
  /** A no-op on Linux; accepted for completeness. */
  readonly NOREUSE: number;
}

/** madvise(2) advice values. */
export interface MadviseAdvice {
  readonly NORMAL: number;
  readonly RANDOM: number;
  readonly SEQUENTIAL: number;
  readonly WILLNEED: number;
  readonly DONTNEED: number;
  /**
   * Linux 5.14+: fault the range in now, readable / writable, in one call instead of one page fault
   * per page (EINVAL on older kernels; EFAULT, not SIGBUS, for pages past the end of the file).
   */
  readonly POPULATE_READ: number;
  readonly POPULATE_WRITE: number;
}

/** A libuv uv_poll_t watching one descriptor on Node's own event loop. */
export interface NativePoller {
  readonly fd: number;
  /** True between start() and stop()/close() (or an error callback). */
  readonly active: boolean;
  /**
   * Calls `callback(err, events)` each time the fd is ready for `events` (default
   * Poller.WRITABLE; level triggered: it keeps firing while writable, so stop() once notified).
   * A hung-up socket reports as writable (the next write/sendfile then fails with EPIPE or
   * ECONNRESET); a poll error arrives as `err` (code e.g. 'EBADF') and stops the poller. Calling
   * start() again replaces the callback and events. While started, the poller keeps the event loop
   * alive and itself from being garbage collected.
   */
  start(callback: (err: NodeJS.ErrnoException | null, events: number) => void, events?: number): void;
  /** No more callbacks until start() is called again. */
  stop(): void;
  /** Stops and releases the libuv handle; idempotent. Does NOT close the fd. */
  close(): void;
}

export interface NativePollerConstructor {
  /** Throws (code e.g. 'EBADF', or 'EPERM' for a regular file, which epoll cannot watch) when `fd` cannot be polled. */
  new (fd: number): NativePoller;
  readonly READABLE: number;
  readonly WRITABLE: number;
  readonly DISCONNECT: number;
}

/**
 * An io_uring (native/src/uring.cc) whose completions arrive on Node's event loop: an eventfd the
 * kernel signals on each completion, watched by a libuv poll handle, so nothing waits in the
 * kernel on the loop's thread. Each operation is queued by one call (no system call; false when the
 * submission queue is full) and goes to the kernel with the next submit(). `link` sets
 * IOSQE_IO_LINK: the next operation starts only after this one completed in full; a failed or short
 * one completes the rest of the chain with -ECANCELED. The buffers stay referenced until the
 * operation's completion is delivered.
 */
export interface NativeIoUring {
  /** IORING_OP_WRITEV of `buffers` (1 to 1024) at `position`. */
  writev(fd: number, buffers: readonly Buffer[], position: number, userData: number, link: boolean): boolean;
  /** IORING_OP_READ into buffer[offset, offset + length) from `position`. */
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number, userData: number, link: boolean): boolean;
  /** IORING_OP_FSYNC with IORING_FSYNC_DATASYNC. */
  fdatasync(fd: number, userData: number, link: boolean): boolean;
  /** io_uring_enter for every queued operation: how many the kernel took. Throws (code, syscall 'io_uring_enter') on error. */
  submit(): number;
  /** Releases the ring, its eventfd and poll handle; EBUSY while operations are in flight; idempotent. */
  close(): void;
  readonly sqFree: number;
  readonly sqEntries: number;
  readonly cqEntries: number;
  /** Operations queued or submitted whose completion has not been delivered. */
  readonly inFlight: number;
}

export interface NativeIoUringConstructor {
  /**
   * A ring of at least `entries` submission entries; `onComplete(userDatas, results)` receives the
   * completions in batches (results: bytes, 0, or a negative errno). Throws with `code` the errno
   * name, `syscall` 'io_uring_setup' and `reason` saying what refused it.
   */
  new (entries: number, onComplete: (userDatas: number[], results: number[]) => void): NativeIoUring;
}

export interface NativeAddon {
  /** ABI version of the addon's JS API (bumped on incompatible change). */
  readonly version: number;
  /** The system page size (mmap offsets must be multiples of it). */
  pageSize(): number;

  /**
   * mmap(2) `length` bytes of `fd` from `offset` (a multiple of pageSize()), MAP_SHARED, read-only
   * or read-write, as an external ArrayBuffer over the mapping. Throws EINVAL for length 0 or an
   * unaligned offset, EACCES when the fd's mode does not allow the protection, EBADF, ENODEV.
   * Touching a page wholly past the end of the file raises SIGBUS and kills the process: size the
   * file first (fallocate) and never touch bytes past its end.
   */
  mmap(fd: number, offset: number, length: number, writable: boolean): ArrayBuffer;
  /**
   * Unmaps a mapping from mmap() and DETACHES its ArrayBuffer: its byteLength and that of every view
   * over it become 0, so stale views read as empty instead of crashing. Throws EINVAL when `buffer`
   * is not a live mapping (already unmapped, or not from mmap()), EBUSY while an msyncAsync on it is
   * in flight. A mapping never unmapped is unmapped when its ArrayBuffer is garbage collected.
   */
  munmap(buffer: ArrayBuffer): void;
  /**
   * msync(2) bytes [offset, offset + length) of the mapping (widened down to a page boundary):
   * MS_SYNC (blocks the calling thread until written back) when `sync`, else MS_ASYNC.
   * RangeError when the range exceeds the mapping; EINVAL when it is not a live mapping.
   */
  msync(buffer: ArrayBuffer, offset: number, length: number, sync: boolean): void;
  /** msync(MS_SYNC) of the range on the libuv thread pool; the mapping cannot be unmapped meanwhile (EBUSY). */
  msyncAsync(buffer: ArrayBuffer, offset: number, length: number): Promise<void>;
  /** madvise(2) the range of the mapping (widened down to a page boundary) with a MADV value. */
  madvise(buffer: ArrayBuffer, offset: number, length: number, advice: number): void;
  /**
   * How many bytes of [offset, offset + length) are resident in the page cache (page granular,
   * clipped to the range). With a file descriptor (opened for reading; a regular file, else EINVAL)
   * the range is clipped to the file's size and mapped read-only window by window, which faults
   * nothing in; with a mapping from mmap() the range is relative to the mapping.
   */
  mincore(fdOrBuffer: number | ArrayBuffer, offset: number, length: number): number;
  readonly MADV: MadviseAdvice;

  /** posix_fadvise(2); length 0 means to the end of the file. Throws EBADF, ESPIPE (pipe/socket), EINVAL (bad advice). */
  posix_fadvise(fd: number, offset: number, length: number, advice: number): void;
  readonly FADV: FadviseAdvice;
  /**
   * fallocate(2) with mode 0: allocates real blocks for [offset, offset + length), extending the
   * file size if the range ends past it. Throws ENOSPC on a full disk, EINVAL for length 0, EBADF
   * (also for a read-only fd), EOPNOTSUPP where the filesystem cannot.
   */
  fallocate(fd: number, offset: number, length: number): void;
  /** dup(2) (close-on-exec): a new descriptor for the same open file. */
  dup(fd: number): number;
  /** close(2) a descriptor (one from dup(); Node's own fds belong to Node). */
  close(fd: number): void;
  /** Sets (default) or clears O_NONBLOCK; it is a property of the open file, shared by its dups. */
  setNonBlocking(fd: number, on?: boolean): void;
  /**
   * One sendfile(2) of up to `length` bytes of `inFd` from `position` (inFd's own offset does not
   * move) to `outFd`. Returns the bytes sent (may be fewer than asked), 0 at end of file, or -1
   * when `outFd` is non-blocking and full (EAGAIN: wait with a Poller, then call again). Throws on
   * other errors (EPIPE, ECONNRESET, EBADF, EINVAL).
   */
  sendfile(outFd: number, inFd: number, position: number, length: number): number;
  /**
   * preadv2(2) with RWF_NOWAIT into the whole of `buffer` from `position`, on the calling thread:
   * the bytes read (0 at end of file; fewer than asked when only part is in the page cache), -1
   * when the first byte is not in the page cache (EAGAIN), -2 when the kernel or file system does
   * not support it for buffered reads. Throws on other errors (EBADF, EIO). Absent from addons
   * built before it existed: callers check for it.
   */
  preadNoWait?(fd: number, buffer: Buffer, position: number): number;
  /**
   * `length` zeroed bytes (1 .. 2^30) whose address is a multiple of `alignment` (a power of two,
   * pointer size .. 2^20): the buffers O_DIRECT reads and writes need (aligned_io.cc). Freed when
   * the ArrayBuffer is garbage collected. Absent from addons built before it existed.
   */
  alignedBuffer?(length: number, alignment: number): ArrayBuffer;
  /**
   * The record walk of one batch's records section (records.cc): true when it holds exactly
   * `recordsCount` well-formed records with offset deltas 0..n-1, accepting exactly what the JS
   * walk in core/log/record-walk.ts accepts (which runs on false, to say what is wrong).
   */
  walkRecords?(section: Buffer, recordsCount: number): boolean;
  /**
   * CRC-32C of `data` continuing from `previous` (the finished CRC of the bytes before it), with the
   * CPU's crc32 instruction on three streams (crc32c.cc); the same values as @node-rs/crc32's
   * crc32c. Absent where the CPU lacks SSE4.2 (and off x86-64) or from older builds.
   */
  crc32c?(data: Buffer, previous?: number): number;
  /**
   * One LZ4 block from src[srcOffset, srcOffset + srcBytes) decoded into dst[dstOffset, dstOffset +
   * dstBytes) by the system's liblz4 (LZ4_decompress_safe): the bytes written, or -1 when the block
   * is corrupt or its output does not fit. Absent when liblz4.so.1 cannot be opened.
   */
  lz4DecompressBlock?(src: Buffer, srcOffset: number, srcBytes: number, dst: Buffer, dstOffset: number, dstBytes: number): number;
  /**
   * An open file description lock (fcntl F_OFD_SETLK) on the whole of `fd`'s file, write
   * (`exclusive`) or read, without waiting: true when taken, false when a conflicting lock is held.
   * It belongs to the open file description: another open() of the same file conflicts with it, in
   * this process or another; the kernel drops it when the last descriptor closes (exit and SIGKILL
   * alike). It shares the lock table of POSIX record locks, so it conflicts with Java's
   * FileChannel.tryLock (Kafka's log dir lock) too. A write lock needs `fd` open for writing.
   * Absent from addons built before it existed: callers check for it.
   */
  lockFile?(fd: number, exclusive: boolean): boolean;
  /** Drops the lock lockFile took through this open file description. */
  unlockFile?(fd: number): void;
  /**
   * Who holds a lock that conflicts with a write (`exclusive`) or read lock of the whole file: 0
   * nobody, a pid for a process-associated POSIX lock (Kafka's JVM), -1 for an open file
   * description lock (which has no pid).
   */
  lockHolder?(fd: number, exclusive: boolean): number;
  readonly Poller: NativePollerConstructor;
  /** Absent from addons built before it existed: callers check for it. */
  readonly IoUring?: NativeIoUringConstructor;
  /** Why an io_uring cannot be set up here (the io_uring_disabled sysctl, io_uring_setup's errno), or '' when it can. */
  ioUringUnavailable?(): string;
}


const ADDON_FILE = 'build/Release/strata_native.node';
/** Left by native/install.mjs when the build failed: what went wrong, quoted in every "unavailable" error. */
const FAILED_MARKER = 'build/strata-build-failed.txt';
/** How to build it: the same text native/install.mjs prints and docs/native.md quotes. */
export const NATIVE_BUILD_FIX: string = buildFix.fix;

let loaded: { addon?: NativeAddon; why: string } | undefined;

/**
 * The directories the addon's build may be in: this file's own (running from source), or the
 * package's native/ seen from a bundle in dist/ or dist/<dir>/ (tsup puts this code in whichever
 * file imports it). STRATA_NATIVE_DIR names another native/ directory (the install tests use it).
 */
function nativeDirs(): string[] {
  if (process.env.STRATA_NATIVE_DIR) return [process.env.STRATA_NATIVE_DIR];
  return ['./', '../native/', '../../native/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
}

function failedBuild(dir: string): string {
  try {
    return readFileSync(join(dir, FAILED_MARKER), 'utf8').trim();
  } catch {
    return '';
  }
}

function load(): { addon?: NativeAddon; why: string } {
  if (process.env.STRATA_NATIVE === '0') return { why: 'disabled by STRATA_NATIVE=0' };
  const require = createRequire(import.meta.url);
  for (const dir of nativeDirs()) {
    const path = join(dir, ADDON_FILE);
    if (!existsSync(path)) {
      const failed = failedBuild(dir);
      if (failed) return { why: `its build at npm install failed: ${failed}` };
      continue;
    }
    try {
      return { addon: require(path) as NativeAddon, why: '' };
    } catch (err) {
      // built for another Node ABI, or a missing library: report it rather than pretend it is absent
      return { why: `${path} failed to load: ${(err as Error).message}` };
    }
  }
  return { why: '' };
}

/** The addon, or undefined when it was not built (or cannot load). */
export function loadNative(): NativeAddon | undefined {
  loaded ??= load();
  return loaded.addon;
}

/**
 * Why the addon is unavailable, with the fix, as one sentence (empty when it loaded): what the
 * harness puts beside a skipped cell and `strata serve` logs when it falls back to buffered.
 */
export function nativeUnavailableReason(what: string): string {
  if (loadNative()) return '';
  const why = loaded!.why ? `${loaded!.why}; ` : '';
  return `unavailable: native addon not built (${what} needs it; ${why}fix: ${NATIVE_BUILD_FIX})`;
}

/** The addon, or a StrataError ENGINE_UNAVAILABLE saying that `what` needs it and how to build it. */
export function requireNative(what: string): NativeAddon {
  const addon = loadNative();
  if (addon) return addon;
  throw new StrataError('ENGINE_UNAVAILABLE', nativeUnavailableReason(what));
}
