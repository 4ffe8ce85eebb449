/**
 * The transaction checks of Kafka's ProducerAppendInfo, for the ProducerStateManager's prepare():
 * a marker's producer and coordinator epochs, and a producer with an open transaction writing a
 * plain batch. Pure: they read the stored entry and what the append's earlier batches left.
 */
import type { ProducerBatch, ProducerStateEntry } from './producer-state-entry.js';
import type { ProducerAppendCheck } from './producer-state-manager.js';

/** A producer as the earlier batches of the append being checked leave it. */
export interface WorkingEntry {
  epoch: number;
  lastSeq: number | undefined;
  inTxn: boolean;
  coordinatorEpoch: number | undefined;
}

/**
 * ProducerAppendInfo.appendEndTxnMarker's checks for legacy transaction versions (the marker's
 * epoch may equal the producer's): INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED.
 */
export function checkMarker(b: ProducerBatch, current: ProducerStateEntry | undefined, earlier: WorkingEntry | undefined, partition: string): ProducerAppendCheck | undefined {
  const epoch = earlier?.epoch ?? current?.producerEpoch ?? -1;
  const who = `producer ${b.producerId} in ${partition}`;
  if (b.producerEpoch < epoch) {
    return { kind: 'rejected', error: 'INVALID_PRODUCER_EPOCH', message: `epoch of ${who} is ${b.producerEpoch} on its transaction marker, which is smaller than the last seen epoch ${epoch}` };
  }
  const coordinatorEpoch = earlier?.coordinatorEpoch ?? current?.coordinatorEpoch ?? -1;
  if (coordinatorEpoch > b.marker!.coordinatorEpoch) {
    return { kind: 'rejected', error: 'TRANSACTION_COORDINATOR_FENCED', message: `invalid coordinator epoch for ${who}: ${b.marker!.coordinatorEpoch} (zombie), ${coordinatorEpoch} (current)` };
  }
  return undefined;
}

/** A producer with an open transaction writes transactional batches only (Kafka's InvalidTxnStateException). */
export function checkTxnState(b: ProducerBatch, current: ProducerStateEntry | undefined, earlier: WorkingEntry | undefined, partition: string): ProducerAppendCheck | undefined {
  const inTxn = earlier?.inTxn ?? (current !== undefined && current.currentTxnFirstOffset >= 0);
  if (!inTxn || b.transactional) return undefined;
  return { kind: 'rejected', error: 'INVALID_TXN_STATE', message: `expected a transactional write from producer ${b.producerId} in ${partition}: its transaction is open` };
}
