/**
 * Buffers lent for the length of one call and then reused: decompressed sections that are read
 * once and dropped (produce validation). A fresh 1 MiB Buffer per batch is external memory to V8,
 * and its growth, not the heap, set the pace of major GCs: measured with kcat lz4 produce, a
 * Mark-Compact every ~80 ms (44 in 8M records) with a fresh output per batch, 1-10 with a reused
 * one, and the server's CPU per GB 2.8 -> 1.8-2.2 s.
 *
 * Bounded both ways: at most `buffersMax` are kept between calls (the larger ones), none larger
 * than `bufferBytesMax` (a larger need gets a buffer of its own, left to the GC). Sizes are rounded up
 * to a power of two so batches of similar size share buffers.
 */
import { assert } from '../core/errors.js';

export class LentBuffers {
  private readonly free: Buffer[] = [];

  constructor(
    readonly buffersMax: number,
    readonly bufferBytesMax: number,
  ) {
    assert(Number.isInteger(buffersMax) && buffersMax >= 0, `buffersMax must be a non-negative integer, got ${buffersMax}`);
    assert(Number.isInteger(bufferBytesMax) && bufferBytesMax > 0, `bufferBytesMax must be a positive integer, got ${bufferBytesMax}`);
  }

  /** Buffers kept for reuse right now (for tests and stats). */
  get freeCount(): number {
    return this.free.length;
  }

  /**
   * Calls `use` with a buffer of at least `bytes` (contents undefined) that is taken back when the
   * returned promise settles: `use` must not keep it, or anything that views it, past that.
   */
  async lend<T>(bytes: number, use: (buffer: Buffer) => Promise<T>): Promise<T> {
    if (bytes > this.bufferBytesMax) return use(Buffer.allocUnsafeSlow(bytes));
    const i = this.free.findIndex((b) => b.length >= bytes);
    const buffer = i >= 0 ? this.free.splice(i, 1)[0]! : Buffer.allocUnsafeSlow(Math.min(roundUpToPowerOfTwo(bytes), this.bufferBytesMax));
    try {
      return await use(buffer);
    } finally {
      this.keep(buffer);
    }
  }

  /** Keeps a returned buffer; when full, in place of the smallest kept one if that is smaller. */
  private keep(buffer: Buffer): void {
    if (this.free.length < this.buffersMax) {
      this.free.push(buffer);
      return;
    }
    let smallest = -1;
    for (let i = 0; i < this.free.length; i++) if (smallest < 0 || this.free[i]!.length < this.free[smallest]!.length) smallest = i;
    if (smallest >= 0 && this.free[smallest]!.length < buffer.length) this.free[smallest] = buffer;
  }
}

function roundUpToPowerOfTwo(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}
