/**
 * A segment file opened read-only, for tools that inspect logs without an engine and must never
 * change them (dump, verify): append, truncate and trim refuse.
 */
import fs from 'node:fs';
import type { SegmentFile } from '../engine.js';
import { StrataError } from '../errors.js';
import { openRegularFileSync } from '../regular-file.js';

/** Opens `path` read-only; refused (NotRegularFileError) when it is not a regular file: no link followed, no FIFO waited on. */
export function openReadOnlySegmentFile(path: string): SegmentFile {
  const fd = openRegularFileSync(path, fs.constants.O_RDONLY);
  const sizeBytes = fs.fstatSync(fd).size;
  const refuse = (): never => {
    throw new StrataError('INVALID_ARGUMENT', `${path} is open read-only`);
  };
  let closed = false;
  return {
    path,
    fd,
    sizeBytes,
    append: async () => refuse(),
    read: async (position, length) => {
      const capped = Math.max(0, Math.min(length, sizeBytes - position));
      const buf = Buffer.allocUnsafe(capped);
      let got = 0;
      while (got < capped) {
        const n = fs.readSync(fd, buf, got, capped - got, position + got);
        if (n === 0) break;
        got += n;
      }
      return got === capped ? buf : buf.subarray(0, got);
    },
    flush: async () => {},
    truncate: async () => refuse(),
    trim: async () => {},
    close: async () => {
      if (!closed) fs.closeSync(fd);
      closed = true;
    },
    // it never appends, writes or syncs
    stats: () => ({ appends: 0, appendedBytes: 0, writes: 0, writtenBytes: 0, syncs: 0 }),
  };
}
