/**
 * Opening a segment's files without trusting the directory: the `.log` is opened by the engine
 * (built-in engines open with O_NOFOLLOW and check fstat, core/regular-file.ts), and because an
 * engine may come from outside the repository, its open is checked at both ends here: the entry
 * must be a regular file (or missing) before, and the descriptor it returns must be that same
 * regular file after. The indexes are read whole, so with a bound: an index cannot hold more
 * entries than its segment has batches, nor be larger than a preallocated active index.
 */
import fs from 'node:fs';
import type { LogConfig } from '../config/log-config.js';
import type { SegmentFile, SegmentOpenOptions, StorageEngine } from '../engine.js';
import { StrataError } from '../errors.js';
import { BATCH_HEADER_BYTES } from '../format/record-batch.js';
import { readIndexFile } from '../index/index-file.js';
import { NotRegularFileError, entryKind, fileKind } from '../regular-file.js';
import { LOG_SEGMENT_FILE_METHODS, checkedSegmentFile } from '../engine-shape.js';

/** Kafka's default segment.index.bytes: index files Kafka preallocated are this large. */
const KAFKA_DEFAULT_INDEX_BYTES = 10 * 1024 * 1024;
/** The largest index entry (a time index entry). */
const INDEX_ENTRY_BYTES_MAX = 12;

export async function openSegmentLog(engine: StorageEngine, path: string, options: SegmentOpenOptions): Promise<SegmentFile> {
  const before = entryKind(path);
  if (before !== 'missing' && before !== 'regular') throw new NotRegularFileError(path, before);
  // the engine's shape first: a third party's file without fd or close would fail below unnamed
  const file = await checkedSegmentFile(await engine.open(path, options), engine, path, LOG_SEGMENT_FILE_METHODS);
  const opened = fs.fstatSync(file.fd);
  let entry: fs.Stats | undefined;
  try {
    entry = fs.lstatSync(path);
  } catch {
    entry = undefined;
  }
  if (!opened.isFile() || !entry || entry.ino !== opened.ino || entry.dev !== opened.dev) {
    // not file.close(): a close trims, and this descriptor is not the segment's file
    fs.closeSync(file.fd);
    if (!opened.isFile()) throw new NotRegularFileError(path, fileKind(opened));
    throw new StrataError('STORAGE_ERROR', `${path}: engine ${engine.name} opened another file than the directory entry (a symbolic link followed?); refused`);
  }
  return file;
}

/** The bytes of an index file (undefined when missing), refused when larger than any index of this segment can be. */
export function readSegmentIndex(path: string, config: LogConfig, logBytes: number): Buffer | undefined {
  const batchesMax = Math.ceil(logBytes / BATCH_HEADER_BYTES);
  const maxBytes = Math.max(config.segmentIndexBytes, KAFKA_DEFAULT_INDEX_BYTES, batchesMax * INDEX_ENTRY_BYTES_MAX);
  return readIndexFile(path, maxBytes);
}
