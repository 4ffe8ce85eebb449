/**
 * `pwrite`: positional writes into the page cache; an append is acknowledged once the kernel has
 * the bytes. Flushing follows flush.messages / flush.ms in the Log (default: leave it to the OS,
 * like Kafka). An append that finds nothing queued is written at once on the calling thread, as
 * Kafka's handler threads write (a page-cache copy is shorter than a threadpool round trip); appends
 * that arrive while a write is in flight, and all appends for a second after a write took over
 * 2 ms (dirty-page throttling), go through libuv's threadpool, coalesced (write-coalescer.ts).
 */
import type { StorageEngine } from '../core/engine.js';
import { PwriteSegmentFile } from './pwrite-file.js';
import { PAGE_CACHE_INLINE } from './write-coalescer.js';

export const pwriteEngine: StorageEngine = {
  name: 'pwrite',
  supports: { durableAppend: false, groupCommit: false, preallocate: true, native: false },
  open: (path, options) => PwriteSegmentFile.open(path, options, { inline: PAGE_CACHE_INLINE }),
};
