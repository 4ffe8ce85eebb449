/**
 * `pwrite-blocking`: the pwrite engine with each write made synchronously on the event loop
 * thread — fio's psync ioengine, and what Kafka's request handler threads do with
 * FileChannel.write. A 64 KiB write into the page cache then costs the copy and the syscall
 * (~15 us here) instead of a round trip through libuv's threadpool, which on this VM costs more
 * than the copy itself (measured: p50 55-80 us per async 64 KiB write against 11-20 us blocking).
 * The price: nothing else on the loop runs during a write, and a write the kernel throttles under
 * dirty-page pressure stalls the whole loop. Use it where the process (or worker thread) only
 * appends, or to measure the page cache without the threadpool in the way.
 */
import type { StorageEngine } from '../core/engine.js';
import { PwriteSegmentFile } from './pwrite-file.js';

export const pwriteBlockingEngine: StorageEngine = {
  name: 'pwrite-blocking',
  supports: { durableAppend: false, groupCommit: false, preallocate: true, native: false },
  open: (path, options) => PwriteSegmentFile.open(path, options, { blocking: true }),
};
