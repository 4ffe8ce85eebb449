/**
 * `fsync-per-write-blocking`: fsync-per-write with each O_DSYNC write made synchronously on the
 * event loop thread instead of in libuv's threadpool. A durable append then costs what the disk
 * costs (fio's psync with fdatasync=1 is the same syscall pattern), without the ~45 us round trip
 * to a pool thread and back measured on this VM; but nothing else on the event loop runs while a
 * write waits for the disk. Use it where the process (or worker thread) only appends — a dedicated
 * log writer, a latency benchmark — and fsync-group or fsync-per-write where one loop serves many
 * connections.
 */
import type { StorageEngine } from '../core/engine.js';
import { PwriteSegmentFile } from './pwrite-file.js';

export const fsyncPerWriteBlockingEngine: StorageEngine = {
  name: 'fsync-per-write-blocking',
  supports: { durableAppend: true, groupCommit: false, preallocate: true, native: false },
  open: (path, options) => PwriteSegmentFile.open(path, options, { dsync: true, blocking: true }),
};
