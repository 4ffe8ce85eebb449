/**
 * A segment file written and read through the process's io_uring (io-uring-queue.ts). Appends that
 * arrive in one turn of the event loop's microtasks form a group: one IORING_OP_WRITEV at the
 * group's position (the appends are contiguous), linked (IOSQE_IO_LINK) to one fdatasync when the
 * file is durable, so the sync starts only after the write completed in full, and the whole chain
 * goes to the kernel in one io_uring_enter. The group's appends resolve when the last link
 * completes: group commit by construction. Groups settle in order, whatever order the kernel
 * completes them in, so the log's acknowledgements stay in offset order.
 */
import fs from 'node:fs';
import type { SegmentFile, SegmentFileStats, SegmentOpenOptions } from '../core/engine.js';
import { StrataError, assert, assertionFailed } from '../core/errors.js';
import { openRegularFile } from '../core/regular-file.js';
import { closeFd, fstatSize, ftruncateFd } from './fs-io.js';
import { IoStats } from './io-stats.js';
import { preallocateFile } from './preallocate.js';
import { URING_CANCELED, URING_IO_BYTES_MAX, sharedUringQueue, uringError, type UringOp, type UringQueue } from './io-uring-queue.js';

/** Linux's IOV_MAX: chunks one writev may take. */
const CHUNKS_PER_WRITE_MAX = 1024;
/** Bytes one group may take, so a long queue is written in bounded steps. */
const BYTES_PER_GROUP_MAX = 8 * 1024 * 1024;
/**
 * Groups in flight per file. A second group submitted while the first one's sync runs keeps the
 * disk busy (as fsync-group's two syncs in flight); the appends arriving meanwhile gather into the
 * next group instead of one chain each.
 */
const GROUPS_IN_FLIGHT_MAX = 2;

interface QueuedAppend {
  chunks: readonly Buffer[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface UringFileOptions {
  /** Each group's write is linked to an fdatasync: an append resolves once durable. */
  durable: boolean;
}

export class UringSegmentFile implements SegmentFile {
  /** Bytes of file reserved ahead of the data, or written past the valid bytes by a failed group. */
  private reservedBytes: number;
  private size: number;
  /** Where the next group is written: the end of the appends already taken into groups. */
  private writePosition: number;
  /** Appends not yet in a group. */
  private queued: QueuedAppend[] = [];
  private groupsInFlight = 0;
  /** Settles after the last group settled: the next one settles after it. */
  private lastSettled: Promise<void> = Promise.resolve();
  /** Ring operations of this file (groups, reads, flushes) not completed. */
  private opsInFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private closing: Promise<void> | undefined;
  /** A failed write or sync: every later call fails (after a failed writeback pages may be marked clean). */
  private failure: Error | undefined;
  private readonly io = new IoStats();
  private readonly startGroups = () => this.submitGroups();

  private constructor(
    readonly path: string,
    readonly fd: number,
    private readonly queue: UringQueue,
    private readonly options: UringFileOptions,
    validBytes: number,
    fileBytes: number,
    private readonly preallocateBytes: number,
  ) {
    this.size = validBytes;
    this.writePosition = validBytes;
    this.reservedBytes = fileBytes;
  }

  static async open(path: string, options: SegmentOpenOptions, uring: UringFileOptions): Promise<UringSegmentFile> {
    const queue = sharedUringQueue();
    assert(Number.isSafeInteger(options.preallocateBytes) && options.preallocateBytes >= 0, `preallocateBytes ${options.preallocateBytes} must be a non-negative integer`);
    // O_APPEND is deliberately absent: writes go at explicit positions
    const fd = await openRegularFile(path, fs.constants.O_RDWR | fs.constants.O_CREAT);
    try {
      let fileBytes = await fstatSize(fd);
      const validBytes = options.validBytes ?? fileBytes;
      assert(validBytes >= 0 && validBytes <= fileBytes, `valid bytes ${validBytes} outside 0..${fileBytes} (file size) of ${path}`);
      if (options.preallocateBytes > fileBytes) {
        await preallocateFile(fd, fileBytes, options.preallocateBytes);
        fileBytes = options.preallocateBytes;
      }
      return new UringSegmentFile(path, fd, queue, uring, validBytes, fileBytes, options.preallocateBytes);
    } catch (err) {
      await closeFd(fd).catch(() => {});
      throw err;
    }
  }

  get sizeBytes(): number {
    return this.size;
  }

  append(chunks: readonly Buffer[], byteLength: number): Promise<void> {
    this.checkUsable();
    let total = 0;
    for (const chunk of chunks) total += chunk.length;
    if (total !== byteLength) assertionFailed(`append of ${byteLength} bytes to ${this.path} got chunks totalling ${total}`);
    this.size += byteLength;
    this.io.countAppend(byteLength);
    return new Promise((resolve, reject) => {
      this.queued.push({ chunks, bytes: byteLength, resolve, reject });
      // the appends of this turn join one group
      if (this.queued.length === 1) queueMicrotask(this.startGroups);
    });
  }

  async read(position: number, length: number): Promise<Buffer> {
    this.checkUsable();
    if (!(Number.isSafeInteger(position) && position >= 0 && Number.isSafeInteger(length) && length >= 0)) assertionFailed(`read(${position}, ${length}) of ${this.path} needs non-negative integers`);
    const capped = Math.max(0, Math.min(length, this.size - position));
    const buf = Buffer.allocUnsafe(capped);
    let got = 0;
    while (got < capped) {
      const want = Math.min(capped - got, URING_IO_BYTES_MAX);
      const [res] = await this.run([{ kind: 'read', fd: this.fd, buffer: buf, offset: got, length: want, position: position + got }]);
      if (res! < 0) throw uringError(res!, 'read', this.path);
      if (res === 0) break; // end of file
      got += res!;
    }
    return got === capped ? buf : buf.subarray(0, got);
  }

  async flush(): Promise<void> {
    this.checkUsable();
    await this.sync();
  }

  stats(): SegmentFileStats {
    return this.io.snapshot();
  }

  async truncate(sizeBytes: number): Promise<void> {
    this.checkUsable();
    assert(Number.isSafeInteger(sizeBytes) && sizeBytes >= 0 && sizeBytes <= this.size, () => `truncate to ${sizeBytes} outside 0..${this.size} of ${this.path}`);
    assert(this.queued.length === 0 && this.groupsInFlight === 0, `truncate of ${this.path} while appends are in flight`);
    // cut the torn tail (it must not survive in reserved space), then reserve again as at open
    await ftruncateFd(this.fd, sizeBytes);
    this.size = sizeBytes;
    this.writePosition = sizeBytes;
    this.reservedBytes = sizeBytes;
    if (this.preallocateBytes > sizeBytes) {
      await preallocateFile(this.fd, sizeBytes, this.preallocateBytes);
      this.reservedBytes = this.preallocateBytes;
    }
    // the cut must be durable (SegmentFile.truncate); a reservation after it reads as zeros
    await this.sync();
  }

  async trim(): Promise<void> {
    this.checkUsable();
    await this.trimReserved();
  }

  /**
   * Refuses every later call at once, then lets the appends already accepted (queued or in the
   * kernel) and every other ring operation of the file complete before trimming and closing: an
   * operation still in the kernel when the descriptor closes would write into whatever file reuses
   * the number.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    try {
      await this.idle();
      if (!this.failure) await this.trimReserved();
    } finally {
      await closeFd(this.fd);
    }
  }

  private idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.opsInFlight === 0 && this.groupsInFlight === 0 && this.queued.length === 0;
  }

  private wakeIfIdle(): void {
    if (this.isIdle()) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private async trimReserved(): Promise<void> {
    if (this.reservedBytes <= this.size) return;
    await ftruncateFd(this.fd, this.size);
    this.reservedBytes = this.size;
    // the shorter size must be durable: a trim lost to a power cut brings the reserved zeros back
    await this.sync();
  }

  /** One fdatasync through the ring, counted when it completes. */
  private async sync(): Promise<void> {
    const [res] = await this.run([{ kind: 'fdatasync', fd: this.fd }]);
    this.io.countSync();
    if (res! < 0) throw this.fail(uringError(res!, 'fdatasync', this.path));
  }

  /** A ring chain of this file's, counted so that close waits for it. */
  private async run(ops: readonly UringOp[]): Promise<number[]> {
    this.opsInFlight++;
    try {
      return await this.queue.chain(ops);
    } finally {
      this.opsInFlight--;
      this.wakeIfIdle();
    }
  }

  /** Starts groups of the queued appends while fewer than GROUPS_IN_FLIGHT_MAX are in flight. */
  private submitGroups(): void {
    while (this.queued.length > 0 && this.groupsInFlight < GROUPS_IN_FLIGHT_MAX) {
      const group = this.takeGroup();
      const position = this.writePosition;
      for (const a of group) this.writePosition += a.bytes;
      this.groupsInFlight++;
      const outcome = this.writeGroup(group, position);
      const settled = this.lastSettled.then(() => outcome);
      this.lastSettled = settled.then((err) => {
        for (const a of group) {
          if (err) a.reject(err);
          else a.resolve();
        }
      });
      void outcome.then(() => {
        this.groupsInFlight--;
        this.submitGroups();
        this.wakeIfIdle();
      });
    }
  }

  /** The queued appends one writev takes: at least one, at most CHUNKS_PER_WRITE_MAX chunks and BYTES_PER_GROUP_MAX bytes. */
  private takeGroup(): QueuedAppend[] {
    let chunks = 0;
    let bytes = 0;
    let n = 0;
    while (n < this.queued.length) {
      const a = this.queued[n]!;
      if (n > 0 && (chunks + a.chunks.length > CHUNKS_PER_WRITE_MAX || bytes + a.bytes > BYTES_PER_GROUP_MAX)) break;
      chunks += a.chunks.length;
      bytes += a.bytes;
      n++;
    }
    return this.queued.splice(0, n);
  }

  /**
   * Writes the group at `position` (and syncs it when durable): undefined when done, else the
   * error its appends fail with. A short write breaks the link, so the rest goes again, linked to
   * a sync of its own.
   */
  private async writeGroup(group: readonly QueuedAppend[], position: number): Promise<Error | undefined> {
    let pending: Buffer[] = [];
    for (const a of group) for (const c of a.chunks) if (c.length > 0) pending.push(c);
    let at = position;
    this.reservedBytes = Math.max(this.reservedBytes, this.writePosition);
    try {
      if (this.failure) return this.failure;
      while (pending.length > 0) {
        // an append larger than one io_uring write can carry goes in pieces
        const piece = takeIoBytes(pending);
        const ops: UringOp[] = [{ kind: 'writev', fd: this.fd, buffers: piece.buffers, position: at }];
        const last = piece.rest.length === 0;
        if (this.options.durable && last) ops.push({ kind: 'fdatasync', fd: this.fd });
        const results = await this.run(ops);
        const written = results[0]!;
        if (written < 0) return this.fail(uringError(written, 'writev', this.path));
        this.io.countWrite(written);
        at += written;
        pending = [...dropBytes(piece.buffers, written), ...piece.rest];
        if (ops.length === 2 && pending.length === 0) {
          this.io.countSync();
          if (results[1]! < 0) return this.fail(uringError(results[1]!, 'fdatasync', this.path));
        } else if (ops.length === 2) {
          assert(results[1] === URING_CANCELED, () => `a sync linked to a short write of ${this.path} completed with ${results[1]}`);
        }
      }
      return undefined;
    } catch (err) {
      return this.fail(err as Error);
    }
  }

  private fail(err: Error): Error {
    this.failure ??= err;
    return err;
  }

  private checkUsable(): void {
    if (this.closing) throw new StrataError('LOG_CLOSED', `segment file ${this.path} is closed`);
    if (this.failure) throw new StrataError('STORAGE_ERROR', `segment file ${this.path} failed earlier: ${this.failure.message}`, { cause: this.failure });
  }
}

/** The head of `buffers` one io_uring write can take (1024 buffers, URING_IO_BYTES_MAX bytes), and the rest. */
function takeIoBytes(buffers: readonly Buffer[]): { buffers: Buffer[]; rest: Buffer[] } {
  const out: Buffer[] = [];
  let bytes = 0;
  let i = 0;
  for (; i < buffers.length && out.length < CHUNKS_PER_WRITE_MAX; i++) {
    const b = buffers[i]!;
    if (bytes + b.length > URING_IO_BYTES_MAX) {
      const fits = URING_IO_BYTES_MAX - bytes;
      if (fits > 0) out.push(b.subarray(0, fits));
      return { buffers: out, rest: [b.subarray(fits), ...buffers.slice(i + 1)] };
    }
    out.push(b);
    bytes += b.length;
  }
  return { buffers: out, rest: buffers.slice(i) };
}

/** What is left of `buffers` after the first `written` bytes. */
function dropBytes(buffers: readonly Buffer[], written: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of buffers) {
    if (written >= b.length) written -= b.length;
    else {
      out.push(written > 0 ? b.subarray(written) : b);
      written = 0;
    }
  }
  return out;
}
