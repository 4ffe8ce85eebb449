/**
 * What a partition remembers about one idempotent producer (Kafka's ProducerStateEntry and
 * BatchMetadata): its epoch, and the metadata of its last NUM_BATCHES_TO_RETAIN data batches -
 * enough to answer a retried batch with the offsets it was first given, since the Java producer
 * keeps at most 5 requests in flight per connection. Sequence arithmetic wraps at 2^31 - 1 as
 * DefaultRecordBatch.incrementSequence / decrementSequence do.
 */
import type { EndTxnMarker } from '../format/end-txn-marker.js';
import { NO_PRODUCER_EPOCH, NO_SEQUENCE } from '../format/record-batch.js';

export const NUM_BATCHES_TO_RETAIN = 5;
const INT32_MAX = 0x7fff_ffff;
/** Kafka's RecordBatch.NO_TIMESTAMP. */
export const NO_TIMESTAMP = -1;

export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}

export function decrementSequence(sequence: number, decrement: number): number {
  if (sequence < decrement) return INT32_MAX - (decrement - sequence) + 1;
  return sequence - decrement;
}

/** The next sequence a producer may send after `lastSeq` (Kafka's ProducerAppendInfo.inSequence). */
export function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

/** One retained data batch of a producer. */
export class BatchMetadata {
  constructor(
    readonly lastSeq: number,
    readonly lastOffset: number,
    /** lastOffset - firstOffset, which for a batch of a producer also equals lastSeq - firstSeq. */
    readonly offsetDelta: number,
    readonly timestamp: number,
  ) {}

  get firstSeq(): number {
    return decrementSequence(this.lastSeq, this.offsetDelta);
  }

  get firstOffset(): number {
    return this.lastOffset - this.offsetDelta;
  }
}

export class ProducerStateEntry {
  private readonly batches: BatchMetadata[] = [];

  constructor(
    readonly producerId: number,
    public producerEpoch: number,
    public coordinatorEpoch: number,
    public lastTimestamp: number,
    /** First offset of the producer's open transaction; -1 when none is open. */
    public currentTxnFirstOffset: number,
    firstBatch?: BatchMetadata,
  ) {
    if (firstBatch) this.batches.push(firstBatch);
  }

  static empty(producerId: number): ProducerStateEntry {
    return new ProducerStateEntry(producerId, NO_PRODUCER_EPOCH, -1, NO_TIMESTAMP, -1);
  }

  get batchMetadata(): readonly BatchMetadata[] {
    return this.batches;
  }

  isEmpty(): boolean {
    return this.batches.length === 0;
  }

  get firstSeq(): number {
    return this.isEmpty() ? NO_SEQUENCE : this.batches[0]!.firstSeq;
  }

  get lastSeq(): number {
    return this.isEmpty() ? NO_SEQUENCE : this.batches[this.batches.length - 1]!.lastSeq;
  }

  get lastDataOffset(): number {
    return this.isEmpty() ? -1 : this.batches[this.batches.length - 1]!.lastOffset;
  }

  get lastOffsetDelta(): number {
    return this.isEmpty() ? 0 : this.batches[this.batches.length - 1]!.offsetDelta;
  }

  /** A new epoch forgets the old epoch's batches (their sequences start again at 0). */
  maybeUpdateProducerEpoch(producerEpoch: number): boolean {
    if (this.producerEpoch === producerEpoch) return false;
    this.batches.length = 0;
    this.producerEpoch = producerEpoch;
    return true;
  }

  addBatch(producerEpoch: number, lastSeq: number, lastOffset: number, offsetDelta: number, timestamp: number): void {
    this.maybeUpdateProducerEpoch(producerEpoch);
    if (this.batches.length === NUM_BATCHES_TO_RETAIN) this.batches.shift();
    this.batches.push(new BatchMetadata(lastSeq, lastOffset, offsetDelta, timestamp));
    this.lastTimestamp = timestamp;
  }

  /** The retained batch with exactly this epoch and sequence range: a retry of it. */
  findDuplicateBatch(producerEpoch: number, firstSeq: number, lastSeq: number): BatchMetadata | undefined {
    if (producerEpoch !== this.producerEpoch) return undefined;
    return this.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
  }
}

/** The producer fields of a data batch's header, with its offsets relative to its append. */
export interface ProducerBatch {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
  maxTimestamp: number;
  /** Offset of the batch's first record minus the append's first offset. */
  relativeOffset: number;
  /** A transactional batch (attributes bit 4). */
  transactional?: boolean;
  /** Set on a control batch: the transaction marker it holds (no sequence, ends the producer's transaction). */
  marker?: EndTxnMarker;
}

export function lastSequenceOf(batch: Pick<ProducerBatch, 'baseSequence' | 'lastOffsetDelta'>): number {
  return batch.baseSequence === NO_SEQUENCE ? NO_SEQUENCE : incrementSequence(batch.baseSequence, batch.lastOffsetDelta);
}
