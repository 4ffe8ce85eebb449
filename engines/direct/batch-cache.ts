/**
 * The direct engine's own cache (Redpanda's batch cache, by file range): its segment files bypass
 * the page cache, so what a reader gets without a disk read is what this cache holds. It holds
 * fixed-size chunks of files, filled by appends as they are written (a tailing consumer reads what
 * was just produced) and by the reads that missed; least recently used chunks go first once the
 * bytes held exceed `bytesMax`. One cache serves every file the engine opens.
 *
 * A chunk's memory is never written below its `filled` mark: a read may hand out a view of it, and
 * core/engine.ts promises the buffer a read returns is never written to again. A cut (truncate)
 * drops the chunk it falls in instead of shortening it, so appends after the cut land in a new one.
 */
import { assert } from '../../core/errors.js';

/** Bytes per chunk: a read of a Fetch's 1 MiB is a few chunks, a batch header scan one. */
export const BATCH_CACHE_CHUNK_BYTES = 128 * 1024;
/** The default size of the cache (the `cacheBytesMax` engine option). */
export const BATCH_CACHE_BYTES_DEFAULT = 256 * 1024 * 1024;

export interface BatchCacheStats {
  /** Chunk lookups answered from memory. */
  hits: number;
  /** Chunk lookups that went to the disk. */
  misses: number;
  /** Bytes of chunk memory held. */
  bytes: number;
}

interface Chunk {
  readonly fileId: number;
  readonly index: number;
  readonly data: Buffer;
  /** Valid bytes from the chunk's start. */
  filled: number;
}

export class BatchCache {
  /** In least-recently-used order: a hit moves its chunk to the end. */
  private readonly chunks = new Map<string, Chunk>();
  private readonly byFile = new Map<number, Set<number>>();
  private heldBytes = 0;
  private hitCount = 0;
  private missCount = 0;
  private nextFileId = 1;

  constructor(
    readonly bytesMax: number,
    readonly chunkBytes = BATCH_CACHE_CHUNK_BYTES,
  ) {
    assert(Number.isSafeInteger(bytesMax) && bytesMax >= 0, `batch cache bytesMax ${bytesMax} must be a non-negative integer`);
  }

  /** A number for a newly opened file: its chunks are keyed by it, never by path. */
  register(): number {
    return this.nextFileId++;
  }

  stats(): BatchCacheStats {
    return { hits: this.hitCount, misses: this.missCount, bytes: this.heldBytes };
  }

  /** The chunk `index` of the file when it holds at least `needed` bytes; counts a hit or a miss. */
  lookup(fileId: number, index: number, needed: number): Buffer | undefined {
    const key = `${fileId}:${index}`;
    const chunk = this.chunks.get(key);
    if (!chunk || chunk.filled < needed) {
      this.missCount++;
      return undefined;
    }
    this.hitCount++;
    this.chunks.delete(key);
    this.chunks.set(key, chunk);
    return chunk.data.subarray(0, chunk.filled);
  }

  /** Keeps `data` (read from the disk, owned by the cache from now on) as chunk `index` of the file. */
  insertRead(fileId: number, index: number, data: Buffer, filled: number): void {
    const existing = this.chunks.get(`${fileId}:${index}`);
    if (existing && existing.filled >= filled) return;
    if (existing) this.drop(existing);
    this.add({ fileId, index, data, filled });
  }

  /**
   * After `bytes` were written at `position` of the file: copied into the chunks they fall in, when
   * they continue a chunk's filled bytes or start a chunk (else that chunk waits for a read).
   */
  onWritten(fileId: number, position: number, bytes: Buffer): void {
    if (this.bytesMax === 0) return;
    let at = 0;
    while (at < bytes.length) {
      const filePos = position + at;
      const index = Math.floor(filePos / this.chunkBytes);
      const inChunk = filePos - index * this.chunkBytes;
      const n = Math.min(bytes.length - at, this.chunkBytes - inChunk);
      const key = `${fileId}:${index}`;
      let chunk = this.chunks.get(key);
      if (!chunk && inChunk === 0) {
        chunk = { fileId, index, data: Buffer.allocUnsafe(this.chunkBytes), filled: 0 };
        this.add(chunk);
      }
      if (chunk && chunk.filled === inChunk) {
        bytes.copy(chunk.data, inChunk, at, at + n);
        chunk.filled += n;
      }
      at += n;
    }
  }

  /** The file was cut at `position`: the chunk holding it and every later one go. */
  invalidateFrom(fileId: number, position: number): void {
    const first = Math.floor(position / this.chunkBytes);
    for (const index of [...(this.byFile.get(fileId) ?? [])]) {
      if (index >= first) this.drop(this.chunks.get(`${fileId}:${index}`)!);
    }
  }

  /** The file closed: everything held of it goes. */
  forget(fileId: number): void {
    this.invalidateFrom(fileId, 0);
    this.byFile.delete(fileId);
  }

  private add(chunk: Chunk): void {
    if (this.bytesMax < chunk.data.length) return;
    this.chunks.set(`${chunk.fileId}:${chunk.index}`, chunk);
    let indexes = this.byFile.get(chunk.fileId);
    if (!indexes) this.byFile.set(chunk.fileId, (indexes = new Set()));
    indexes.add(chunk.index);
    this.heldBytes += chunk.data.length;
    for (const oldest of this.chunks.values()) {
      if (this.heldBytes <= this.bytesMax) break;
      this.drop(oldest);
    }
  }

  private drop(chunk: Chunk): void {
    this.chunks.delete(`${chunk.fileId}:${chunk.index}`);
    this.byFile.get(chunk.fileId)?.delete(chunk.index);
    this.heldBytes -= chunk.data.length;
  }
}
