/**
 * The walks that decide what of a segment file to trust: recovery's (Kafka's LogSegment.recover:
 * every batch validated from the start, the indexes rebuilt on the way, the file to be cut at the
 * first batch that is not whole and valid) and the tail check of a cleanly closed segment.
 */
import type { SegmentFile } from '../engine.js';
import { assertionFailed } from '../errors.js';
import type { OffsetPosition } from '../index/offset-index.js';
import { scanValidBatches, type BatchLocation } from './file-records.js';
import type { SegmentIndexes } from './segment-indexes.js';
import { txnBatchOf, type TxnBatch } from './txn-index-recovery.js';

/**
 * The largest batch a scan of a segment file accepts (a bound on what a garbage length can make it
 * read). Not message.max.bytes: batches stored under a larger setting (or by Kafka with its own)
 * stay valid when the setting is lowered, as in Kafka, whose recovery applies no size limit.
 */
export const STORED_BATCH_BYTES_MAX = 100 * 1024 * 1024;

export interface RecoveryResult {
  validBytes: number;
  truncatedBytes: number;
  /** Why bytes were cut; undefined when the segment was whole. */
  reason?: string;
  /** Last offset of the last valid batch, or undefined when the segment holds none. */
  lastOffset?: number;
  /** The transactional and control batches of producers, in order: what rebuilds the `.txnindex`. */
  txnBatches: TxnBatch[];
}

export interface RecoveryWalk {
  /** Where the valid batches end: the truncation point. */
  validBytes: number;
  stopReason?: string;
  stoppedAtZeros?: boolean;
  lastOffset?: number;
  /** The first batch's max timestamp (the segment's rollingBasedTimestamp). */
  firstMaxTimestamp?: number;
  txnBatches: TxnBatch[];
}

/**
 * Validates every batch of `file` from its start, rebuilding `indexes` (reset first) as it goes,
 * and returns where the valid batches end. Under the consecutive rule the first batch starts at the
 * segment's base (or `expectedOffsetMin`, when later) and the rest follow on.
 */
export async function recoveryWalk(file: SegmentFile, indexes: SegmentIndexes, baseOffset: number, consecutive: boolean, expectedOffsetMin: number): Promise<RecoveryWalk> {
  indexes.reset();
  const fileBytes = file.sizeBytes;
  let lastOffset: number | undefined;
  let firstMaxTimestamp: number | undefined;
  let end = 0;
  const txnBatches: TxnBatch[] = [];
  const scan = await scanValidBatches(file, 0, fileBytes, STORED_BATCH_BYTES_MAX, consecutive ? Math.max(expectedOffsetMin, baseOffset) : expectedOffsetMin, (batch, bytes) => {
    const txn = txnBatchOf(bytes);
    if (txn) txnBatches.push(txn);
    firstMaxTimestamp ??= batch.maxTimestamp;
    indexes.maybeIndex(batch.lastOffset, batch.position, batch.maxTimestamp, batch.lastOffset);
    lastOffset = batch.lastOffset;
    end = batch.position + batch.sizeBytes;
  }, consecutive);
  // the truncation point is the end of the last batch the walk accepted, inside the file
  if (!(scan.validBytes === end && end <= fileBytes)) {
    assertionFailed(`recovery of ${file.path}: valid bytes ${scan.validBytes} are not where the last valid batch ends (${end}) within ${fileBytes} bytes`);
  }
  return { validBytes: scan.validBytes, stopReason: scan.stopReason, stoppedAtZeros: scan.stoppedAtZeros, lastOffset, firstMaxTimestamp, txnBatches };
}

/**
 * What is wrong with the tail of a trusted segment, from its last offset-index entry (`entry`) to
 * the end of the file: every batch whole and valid, the last one ending where the file ends, and
 * the batch at the entry holding (or starting the set that ends at) the entry's offset.
 */
export async function tailProblem(file: SegmentFile, entry: OffsetPosition | undefined, baseOffset: number, consecutive: boolean): Promise<string | undefined> {
  const from = entry?.position ?? 0;
  const fileBytes = file.sizeBytes;
  let first: BatchLocation | undefined;
  const scan = await scanValidBatches(file, from, fileBytes, STORED_BATCH_BYTES_MAX, baseOffset, (b) => (first ??= b), consecutive && (from === 0 || 'after-first'));
  if (entry && first && (first.baseOffset > entry.offset || first.baseOffset < baseOffset)) {
    return `the batch at the last index entry (position ${from}) starts at offset ${first.baseOffset}, not at or below the entry's ${entry.offset}`;
  }
  if (from + scan.validBytes === fileBytes) return undefined;
  return scan.stopReason ?? `valid batches end at position ${from + scan.validBytes} of ${fileBytes}`;
}
