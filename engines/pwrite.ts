/**
 * `pwrite`: positional writes into the page cache; an append is acknowledged once the kernel has
 * the bytes. Flushing follows flush.messages / flush.ms in the Log (default: leave it to the OS,
 * like Kafka).
 */
import type { StorageEngine } from '../core/engine.js';
import { PwriteSegmentFile } from './pwrite-file.js';

export const pwriteEngine: StorageEngine = {
  name: 'pwrite',
  supports: { durableAppend: false, groupCommit: false, preallocate: true, native: false },
  open: (path, options) => PwriteSegmentFile.open(path, options),
};
