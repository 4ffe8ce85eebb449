/**
 * `direct`: the other design (Redpanda's, Seastar's): segment files opened O_DIRECT, appends written
 * as aligned blocks with an fdatasync that acknowledges every append it covers (group commit), and
 * reads served from the engine's own batch cache instead of the page cache. Needs the native addon
 * (aligned memory, fallocate); where the file system refuses O_DIRECT (tmpfs, some FUSE) opening
 * fails with ENGINE_UNAVAILABLE saying so. Its bytes are never in the page cache, so a transfer
 * must not sendfile from its descriptor: `supports.directIo` tells the log to hand transfers the
 * engine's reads (FileSlice.read), which the transfers then send from user memory.
 */
import type { StorageEngine } from '../../core/engine.js';
import { StrataError } from '../../core/errors.js';
import { requireNative } from '../../native/index.js';
import { BATCH_CACHE_BYTES_DEFAULT, BatchCache, type BatchCacheStats } from './batch-cache.js';
import { DirectSegmentFile } from './direct-file.js';

export const DIRECT_ENGINE_NAME = 'direct';

export interface DirectEngineOptions {
  /** Bytes the batch cache may hold (default BATCH_CACHE_BYTES_DEFAULT); 0 caches nothing. */
  cacheBytesMax?: number;
}

export interface DirectEngine extends StorageEngine {
  /** The batch cache's counters: what a report prints as the hit ratio. */
  cacheStats(): BatchCacheStats;
}

export function createDirectEngine(options: DirectEngineOptions = {}): DirectEngine {
  const cache = new BatchCache(options.cacheBytesMax ?? BATCH_CACHE_BYTES_DEFAULT);
  return {
    name: DIRECT_ENGINE_NAME,
    supports: { durableAppend: true, groupCommit: true, preallocate: true, native: true, directIo: true },
    cacheStats: () => cache.stats(),
    open(path, openOptions) {
      const native = requireNative('the direct engine');
      if (!native.alignedBuffer) {
        throw new StrataError('ENGINE_UNAVAILABLE', 'unavailable: the native addon was built before alignedBuffer existed (the direct engine needs it): rebuild it with `npm run build:native`');
      }
      return DirectSegmentFile.open(path, openOptions, { engineName: DIRECT_ENGINE_NAME, native: { alignedBuffer: native.alignedBuffer.bind(native), fallocate: native.fallocate.bind(native) }, cache });
    },
  };
}

/** The built-in `direct` engine, with the default cache size. */
export const directEngine: DirectEngine = createDirectEngine();
