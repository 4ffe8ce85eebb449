/**
 * ValidatedRecords, what the Log's append takes: batches whose framing, CRCs and every record the
 * LogValidator checked, with the layout the log needs and the idempotent producers' batches, both
 * from the one parse of each header. Only RecordsLayoutBuilder makes one, and only the
 * LogValidator uses it, so no caller reaches the log's write path without the record walk.
 */
import type { BatchLayout, ValidatedBatches } from '../format/batch-cursor.js';
import type { EndTxnMarker } from '../format/end-txn-marker.js';
import { NO_PRODUCER_ID, isControl, isTransactional, type RecordBatchHeader } from '../format/record-batch.js';
import type { ProducerBatch } from './producer-state-entry.js';

/** Batches and every record in them validated by the LogValidator (the brand: nothing else makes one). */
export interface ValidatedRecords extends ValidatedBatches {
  /** The batches of idempotent and transactional producers (data and markers), in order, offsets relative to the append's first. */
  readonly producerBatches: readonly ProducerBatch[];
  readonly [RECORDS_VALIDATED]: true;
}
declare const RECORDS_VALIDATED: unique symbol;

/** The log's layout and the producer batches, from each batch's one parsed header. */
export class RecordsLayoutBuilder {
  private readonly positions: number[] = [];
  private readonly lastOffsetDeltas: number[] = [];
  private readonly producerBatches: ProducerBatch[] = [];
  private records = 0;
  private maxTimestamp = -1;
  private offsetOfMaxTimestampIndex = 0;
  private relativeOffset = 0;

  /** `marker`: the end-transaction marker of a producer's control batch. */
  add(position: number, h: RecordBatchHeader, marker?: EndTxnMarker): void {
    if (h.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = h.maxTimestamp;
      this.offsetOfMaxTimestampIndex = this.positions.length;
    }
    this.positions.push(position);
    this.lastOffsetDeltas.push(h.lastOffsetDelta);
    this.records += h.recordsCount;
    // a control batch counts as its producer's only when it ends a transaction (a marker)
    if (h.producerId !== NO_PRODUCER_ID && (!isControl(h.attributes) || marker)) {
      const { producerId, producerEpoch, baseSequence, lastOffsetDelta, maxTimestamp } = h;
      const batch: ProducerBatch = { producerId, producerEpoch, baseSequence, lastOffsetDelta, maxTimestamp, relativeOffset: this.relativeOffset };
      if (isTransactional(h.attributes)) batch.transactional = true;
      if (marker) batch.marker = marker;
      this.producerBatches.push(batch);
    }
    this.relativeOffset += h.lastOffsetDelta + 1;
  }

  finish(buffer: Buffer): ValidatedRecords {
    const { positions, lastOffsetDeltas, records, maxTimestamp, offsetOfMaxTimestampIndex } = this;
    const layout: BatchLayout = { positions, lastOffsetDeltas, records, maxTimestamp, offsetOfMaxTimestampIndex };
    // every check validateBatches makes was made (validateBatch per batch, message.max.bytes), and more
    return { buffer, layout, producerBatches: this.producerBatches } as unknown as ValidatedRecords;
  }
}
