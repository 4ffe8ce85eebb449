/**
 * `fsync-per-write`: every append is durable before it is acknowledged, each with its own sync.
 * The descriptor is O_DSYNC, so the write itself returns only once the data is on disk (what
 * fdatasync after it would do, in one call instead of two; fio's --sync=dsync). Concurrent appends
 * are written one after another (WriteCoalescer with the SERIAL limits), each with its own sync.
 *
 * Like Kafka with flush.messages=1, whose appending thread waits for the flush, an append that
 * finds the writer idle is written inline: the event loop waits for the disk. Made from libuv's
 * threadpool instead, the same append pays the round trip to a pool thread and back on top (the
 * `pwrite-threadpool-only` row of `npm run bench:core`, results/engines/). A durable write slower than DURABLE_INLINE's 10 ms
 * (a congested disk) sends the writer to the threadpool for a second, so the loop is not held for
 * long stretches. A process serving many connections wants fsync-group, which shares each sync.
 */
import type { StorageEngine } from '../core/engine.js';
import { PwriteSegmentFile } from './pwrite-file.js';
import { DURABLE_INLINE } from './write-coalescer.js';

export const fsyncPerWriteEngine: StorageEngine = {
  name: 'fsync-per-write',
  supports: { durableAppend: true, groupCommit: false, preallocate: true, native: false },
  open: (path, options) => PwriteSegmentFile.open(path, options, { dsync: true, inline: DURABLE_INLINE }),
};
