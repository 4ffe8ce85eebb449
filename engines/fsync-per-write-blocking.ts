/**
 * `fsync-per-write-blocking`: fsync-per-write with every O_DSYNC write made on the calling (event
 * loop) thread, however long the disk takes — fio's psync with fdatasync=1. fsync-per-write writes
 * inline too, but moves to libuv's threadpool for a second after a durable write over 10 ms; this
 * engine never does. A reference for latency benchmarks, or for a dedicated log writer; where one
 * loop serves many connections, fsync-group.
 */
import type { StorageEngine } from '../core/engine.js';
import { PwriteSegmentFile } from './pwrite-file.js';
import { ALWAYS_INLINE } from './write-coalescer.js';

export const fsyncPerWriteBlockingEngine: StorageEngine = {
  name: 'fsync-per-write-blocking',
  supports: { durableAppend: true, groupCommit: false, preallocate: true, native: false },
  open: (path, options) => PwriteSegmentFile.open(path, options, { dsync: true, inline: ALWAYS_INLINE }),
};
