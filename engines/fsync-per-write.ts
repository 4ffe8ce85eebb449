/** `fsync-per-write`: every append is fdatasync'ed before it is acknowledged. */
import type { StorageEngine } from '../core/engine.js';
import { PwriteSegmentFile } from './pwrite-file.js';

export const fsyncPerWriteEngine: StorageEngine = {
  name: 'fsync-per-write',
  supports: { durableAppend: true, groupCommit: false, preallocate: true, native: false },
  open: (path, options) => PwriteSegmentFile.open(path, options, (file) => file.flush()),
};
