/**
 * What sits between the log's reads and its segment files. Kafka relies on the OS page cache
 * (`page-cache`, with fadvise hints); a Redpanda-style in-process batch cache (`user-lru`) is the
 * alternative the harness compares it with. `none` reads the file every time and keeps nothing.
 */
import type { SegmentFile } from './engine.js';

export interface CacheStats {
  hits: number;
  misses: number;
  /** Bytes held in process memory by the cache. */
  bytes: number;
}

export interface Cache {
  readonly name: string;
  /** After bytes were appended to `file` at `position`. */
  onAppend(file: SegmentFile, position: number, chunks: readonly Buffer[]): void;
  /** Bytes for exactly [position, position + length) of `file`, or undefined when not held. */
  lookup(file: SegmentFile, position: number, length: number): Buffer | undefined;
  /** After a read from the file itself, so the cache may keep or hint. */
  onRead(file: SegmentFile, position: number, data: Buffer): void;
  /** Forget what is held for `path` from `fromPosition` on (truncation, deletion). */
  invalidate(path: string, fromPosition?: number): void;
  stats(): CacheStats;
}

export const noneCache: Cache = {
  name: 'none',
  onAppend: () => {},
  lookup: () => undefined,
  onRead: () => {},
  invalidate: () => {},
  stats: () => ({ hits: 0, misses: 0, bytes: 0 }),
};
