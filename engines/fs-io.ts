/**
 * Promise wrappers over Node's callback fs calls, which cost less per call than fs/promises'
 * FileHandle API on the append hot path, plus a positional writev that finishes partial writes.
 */
import fs from 'node:fs';
import { loadNative } from '../native/index.js';
import type { IoStats } from './io-stats.js';

export function openFd(path: string, flags: number, mode = 0o644): Promise<number> {
  return new Promise((resolve, reject) => fs.open(path, flags, mode, (err, fd) => (err ? reject(err) : resolve(fd))));
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve())));
}

export function fstatSize(fd: number): Promise<number> {
  return new Promise((resolve, reject) => fs.fstat(fd, (err, st) => (err ? reject(err) : resolve(st.size))));
}

export function ftruncateFd(fd: number, length: number): Promise<void> {
  return new Promise((resolve, reject) => fs.ftruncate(fd, length, (err) => (err ? reject(err) : resolve())));
}

/**
 * fdatasync on the threadpool; counted in `stats` (when given) when the call returns, before anyone
 * waiting for it hears, so a caller that was told "durable" always sees the sync counted.
 */
export function fdatasyncFd(fd: number, stats?: IoStats): Promise<void> {
  return new Promise((resolve, reject) =>
    fs.fdatasync(fd, (err) => {
      stats?.countSync();
      if (err) reject(err);
      else resolve();
    }),
  );
}

/**
 * Drops the first `written` bytes from `pending`; a short write leaves the rest of a chunk to go
 * again. Empty chunks at the head go too: left in place, a list of only empty chunks would be
 * written (0 bytes) again and again.
 */
function dropWritten(pending: Buffer[], written: number): void {
  while (pending.length > 0 && (written > 0 || pending[0]!.length === 0)) {
    const head = pending[0]!;
    if (written >= head.length) {
      written -= head.length;
      pending.shift();
    } else {
      pending[0] = head.subarray(written);
      written = 0;
    }
  }
}

/**
 * Writes all of `chunks` at `position`, continuing after short writes (a full disk surfaces as
 * ENOSPC). Each writev call is counted in `stats`, with the bytes it wrote.
 */
export function pwritevAll(fd: number, chunks: readonly Buffer[], position: number, stats?: IoStats): Promise<void> {
  return new Promise((resolve, reject) => {
    const pending = chunks.slice();
    let at = position;
    const step = (): void => {
      fs.writev(fd, pending, at, (err, written) => {
        stats?.countWrite(err ? 0 : written);
        if (err) return reject(err);
        at += written;
        dropWritten(pending, written);
        if (pending.length === 0) resolve();
        else step();
      });
    };
    step();
  });
}

/** pwritevAll made synchronously on the calling thread (inline writes); `bytes` is the chunks' total. */
export function pwritevAllSync(fd: number, chunks: readonly Buffer[], bytes: number, position: number, stats?: IoStats): void {
  // the usual whole write needs no copy of the chunk list
  const first = writevCounted(fd, chunks, position, stats);
  if (first === bytes) return;
  const pending = chunks.slice();
  dropWritten(pending, first);
  let at = position + first;
  while (pending.length > 0) {
    const written = writevCounted(fd, pending, at, stats);
    at += written;
    dropWritten(pending, written);
  }
}

function writevCounted(fd: number, chunks: readonly Buffer[], position: number, stats: IoStats | undefined): number {
  try {
    const written = fs.writevSync(fd, chunks as Buffer[], position);
    stats?.countWrite(written);
    return written;
  } catch (err) {
    stats?.countWrite(0);
    throw err;
  }
}

/** Reads up to `length` bytes at `position`; fewer only at end of file. */
export function preadFull(fd: number, position: number, length: number): Promise<Buffer> {
  return preadRest(fd, Buffer.allocUnsafe(length), 0, position);
}

/** preadv2 RWF_NOWAIT from the addon; undefined without it, or once the kernel said it has none. */
let preadNoWait: ((fd: number, buffer: Buffer, position: number) => number) | undefined | null = null;

/**
 * Copies into `buf` what the page cache holds of the file from `position`, on the calling thread
 * (preadv2 RWF_NOWAIT): how many of buf's first bytes came, 0 without the addon or RWF_NOWAIT or
 * when the first page is not cached. A caller wanting the rest reads it with preadRest (in the
 * pool): a range cached but for its last page costs one pool request for that page, not a second
 * read of everything. A thread pool read costs two thread wake-ups and an eventfd round trip, more
 * CPU than copying what the cache holds.
 */
export function preadCached(fd: number, buf: Buffer, position: number): number {
  if (preadNoWait === null) preadNoWait = loadNative()?.preadNoWait?.bind(undefined);
  if (!preadNoWait) return 0;
  const n = preadNoWait(fd, buf, position);
  if (n === -2) preadNoWait = undefined; // no RWF_NOWAIT here: never ask again
  return Math.max(n, 0);
}

/**
 * Fills `buf` from byte `got` on with the file's bytes from `position + got`: what a read that
 * already has the first `got` bytes still needs. Short at the end of the file (the subarray read).
 */
export function preadRest(fd: number, buf: Buffer, got: number, position: number): Promise<Buffer> {
  const length = buf.length;
  return new Promise((resolve, reject) => {
    const step = (): void => {
      fs.read(fd, buf, got, length - got, position + got, (err, n) => {
        if (err) return reject(err);
        got += n;
        if (n === 0 || got === length) resolve(got === length ? buf : buf.subarray(0, got));
        else step();
      });
    };
    if (got >= length) resolve(buf);
    else step();
  });
}
