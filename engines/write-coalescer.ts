/**
 * One write in flight per segment file; appends that arrive meanwhile queue up and the next write
 * takes them all in one pwritev, since their positions are contiguous. Under load this turns many
 * threadpool round trips (and writers contending for the inode lock) into a few large writes; with
 * one appender it costs nothing, as the queue is empty whenever an append arrives.
 */
import { pwritevAll } from './fs-io.js';

/** Linux's IOV_MAX: chunks one writev may take. */
const CHUNKS_PER_WRITE_MAX = 1024;
/** Bytes one write may take, so a long queue is written in bounded steps. */
const BYTES_PER_WRITE_MAX = 8 * 1024 * 1024;

interface Pending {
  chunks: readonly Buffer[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** How a segment file issues its writes (positions follow the order of write() calls). */
export interface SegmentWriter {
  /** Appends queued or being written. */
  readonly pending: number;
  write(chunks: readonly Buffer[], bytes: number): Promise<void>;
  /** After a truncate: the next append goes to `position`. Only when nothing is pending. */
  reset(position: number): void;
}

/**
 * One pwritev per append, issued at once at its own position: concurrent appends run in parallel
 * in libuv's pool. For fsync-per-write on an O_DSYNC descriptor, where every append must carry its
 * own sync (coalescing would turn it into group commit).
 */
export class DirectWriter implements SegmentWriter {
  private inFlight = 0;

  constructor(
    private readonly fd: number,
    private nextPosition: number,
    private readonly onIdle: () => void,
  ) {}

  get pending(): number {
    return this.inFlight;
  }

  write(chunks: readonly Buffer[], bytes: number): Promise<void> {
    const position = this.nextPosition;
    this.nextPosition += bytes;
    this.inFlight++;
    const settle = (): void => {
      if (--this.inFlight === 0) this.onIdle();
    };
    return pwritevAll(this.fd, chunks, position).then(settle, (err: unknown) => {
      settle();
      throw err;
    });
  }

  reset(position: number): void {
    this.nextPosition = position;
  }
}

export class WriteCoalescer implements SegmentWriter {
  private queue: Pending[] = [];
  private writing = 0;
  private failure: unknown;

  /** `nextPosition`: where the first queued append goes (the file's valid size). */
  constructor(
    private readonly fd: number,
    private nextPosition: number,
    /** Called when no append is queued or being written. */
    private readonly onIdle: () => void,
  ) {}

  /** Appends queued or being written. */
  get pending(): number {
    return this.queue.length + this.writing;
  }

  /** Writes `chunks` right after everything written or queued before. */
  write(chunks: readonly Buffer[], bytes: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ chunks, bytes, resolve, reject });
      if (this.writing === 0) this.drain();
    });
  }

  /** After a truncate: the next append goes to `position`. Only when nothing is pending. */
  reset(position: number): void {
    this.nextPosition = position;
  }

  private drain(): void {
    let chunkCount = 0;
    let bytes = 0;
    let take = 0;
    while (take < this.queue.length) {
      const p = this.queue[take]!;
      if (take > 0 && (chunkCount + p.chunks.length > CHUNKS_PER_WRITE_MAX || bytes + p.bytes > BYTES_PER_WRITE_MAX)) break;
      chunkCount += p.chunks.length;
      bytes += p.bytes;
      take++;
    }
    const group = this.queue.splice(0, take);
    const chunks = group.length === 1 ? group[0]!.chunks : group.flatMap((p) => p.chunks);
    const position = this.nextPosition;
    this.nextPosition += bytes;
    this.writing = group.length;
    pwritevAll(this.fd, chunks, position).then(
      () => this.settle(group, undefined),
      (err: unknown) => {
        // positions after a failed (possibly partial) write are unknown: fail everything queued
        this.failure = err;
        this.settle(group.concat(this.queue.splice(0)), err);
      },
    );
  }

  private settle(group: Pending[], err: unknown): void {
    this.writing = 0;
    if (this.queue.length > 0) this.drain();
    for (const p of group) (err ? p.reject(err) : p.resolve());
    if (this.pending === 0) this.onIdle();
  }
}
