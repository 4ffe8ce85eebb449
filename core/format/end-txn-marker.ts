/**
 * Transaction markers (Kafka's EndTransactionMarker, ControlRecordType): a control batch
 * (attributes bits 4 and 5: transactional and control) of the producer whose transaction ends,
 * holding one record whose
 *   key   = version int16 (0), type int16 (0 ABORT, 1 COMMIT)
 *   value = version int16 (0), coordinatorEpoch int32   (EndTxnMarker.json, version 0)
 * and no sequence (baseSequence -1), as MemoryRecords.withEndTransactionMarker builds it.
 */
import { CorruptRecordError } from '../errors.js';
import { NO_SEQUENCE, RECORDS_OFFSET, type RecordBatchHeader } from './record-batch.js';
import { buildBatch, decodeRecordsSection } from './records.js';

export const CONTROL_RECORD_KEY_VERSION = 0;
export const END_TXN_MARKER_VERSION = 0;
export const CONTROL_TYPE_ABORT = 0;
export const CONTROL_TYPE_COMMIT = 1;
const CONTROL_KEY_BYTES = 4;
const END_TXN_MARKER_VALUE_BYTES = 6;

export interface EndTxnMarker {
  committed: boolean;
  coordinatorEpoch: number;
}

export interface MarkerBatchOptions {
  producerId: number;
  producerEpoch: number;
  timestamp: number;
  partitionLeaderEpoch?: number;
}

/** The marker batch (base offset 0: the log assigns it). */
export function buildEndTxnMarkerBatch(marker: EndTxnMarker, opts: MarkerBatchOptions): Buffer {
  const key = Buffer.alloc(CONTROL_KEY_BYTES);
  key.writeInt16BE(CONTROL_RECORD_KEY_VERSION, 0);
  key.writeInt16BE(marker.committed ? CONTROL_TYPE_COMMIT : CONTROL_TYPE_ABORT, 2);
  const value = Buffer.alloc(END_TXN_MARKER_VALUE_BYTES);
  value.writeInt16BE(END_TXN_MARKER_VERSION, 0);
  value.writeInt32BE(marker.coordinatorEpoch, 2);
  return buildBatch([{ key, value, timestamp: opts.timestamp }], {
    timestamp: opts.timestamp,
    producerId: opts.producerId,
    producerEpoch: opts.producerEpoch,
    baseSequence: NO_SEQUENCE,
    partitionLeaderEpoch: opts.partitionLeaderEpoch,
    transactional: true,
    control: true,
  });
}

/**
 * The end-transaction marker a control batch holds, undefined when it holds another control record
 * (KRaft's LEADER_CHANGE and the like) or none (a batch emptied by compaction). `section` is its
 * uncompressed records section; a marker that cannot be one is a CorruptRecordError.
 */
export function endTxnMarkerOf(section: Buffer, header: RecordBatchHeader): EndTxnMarker | undefined {
  if (header.recordsCount === 0) return undefined;
  const record = decodeRecordsSection(section, header)[0]!;
  const key = record.key;
  if (!key || key.length < CONTROL_KEY_BYTES) throw new CorruptRecordError(`control batch at offset ${header.baseOffset}: its record key is ${key?.length ?? 'null'} bytes, not a control record key`);
  const type = key.readInt16BE(2);
  if (type !== CONTROL_TYPE_ABORT && type !== CONTROL_TYPE_COMMIT) return undefined;
  const value = record.value;
  if (!value || value.length < END_TXN_MARKER_VALUE_BYTES) {
    throw new CorruptRecordError(`control batch at offset ${header.baseOffset}: its end-transaction marker value is ${value?.length ?? 'null'} bytes, fewer than ${END_TXN_MARKER_VALUE_BYTES}`);
  }
  return { committed: type === CONTROL_TYPE_COMMIT, coordinatorEpoch: value.readInt32BE(2) };
}

/** endTxnMarkerOf for a whole uncompressed batch at `position` of `buf`. */
export function endTxnMarkerOfBatch(buf: Buffer, position: number, header: RecordBatchHeader): EndTxnMarker | undefined {
  return endTxnMarkerOf(buf.subarray(position + RECORDS_OFFSET, position + 12 + header.batchLength), header);
}
