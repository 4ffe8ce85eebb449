/**
 * Opening and reading the files of a data directory without trusting what the names point at. A
 * segment, index, snapshot, checkpoint or lock file must be a regular file: a symbolic link is not
 * followed (O_NOFOLLOW, so a link swapped in between a check and the open cannot be followed
 * either), and what the open gave is checked with fstat before anything reads or writes it. A FIFO
 * or a socket named like a segment must not hang the process, so every open is O_NONBLOCK (on a
 * regular file Linux ignores it). A file read whole is read only up to a bound given by the caller.
 */
import fs from 'node:fs';
import { StrataError } from './errors.js';

const { O_NOFOLLOW, O_NONBLOCK } = fs.constants;
/** Added to every open here: no symbolic link followed, no open or read that waits on a FIFO. */
export const NO_FOLLOW_FLAGS = O_NOFOLLOW | O_NONBLOCK;

/** What a directory entry is, in words, for error messages: 'a symbolic link', 'a directory', … */
export function fileKind(stats: fs.Stats): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** A file strata was asked to read or write is something else: refused, naming the path. */
export class NotRegularFileError extends StrataError {
  constructor(
    readonly path: string,
    readonly kind: string,
  ) {
    super('STORAGE_ERROR', `${path} is ${kind}, not a regular file: refused (strata does not follow symbolic links or read anything but regular files in a data dir)`);
    this.name = 'NotRegularFileError';
  }
}

/** A file read whole is larger than its bound: refused before reading. */
export class FileTooLargeError extends StrataError {
  constructor(path: string, sizeBytes: number, maxBytes: number) {
    super('STORAGE_ERROR', `${path} is ${sizeBytes} bytes, more than the ${maxBytes} bytes such a file can hold: refused`);
    this.name = 'FileTooLargeError';
  }
}

/** Errors an O_NOFOLLOW | O_NONBLOCK open gives for what is not a regular file. */
const NOT_REGULAR_OPEN_ERRORS = new Set(['ELOOP', 'EISDIR', 'ENXIO', 'ENODEV', 'EOPNOTSUPP']);

/** Turns an open error caused by the entry's kind into a NotRegularFileError; others pass as they are. */
function explainOpenError(path: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined || !NOT_REGULAR_OPEN_ERRORS.has(code)) return err;
  try {
    const st = fs.lstatSync(path);
    return st.isFile() ? err : new NotRegularFileError(path, fileKind(st));
  } catch {
    return err;
  }
}

function checkRegular(path: string, fd: number): void {
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new NotRegularFileError(path, fileKind(st));
  }
}

/**
 * open(2) with O_NOFOLLOW | O_NONBLOCK added; the descriptor is returned only when it is a regular
 * file (NotRegularFileError otherwise, the descriptor closed). ENOENT and the like pass through.
 */
export function openRegularFileSync(path: string, flags: number, mode = 0o644): number {
  let fd: number;
  try {
    fd = fs.openSync(path, flags | NO_FOLLOW_FLAGS, mode);
  } catch (err) {
    throw explainOpenError(path, err);
  }
  checkRegular(path, fd);
  return fd;
}

/** openRegularFileSync on the thread pool (the engines' open). */
export function openRegularFile(path: string, flags: number, mode = 0o644): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.open(path, flags | NO_FOLLOW_FLAGS, mode, (err, fd) => {
      if (err) return reject(explainOpenError(path, err));
      fs.fstat(fd, (statErr, st) => {
        if (statErr || !st.isFile()) {
          fs.close(fd, () => reject(statErr ?? new NotRegularFileError(path, fileKind(st))));
        } else resolve(fd);
      });
    }),
  );
}

/**
 * The whole of a regular file, refused (FileTooLargeError) when it is larger than `maxBytes`. A
 * file that grows while it is read is read up to the size fstat gave: the bound holds whatever
 * happens to the file meanwhile.
 */
export function readRegularFileSync(path: string, maxBytes: number): Buffer {
  const fd = openRegularFileSync(path, fs.constants.O_RDONLY);
  try {
    const sizeBytes = fs.fstatSync(fd).size;
    if (sizeBytes > maxBytes) throw new FileTooLargeError(path, sizeBytes, maxBytes);
    const buf = Buffer.allocUnsafe(sizeBytes);
    let got = 0;
    while (got < sizeBytes) {
      const n = fs.readSync(fd, buf, got, sizeBytes - got, got);
      if (n === 0) break;
      got += n;
    }
    return got === sizeBytes ? buf : buf.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * What the entry at `path` is, without following a link: 'missing', 'regular', or its kind in
 * words ('a directory', 'a symbolic link', …).
 */
export function entryKind(path: string): 'missing' | 'regular' | string {
  try {
    const st = fs.lstatSync(path);
    return st.isFile() ? 'regular' : fileKind(st);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
}
