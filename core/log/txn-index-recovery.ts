/**
 * Rebuilding the `.txnindex` of recovered segments (Kafka's LogSegment.recover with the producer
 * state of LogLoader.recoverSegment). Recovery empties them and, as it validates every batch, keeps
 * the transactional and control batches of producers (txnBatchOf); when one of those is an ABORT
 * marker, the open transactions are taken from the newest producer snapshot at or below the first
 * recovered segment (or the log start) and carried through the batches after it, and each abort
 * that ends a transaction with data gets its entry, with the LSO as of its marker. A log without
 * aborts in its recovered segments costs nothing more than the recovery walk itself.
 */
import fs from 'node:fs';
import { CorruptRecordError } from '../errors.js';
import { endTxnMarkerOfBatch, type EndTxnMarker } from '../format/end-txn-marker.js';
import {
  ATTRIBUTES_OFFSET,
  BATCH_HEADER_BYTES,
  CONTROL_FLAG_MASK,
  CompressionType,
  NO_PRODUCER_ID,
  TRANSACTIONAL_FLAG_MASK,
  compressionOf,
  isControl,
  readBatchHeader,
} from '../format/record-batch.js';
import type { Logger } from '../tokens.js';
import { scanBatchHeaders } from './file-records.js';
import type { LogSegment } from './log-segment.js';
import { CorruptSnapshotError, NotRegularFileError, listSnapshotOffsets, producerSnapshotPath, readSnapshotFile } from './producer-snapshot-file.js';
import { ProducerTransactions } from './producer-transactions.js';

/** A producer's transactional data batch, or its control batch with the marker it holds. */
export interface TxnBatch {
  baseOffset: number;
  producerId: number;
  control: boolean;
  marker?: EndTxnMarker;
}

/** Largest control batch read whole: a marker batch is 78 bytes; anything far larger is no marker. */
const CONTROL_BATCH_BYTES_MAX = 1024 * 1024;

/**
 * The TxnBatch of a batch (its header, or all of it for a control batch), undefined for the rest.
 * A control record that is no readable marker is not one (Kafka's cleaner empties such batches).
 */
export function txnBatchOf(bytes: Buffer): TxnBatch | undefined {
  const attributes = bytes.readInt16BE(ATTRIBUTES_OFFSET);
  if ((attributes & (TRANSACTIONAL_FLAG_MASK | CONTROL_FLAG_MASK)) === 0) return undefined;
  const h = readBatchHeader(bytes);
  if (h.producerId === NO_PRODUCER_ID) return undefined;
  if (!isControl(attributes)) return { baseOffset: h.baseOffset, producerId: h.producerId, control: false };
  let marker: EndTxnMarker | undefined;
  if (compressionOf(attributes) === CompressionType.none && bytes.length > BATCH_HEADER_BYTES) {
    try {
      marker = endTxnMarkerOfBatch(bytes, 0, h);
    } catch (err) {
      if (!(err instanceof CorruptRecordError)) throw err;
    }
  }
  return { baseOffset: h.baseOffset, producerId: h.producerId, control: true, marker };
}

/**
 * Appends the entries of the aborts in the recovered segments (`recovered`: each one's TxnBatches
 * from its recovery walk); returns how many.
 */
export async function rebuildTransactionIndexes(dir: string, segments: readonly LogSegment[], recovered: ReadonlyMap<LogSegment, readonly TxnBatch[]>, logger: Logger): Promise<number> {
  const anyAbort = [...recovered.values()].some((list) => list.some((b) => b.marker && !b.marker.committed));
  if (!anyAbort || segments.length === 0) return 0;
  const lastRecovered = Math.max(...[...recovered.keys()].map((s) => segments.indexOf(s)));
  const fromBase = Math.min(...[...recovered.keys()].map((s) => s.baseOffset));
  const open = new Map<number, number>();
  const txns = new ProducerTransactions();
  const start = loadOpenTransactions(dir, segments[0]!.baseOffset, fromBase, open, txns, logger);
  let entries = 0;
  for (let i = 0; i <= lastRecovered; i++) {
    const segment = segments[i]!;
    const next = segments[i + 1];
    if (next && next.baseOffset <= start) continue;
    const rebuild = recovered.has(segment);
    for (const b of recovered.get(segment) ?? (await readTxnBatches(segment))) {
      if (b.baseOffset < start) continue;
      if (!b.control) {
        if (!open.has(b.producerId)) {
          open.set(b.producerId, b.baseOffset);
          txns.begin(b.producerId, b.baseOffset);
        }
        continue;
      }
      const firstOffset = open.get(b.producerId);
      if (firstOffset === undefined || !b.marker) continue;
      const completed = { producerId: b.producerId, firstOffset, lastOffset: b.baseOffset, isAborted: !b.marker.committed };
      if (rebuild && completed.isAborted) {
        segment.updateTxnIndex(completed, txns.lastStableOffsetAfter(completed));
        entries++;
      }
      txns.complete(completed);
      open.delete(b.producerId);
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

/** The TxnBatches of a segment recovery trusted (between the snapshot and a recovered segment): one header read per batch. */
async function readTxnBatches(segment: LogSegment): Promise<TxnBatch[]> {
  const found: TxnBatch[] = [];
  const header = Buffer.alloc(BATCH_HEADER_BYTES);
  for await (const batch of scanBatchHeaders(segment.file, 0, segment.committedBytes)) {
    readFully(segment, header, batch.position);
    const attributes = header.readInt16BE(ATTRIBUTES_OFFSET);
    if ((attributes & (TRANSACTIONAL_FLAG_MASK | CONTROL_FLAG_MASK)) === 0) continue;
    const bytes = isControl(attributes) ? readBatch(segment, batch.position, batch.sizeBytes) : header;
    const txn = txnBatchOf(bytes);
    if (txn) found.push(txn);
  }
  return found;
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
