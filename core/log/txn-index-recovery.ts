/**
 * Rebuilding the `.txnindex` of recovered segments (Kafka's LogSegment.recover with the producer
 * state of LogLoader.recoverSegment): recovery empties them, and this walks the batch headers from
 * the newest producer snapshot at or below the first recovered segment (or the log start), tracking
 * which producers have a transaction open, and gives each recovered segment an entry for every
 * ABORT marker in it that ends a transaction with data, with the LSO as of that marker. A
 * transaction may begin segments before its marker: that is why the walk starts at a snapshot.
 */
import fs from 'node:fs';
import { CorruptRecordError } from '../errors.js';
import { endTxnMarkerOfBatch } from '../format/end-txn-marker.js';
import { BATCH_HEADER_BYTES, NO_PRODUCER_ID, isControl, isTransactional, readBatchHeader } from '../format/record-batch.js';
import type { Logger } from '../tokens.js';
import { scanBatchHeaders } from './file-records.js';
import type { LogSegment } from './log-segment.js';
import { CorruptSnapshotError, NotRegularFileError, listSnapshotOffsets, producerSnapshotPath, readSnapshotFile } from './producer-snapshot-file.js';
import { ProducerTransactions } from './producer-transactions.js';

/** Largest control batch read whole: a marker batch is 78 bytes; anything far larger is no marker. */
const CONTROL_BATCH_BYTES_MAX = 1024 * 1024;

export async function rebuildTransactionIndexes(dir: string, segments: readonly LogSegment[], recovered: ReadonlySet<LogSegment>, logger: Logger): Promise<number> {
  const first = segments[0];
  if (!first || recovered.size === 0) return 0;
  const fromBase = Math.min(...[...recovered].map((s) => s.baseOffset));
  const open = new Map<number, number>();
  const txns = new ProducerTransactions();
  const start = loadOpenTransactions(dir, first.baseOffset, fromBase, open, txns, logger);
  let entries = 0;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const next = segments[i + 1];
    if (next && next.baseOffset <= start) continue;
    const rebuild = recovered.has(segment);
    const header = Buffer.alloc(BATCH_HEADER_BYTES);
    for await (const batch of scanBatchHeaders(segment.file, 0, segment.committedBytes)) {
      if (batch.baseOffset < start) continue;
      readFully(segment, header, batch.position);
      const h = readBatchHeader(header);
      if (h.producerId === NO_PRODUCER_ID) continue;
      if (!isControl(h.attributes)) {
        if (isTransactional(h.attributes) && !open.has(h.producerId)) {
          open.set(h.producerId, h.baseOffset);
          txns.begin(h.producerId, h.baseOffset);
        }
        continue;
      }
      const firstOffset = open.get(h.producerId);
      if (firstOffset === undefined) continue;
      const marker = endTxnMarkerOfBatch(readBatch(segment, batch.position, batch.sizeBytes), 0, h);
      if (!marker) continue;
      const completed = { producerId: h.producerId, firstOffset, lastOffset: h.baseOffset, isAborted: !marker.committed };
      if (rebuild && completed.isAborted) {
        segment.updateTxnIndex(completed, txns.lastStableOffsetAfter(completed));
        entries++;
      }
      txns.complete(completed);
      open.delete(h.producerId);
    }
  }
  return entries;
}

/** The open transactions of the newest readable snapshot at or below `fromBase`; returns the offset the walk starts at. */
function loadOpenTransactions(dir: string, logBase: number, fromBase: number, open: Map<number, number>, txns: ProducerTransactions, logger: Logger): number {
  for (const offset of listSnapshotOffsets(dir).reverse()) {
    if (offset > fromBase || offset < logBase) continue;
    const path = producerSnapshotPath(dir, offset);
    try {
      for (const e of readSnapshotFile(path)) {
        if (e.currentTxnFirstOffset < 0) continue;
        open.set(e.producerId, e.currentTxnFirstOffset);
        txns.begin(e.producerId, e.currentTxnFirstOffset);
      }
      return offset;
    } catch (err) {
      if (!(err instanceof CorruptSnapshotError || err instanceof NotRegularFileError)) throw err;
      logger.warn(`${err.message}; rebuilding the transaction index from an older snapshot`);
      open.clear();
      txns.clear();
    }
  }
  return logBase;
}

function readFully(segment: LogSegment, into: Buffer, position: number): void {
  const got = fs.readSync(segment.file.fd, into, 0, into.length, position);
  if (got < into.length) throw new CorruptRecordError(`${segment.file.path}: batch at position ${position} is cut short (${got} of ${into.length} bytes)`, position);
}

function readBatch(segment: LogSegment, position: number, sizeBytes: number): Buffer {
  if (sizeBytes > CONTROL_BATCH_BYTES_MAX) throw new CorruptRecordError(`${segment.file.path}: control batch at position ${position} is ${sizeBytes} bytes, larger than any marker`, position);
  const buf = Buffer.alloc(sizeBytes);
  readFully(segment, buf, position);
  return buf;
}
