/**
 * The data directory's lock (Kafka's FileLock on `.lock` in every log dir): one writer per data
 * directory. Two processes appending to, recovering and retaining the same segments lose
 * acknowledged records; the second opener is refused with one line naming the directory and the
 * holder's pid.
 *
 * The lock is an open file description lock on the whole file (fcntl F_OFD_SETLK, through the
 * native addon): the kernel's, so it goes with the process (exit, crash or SIGKILL alike: no stale
 * lock to clean up); it belongs to the open file description, so a second LogManager on the same
 * directory in the same process is refused too (a POSIX record lock would not be); and it is in the
 * lock table Java's FileChannel.tryLock uses, so strata and Kafka exclude each other on one log
 * dir (flock would not: Linux keeps flock locks apart from fcntl ones). The holder writes its pid
 * into the file, for the refusal message (Kafka's pid comes from the kernel: its lock is a POSIX
 * one); the lock decides.
 *
 * Without the addon there is no such lock (Node has none): writers refuse to open, unless the
 * operator sets STRATA_DATA_DIR_LOCK=none, which opens unlocked with a warning at every start.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { loadNative, nativeUnavailableReason, type NativeAddon } from '../native/index.js';
import { StrataError } from './errors.js';
import { openRegularFileSync } from './regular-file.js';

/** Kafka's name for it (LogManager.LockFileName). */
export const LOCK_FILE = '.lock';
/** STRATA_DATA_DIR_LOCK=none: open writers without the lock when the addon is missing. */
export const LOCK_ENV = 'STRATA_DATA_DIR_LOCK';
/** The pid line is short; a longer file was not written by a holder. */
const PID_BYTES_MAX = 32;

/** A writer holds the data dir's lock. */
export class DataDirLockedError extends StrataError {
  constructor(
    readonly dir: string,
    /** The holder's pid from the lock file; undefined when it had not written it yet. */
    readonly holderPid: number | undefined,
  ) {
    const who = holderPid === undefined ? 'another process (pid unknown)' : holderPid === process.pid ? `this process (pid ${holderPid}: the directory is already open in it)` : `another process (pid ${holderPid})`;
    super('STORAGE_ERROR', `data dir ${dir} is locked by ${who}: ${join(dir, LOCK_FILE)} is held; one writer per data dir, as Kafka's log dir lock`);
    this.name = 'DataDirLockedError';
  }
}

type Locks = Required<Pick<NativeAddon, 'lockFile' | 'unlockFile' | 'lockHolder'>>;

function locksOf(native: NativeAddon | undefined): Locks | undefined {
  return native?.lockFile && native.unlockFile && native.lockHolder ? (native as Locks) : undefined;
}

/** The holder's pid: the kernel's for a POSIX lock (Kafka), else the one the holder wrote. */
function holderPid(locks: Locks, fd: number): number | undefined {
  const kernelPid = locks.lockHolder(fd, true);
  if (kernelPid > 0) return kernelPid;
  const buf = Buffer.alloc(PID_BYTES_MAX);
  const n = fs.readSync(fd, buf, 0, buf.length, 0);
  const m = /^(\d+)\n/.exec(buf.toString('latin1', 0, n));
  return m ? Number(m[1]) : undefined;
}

export class FileLock {
  private released = false;

  private constructor(
    readonly dir: string,
    private readonly fd: number | undefined,
    private readonly locks: Locks | undefined,
  ) {}

  /** True when the kernel lock is held; false for an unlocked open (STRATA_DATA_DIR_LOCK=none). */
  get locked(): boolean {
    return this.fd !== undefined && !this.released;
  }

  /**
   * Takes `dir`'s lock without waiting: DataDirLockedError when a writer holds it, an
   * ENGINE_UNAVAILABLE StrataError without the addon (unless STRATA_DATA_DIR_LOCK=none, which
   * returns an unlocked FileLock: `locked` false).
   */
  static lockDataDir(dir: string): FileLock {
    const locks = locksOf(loadNative());
    if (!locks) {
      if (process.env[LOCK_ENV] === 'none') return new FileLock(dir, undefined, undefined);
      const why = loadNative() ? 'unavailable: the native addon was built before the data dir lock existed (fix: npm run build:native)' : nativeUnavailableReason('the data dir lock');
      throw new StrataError('ENGINE_UNAVAILABLE', `cannot lock data dir ${dir}: ${why}; ${LOCK_ENV}=none opens it unlocked (nothing then stops a second process from sharing it)`);
    }
    const path = join(dir, LOCK_FILE);
    const fd = openRegularFileSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT);
    try {
      if (!locks.lockFile(fd, true)) throw new DataDirLockedError(dir, holderPid(locks, fd));
      fs.ftruncateSync(fd, 0);
      fs.writeSync(fd, `${process.pid}\n`, 0);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    return new FileLock(dir, fd, locks);
  }

  /** Releases the lock (the pid is cleared first: the file names a pid only while it is held). Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.fd === undefined) return;
    try {
      fs.ftruncateSync(this.fd, 0);
      this.locks!.unlockFile(this.fd);
    } finally {
      fs.closeSync(this.fd);
    }
  }
}

/** What a reader learns from probing a data dir's lock. */
export type LockProbe = { held: false } | { held: true; pid: number | undefined } | { held: 'unknown'; why: string };

/**
 * Whether a writer holds `dir`'s lock, for readers (verify, dump) that go on either way: the kernel
 * asked (F_OFD_GETLK) on a descriptor opened read-only; a reader creates and locks nothing.
 */
export function probeDataDirLock(dir: string): LockProbe {
  let fd: number;
  try {
    fd = openRegularFileSync(join(dir, LOCK_FILE), fs.constants.O_RDONLY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { held: false };
    return { held: 'unknown', why: (err as Error).message };
  }
  try {
    const locks = locksOf(loadNative());
    if (!locks) return { held: 'unknown', why: 'the native addon is not built (no file locks)' };
    if (locks.lockHolder(fd, true) === 0) return { held: false };
    return { held: true, pid: holderPid(locks, fd) };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The one line a reader prints on stderr before reading a data dir a writer may be changing, or
 * undefined when no writer holds it.
 */
export function readerLockNotice(dir: string, command: string): string | undefined {
  const probe = probeDataDirLock(dir);
  if (probe.held === false) return undefined;
  if (probe.held === 'unknown') return `strata ${command}: cannot tell whether a writer holds ${join(dir, LOCK_FILE)} (${probe.why}); reading anyway: if one runs, the view may be moving`;
  return `strata ${command}: a writer (pid ${probe.pid ?? 'unknown'}) holds ${join(dir, LOCK_FILE)}; reading read-only anyway: the view may be moving (a batch being written can look torn)`;
}
