/**
 * A segment file written and read with direct I/O (Redpanda's segment_appender): the descriptor is
 * O_DIRECT, so no byte goes through the page cache. Appends are gathered into an aligned staging
 * buffer and written whole blocks at a time; the last, partial block stays in the buffer and is
 * written again, completed, by the next write (after a reopen it is read back from the file first).
 * Each write is followed by an fdatasync, which acknowledges every append the write carried: appends
 * that arrive while a write and its sync run wait for the next one (group commit). Reads are served
 * from the engine's batch cache, and misses read whole chunks O_DIRECT into aligned buffers.
 *
 * The file may be longer than the data while it is open: a write ends on a block boundary (zeros
 * after the data) and the file is reserved ahead with fallocate. Recovery reads zeros after the data
 * of the last segment as its reservation; trim and close cut the file to the data and sync the size.
 */
import fs from 'node:fs';
import type { SegmentFile, SegmentFileStats, SegmentOpenOptions } from '../../core/engine.js';
import { StrataError, assert } from '../../core/errors.js';
import type { NativeAddon } from '../../native/index.js';
import { closeFd, fdatasyncFd, fstatSize, ftruncateFd } from '../fs-io.js';
import { IoStats } from '../io-stats.js';
import type { BatchCache } from './batch-cache.js';
import { alignedBuffer, logicalBlockBytes, openDirect, roundDown, roundUp } from './direct-io.js';

/** The staging buffer: the most one write carries (a larger group is written in several). */
export const DIRECT_WRITE_BYTES_MAX = 1024 * 1024;
/**
 * Reservation ahead of the data when the segment is not preallocated: fallocate in steps of a
 * quarter of the file, at least the minimum and at most the maximum, so a small segment reserves
 * little (each reservation is given back, and synced, on roll) and a large one grows in few extents.
 */
export const DIRECT_RESERVE_STEP_BYTES = 1024 * 1024;
export const DIRECT_RESERVE_STEP_BYTES_MAX = 16 * 1024 * 1024;

type Native = Required<Pick<NativeAddon, 'alignedBuffer' | 'fallocate'>>;

export interface DirectContext {
  readonly engineName: string;
  readonly native: Native;
  readonly cache: BatchCache;
}

interface QueuedAppend {
  readonly chunks: readonly Buffer[];
  readonly bytes: number;
  resolve(): void;
  reject(err: unknown): void;
}

function writeAt(fd: number, buf: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.write(fd, buf, 0, length, position, (err, n) => (err ? reject(err) : resolve(n))));
}

function readAt(fd: number, buf: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buf, 0, length, position, (err, n) => (err ? reject(err) : resolve(n))));
}

export class DirectSegmentFile implements SegmentFile {
  private readonly io = new IoStats();
  private readonly fileId: number;
  /**
   * Aligned: staging[0, staged) are the file's bytes from stagedFrom (a block boundary) on. Made
   * (and the partial block read back into it) at the first write only, and given back on trim: a
   * log opens every segment, and only the active one is written.
   */
  private stagingBuffer: Buffer | undefined;
  private stagedFrom: number;
  private staged: number;
  /** Bytes written and synced: the end of the data on disk. */
  private durableBytes: number;
  /** Bytes appended, including those still queued or being written. */
  private endBytes: number;
  private readonly queue: QueuedAppend[] = [];
  private writing: Promise<void> | undefined;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  /** Truncations so far: a read begun before one does not fill the cache. */
  private cuts = 0;
  /** The file's length: data, block padding and reservation. */
  private reservedBytes: number;

  private constructor(
    readonly path: string,
    readonly fd: number,
    readonly blockBytes: number,
    private readonly ctx: DirectContext,
    validBytes: number,
    fileBytes: number,
    private readonly preallocateBytes: number,
  ) {
    this.fileId = ctx.cache.register();
    this.durableBytes = validBytes;
    this.endBytes = validBytes;
    this.stagedFrom = roundDown(validBytes, blockBytes);
    this.staged = validBytes - this.stagedFrom;
    this.reservedBytes = fileBytes;
  }

  static async open(path: string, options: SegmentOpenOptions, ctx: DirectContext): Promise<DirectSegmentFile> {
    assert(Number.isSafeInteger(options.preallocateBytes) && options.preallocateBytes >= 0, `preallocateBytes ${options.preallocateBytes} must be a non-negative integer`);
    const fd = await openDirect(path, ctx.engineName);
    try {
      const blockBytes = logicalBlockBytes(fd);
      assert(DIRECT_WRITE_BYTES_MAX % blockBytes === 0, `block size ${blockBytes} of ${path} does not divide the ${DIRECT_WRITE_BYTES_MAX}-byte staging buffer`);
      const fileBytes = await fstatSize(fd);
      const validBytes = options.validBytes ?? fileBytes;
      assert(validBytes >= 0 && validBytes <= fileBytes, `valid bytes ${validBytes} outside 0..${fileBytes} (file size) of ${path}`);
      const file = new DirectSegmentFile(path, fd, blockBytes, ctx, validBytes, fileBytes, options.preallocateBytes);
      if (options.preallocateBytes > fileBytes) await file.reserve(options.preallocateBytes);
      return file;
    } catch (err) {
      await closeFd(fd).catch(() => {});
      throw err;
    }
  }

  get sizeBytes(): number {
    return this.endBytes;
  }

  append(chunks: readonly Buffer[], byteLength: number): Promise<void> {
    try {
      this.checkUsable();
    } catch (err) {
      return Promise.reject(err);
    }
    let total = 0;
    for (const c of chunks) total += c.length;
    assert(total === byteLength, `append of ${byteLength} bytes to ${this.path} got chunks totalling ${total}`);
    this.endBytes += byteLength;
    this.io.countAppend(byteLength);
    const done = new Promise<void>((resolve, reject) => this.queue.push({ chunks, bytes: byteLength, resolve, reject }));
    this.writing ??= this.writeQueued();
    return done;
  }

  async read(position: number, length: number): Promise<Buffer> {
    this.checkUsable();
    assert(Number.isSafeInteger(position) && position >= 0 && Number.isSafeInteger(length) && length >= 0, `read(${position}, ${length}) of ${this.path} needs non-negative integers`);
    const end = Math.min(position + length, this.durableBytes);
    if (end <= position) return Buffer.alloc(0);
    const chunkBytes = this.ctx.cache.chunkBytes;
    const first = Math.floor(position / chunkBytes);
    const last = Math.floor((end - 1) / chunkBytes);
    if (first === last) {
      const chunk = await this.chunk(first, end - first * chunkBytes);
      return chunk.subarray(position - first * chunkBytes, end - first * chunkBytes);
    }
    const out = Buffer.allocUnsafe(end - position);
    for (let index = first; index <= last; index++) {
      const chunkStart = index * chunkBytes;
      const from = Math.max(position, chunkStart);
      const to = Math.min(end, chunkStart + chunkBytes);
      const chunk = await this.chunk(index, to - chunkStart);
      chunk.copy(out, from - position, from - chunkStart, to - chunkStart);
    }
    return out;
  }

  /**
   * Waits for every append made so far (each write is followed by its sync), then syncs once more:
   * what a truncate or reservation changed of the file's metadata is durable too.
   */
  async flush(): Promise<void> {
    this.checkUsable();
    while (this.writing) await this.writing;
    if (this.failure) throw this.failedError();
    await fdatasyncFd(this.fd, this.io);
  }

  async truncate(sizeBytes: number): Promise<void> {
    this.checkUsable();
    assert(Number.isSafeInteger(sizeBytes) && sizeBytes >= 0 && sizeBytes <= this.endBytes, `truncate to ${sizeBytes} outside 0..${this.endBytes} of ${this.path}`);
    assert(this.writing === undefined, `truncate of ${this.path} while appends are in flight`);
    await ftruncateFd(this.fd, sizeBytes);
    this.cuts++;
    this.ctx.cache.invalidateFrom(this.fileId, sizeBytes);
    this.reservedBytes = sizeBytes;
    this.durableBytes = sizeBytes;
    this.endBytes = sizeBytes;
    this.stagedFrom = roundDown(sizeBytes, this.blockBytes);
    this.staged = sizeBytes - this.stagedFrom;
    this.stagingBuffer = undefined; // the next write reads the new partial block back
    if (this.preallocateBytes > sizeBytes) await this.reserve(this.preallocateBytes);
    // the cut must be durable (SegmentFile.truncate)
    await fdatasyncFd(this.fd, this.io);
  }

  async trim(): Promise<void> {
    this.checkUsable();
    while (this.writing) await this.writing;
    await this.trimReserved();
    // a trimmed (rolled) segment is not written again: its staging memory goes
    if (!this.writing) this.stagingBuffer = undefined;
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  stats(): SegmentFileStats {
    return this.io.snapshot();
  }

  private async doClose(): Promise<void> {
    try {
      // the writes in flight and queued finish first: the descriptor must outlive them
      while (this.writing) await this.writing;
      if (!this.failure) await this.trimReserved();
    } finally {
      this.ctx.cache.forget(this.fileId);
      await closeFd(this.fd);
    }
  }

  /** Cuts the padding and reservation after the data and makes the size durable. */
  private async trimReserved(): Promise<void> {
    if (this.reservedBytes <= this.durableBytes && (await fstatSize(this.fd)) === this.durableBytes) return;
    await ftruncateFd(this.fd, this.durableBytes);
    this.reservedBytes = this.durableBytes;
    // a trim lost to a power cut brings zeros back past the data of a closed segment
    await fdatasyncFd(this.fd, this.io);
  }

  /** The staging buffer, made on first use with the partial last block read back from the file. */
  private async staging(): Promise<Buffer> {
    if (this.stagingBuffer) return this.stagingBuffer;
    const buf = alignedBuffer(this.ctx.native, DIRECT_WRITE_BYTES_MAX, this.blockBytes);
    if (this.staged > 0) {
      const n = await readAt(this.fd, buf, this.blockBytes, this.stagedFrom);
      assert(n >= this.staged, `${this.path}: reading the last block at position ${this.stagedFrom} gave ${n} of its ${this.staged} valid bytes`);
    }
    this.stagingBuffer = buf;
    return buf;
  }

  /** Makes the file at least `end` bytes long with allocated blocks. */
  private async reserve(end: number): Promise<void> {
    if (end <= this.reservedBytes) return;
    this.ctx.native.fallocate(this.fd, this.reservedBytes, end - this.reservedBytes);
    this.reservedBytes = end;
  }

  /** The write loop: one group at a time, until the queue is empty. */
  private async writeQueued(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.failure) {
        const group = this.queue.splice(0);
        try {
          await this.writeGroup(group);
          for (const a of group) a.resolve();
        } catch (err) {
          // the file may hold part of the group: nothing later may be acknowledged
          this.failure = err instanceof Error ? err : new Error(String(err));
          for (const a of group) a.reject(err);
        }
      }
      for (const a of this.queue.splice(0)) a.reject(this.failedError());
    } finally {
      this.writing = undefined;
    }
  }

  /** Writes the group's bytes after the data, whole blocks at a time, then syncs once. */
  private async writeGroup(group: readonly QueuedAppend[]): Promise<void> {
    const from = this.durableBytes;
    let bytes = 0;
    for (const a of group) bytes += a.bytes;
    const end = from + bytes;
    const preallocated = end <= this.preallocateBytes;
    if (!preallocated && roundUp(end, this.blockBytes) > this.reservedBytes) {
      const step = Math.min(DIRECT_RESERVE_STEP_BYTES_MAX, Math.max(DIRECT_RESERVE_STEP_BYTES, roundUp(this.reservedBytes / 4, DIRECT_RESERVE_STEP_BYTES)));
      await this.reserve(roundUp(end, step));
    }
    const staging = await this.staging();
    for (const a of group) {
      for (const chunk of a.chunks) {
        let at = 0;
        while (at < chunk.length) {
          const n = Math.min(chunk.length - at, staging.length - this.staged);
          chunk.copy(staging, this.staged, at, at + n);
          this.staged += n;
          at += n;
          if (this.staged === staging.length) await this.writeStaged(staging);
        }
      }
    }
    if (this.staged > 0) await this.writeStaged(staging);
    await fdatasyncFd(this.fd, this.io);
    this.durableBytes = end;
    let at = from;
    for (const a of group) {
      for (const chunk of a.chunks) {
        this.ctx.cache.onWritten(this.fileId, at, chunk);
        at += chunk.length;
      }
    }
  }

  /**
   * Writes the staging buffer's blocks (the last one padded with zeros) at stagedFrom, then keeps
   * only the partial last block, moved to the buffer's start.
   */
  private async writeStaged(staging: Buffer): Promise<void> {
    const length = roundUp(this.staged, this.blockBytes);
    staging.fill(0, this.staged, length);
    let written = 0;
    while (written < length) {
      const n = await writeAt(this.fd, staging.subarray(written), length - written, this.stagedFrom + written);
      this.io.countWrite(n);
      assert(n > 0 && n % this.blockBytes === 0, `direct write to ${this.path} at ${this.stagedFrom + written} wrote ${n} bytes, not whole ${this.blockBytes}-byte blocks`);
      written += n;
    }
    const whole = roundDown(this.staged, this.blockBytes);
    if (whole < this.staged) staging.copy(staging, 0, whole, this.staged);
    this.stagedFrom += whole;
    this.staged -= whole;
  }

  /** Chunk `index` with at least `needed` valid bytes: from the cache, else read O_DIRECT. */
  private async chunk(index: number, needed: number): Promise<Buffer> {
    const cache = this.ctx.cache;
    const held = cache.lookup(this.fileId, index, needed);
    if (held) return held;
    const start = index * cache.chunkBytes;
    const buf = alignedBuffer(this.ctx.native, cache.chunkBytes, this.blockBytes);
    const durable = this.durableBytes;
    const cuts = this.cuts;
    const want = Math.min(cache.chunkBytes, roundUp(durable - start, this.blockBytes));
    let got = 0;
    while (got < want) {
      const n = await readAt(this.fd, buf.subarray(got), want - got, start + got);
      got += n;
      // a read that ends off a block boundary ended at the end of the file: another one would start
      // unaligned, which O_DIRECT refuses
      if (n === 0 || got % this.blockBytes !== 0) break;
    }
    const filled = Math.min(got, durable - start);
    assert(filled >= needed, `${this.path}: direct read of chunk at ${start} gave ${filled} bytes, ${needed} needed`);
    // a cut while the read ran makes these bytes maybe not the file's any more: not kept
    if (this.cuts === cuts) cache.insertRead(this.fileId, index, buf, filled);
    return buf.subarray(0, filled);
  }

  private checkUsable(): void {
    if (this.closing) throw new StrataError('LOG_CLOSED', `segment file ${this.path} is closed`);
    if (this.failure) throw this.failedError();
  }

  private failedError(): StrataError {
    return new StrataError('STORAGE_ERROR', `segment file ${this.path} failed earlier: ${this.failure?.message}`, { cause: this.failure });
  }
}
