/**
 * `fsync-per-write`: every append is durable before it is acknowledged, each with its own sync.
 * The descriptor is O_DSYNC, so the write itself returns only once the data is on disk (what
 * fdatasync after it would do, in one threadpool round trip instead of two; fio's --sync=dsync).
 * Concurrent appends are written one after another (WriteCoalescer with the SERIAL limits), each
 * with its own sync.
 */
import type { StorageEngine } from '../core/engine.js';
import { PwriteSegmentFile } from './pwrite-file.js';

export const fsyncPerWriteEngine: StorageEngine = {
  name: 'fsync-per-write',
  supports: { durableAppend: true, groupCommit: false, preallocate: true, native: false },
  open: (path, options) => PwriteSegmentFile.open(path, options, { dsync: true }),
};
