/**
 * `pwrite-blocking`: pwrite with every write made on the calling (event loop) thread, however long
 * it takes — fio's psync ioengine exactly. pwrite itself writes inline too, but moves to libuv's
 * threadpool for a second after a write over 2 ms (dirty-page throttling); this engine never does,
 * so a throttled disk stalls the loop on every append. A reference for benchmarks, or for a process
 * (or worker thread) that does nothing but append.
 */
import type { StorageEngine } from '../core/engine.js';
import { PwriteSegmentFile } from './pwrite-file.js';
import { ALWAYS_INLINE } from './write-coalescer.js';

export const pwriteBlockingEngine: StorageEngine = {
  name: 'pwrite-blocking',
  supports: { durableAppend: false, groupCommit: false, preallocate: true, native: false },
  open: (path, options) => PwriteSegmentFile.open(path, options, { inline: ALWAYS_INLINE }),
};
