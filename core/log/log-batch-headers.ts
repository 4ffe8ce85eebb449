/**
 * The batch headers of a log from an offset on, reading only the 61 header bytes of each batch
 * (what rebuilding producer state needs; Kafka's LogLoader reads whole batches for it). Walks the
 * file slices Log.read returns, so it sees exactly the acknowledged batches.
 */
import fs from 'node:fs';
import { BatchCursor } from '../format/batch-cursor.js';
import { BATCH_HEADER_BYTES, type RecordBatchHeader } from '../format/record-batch.js';
import { CorruptRecordError } from '../errors.js';
import type { Log } from './log.js';

/** Bytes of log covered per Log.read call (slices only: no record bytes are read). */
const SCAN_BYTES_PER_READ = 16 * 1024 * 1024;

export async function* logBatchHeaders(log: Log, fromOffset: number, endOffset = log.logEndOffset): AsyncGenerator<RecordBatchHeader> {
  const header = Buffer.alloc(BATCH_HEADER_BYTES);
  let offset = Math.max(fromOffset, log.logStartOffset);
  while (offset < endOffset) {
    const data = await log.read(offset, SCAN_BYTES_PER_READ);
    if (data.slices.length === 0) return;
    for (const slice of data.slices) {
      let at = 0;
      while (at < slice.length) {
        const got = slice.read ? (await slice.read(slice.position + at, BATCH_HEADER_BYTES)).copy(header) : fs.readSync(slice.fd, header, 0, BATCH_HEADER_BYTES, slice.position + at);
        if (got < BATCH_HEADER_BYTES) throw new CorruptRecordError(`${slice.path}: batch header at position ${slice.position + at} is cut short (${got} bytes)`, slice.position + at);
        const cursor = new BatchCursor(header);
        yield cursor.header();
        at += cursor.sizeBytes();
      }
    }
    if (data.nextOffset <= offset) return;
    offset = data.nextOffset;
  }
}
