/**
 * `mmap`: segment files written and read through a shared memory mapping (native addon). Appends are
 * memcpy into the page cache with no system call per append; flush is msync. Without the addon,
 * opening fails with ENGINE_UNAVAILABLE "unavailable: native addon not built".
 */
import type { StorageEngine } from '../core/engine.js';
import { MmapSegmentFile } from './mmap-file.js';

export const mmapEngine: StorageEngine = {
  name: 'mmap',
  supports: { durableAppend: false, groupCommit: false, preallocate: true, native: true },
  open: (path, options) => MmapSegmentFile.open(path, options),
};
