/**
 * Kafka's ProducerStateManager for one partition: per idempotent producer its epoch and its last
 * 5 data batches (producer-state-entry.ts), checked and updated at the moment an append is given
 * its offsets, and kept across restarts in `<offset>.snapshot` files (producer-snapshot-file.ts).
 *
 * The check is Kafka's ProducerAppendInfo for appends from clients (AppendOrigin.CLIENT):
 * - a batch whose epoch and sequence range match a retained batch is a retry: the whole append is
 *   answered with that batch's offsets and nothing is written (UnifiedLog.analyzeAndValidateProducerState);
 * - an epoch below the producer's is INVALID_PRODUCER_EPOCH (47);
 * - a new epoch must start at sequence 0, and within an epoch each batch must start right after
 *   the last one, or it is OUT_OF_ORDER_SEQUENCE_NUMBER (45);
 * - a producer this partition does not know (never seen, expired, or its state lost) is accepted
 *   at any sequence, as Kafka has done since 2.5 (KIP-360): UNKNOWN_PRODUCER_ID is not answered.
 * Transactions (the transactional batches and the markers that end them, producer-transactions.ts):
 * - a producer's first transactional batch opens its transaction (its first offset is kept in the
 *   entry and in the snapshots); a plain batch while it is open is INVALID_TXN_STATE (48);
 * - a marker (appendEndTxnMarker, legacy transaction versions) with an epoch below the producer's
 *   is INVALID_PRODUCER_EPOCH, with a coordinator epoch below the last marker's
 *   TRANSACTION_COORDINATOR_FENCED (52); it ends the transaction, and an abort of one with data
 *   comes back from onPlaced with its LSO, for the segment's `.txnindex`.
 *
 * Synchronous on purpose: `prepare` (pure) and `onPlaced` (applies it) must run with no other
 * append of the partition between them: the Log's AppendSequencer calls both at placement, where
 * offsets are assigned in call order, so no lock is needed.
 */
import fs from 'node:fs';
import { StrataError } from '../errors.js';
import type { Logger } from '../tokens.js';
import { NO_PRODUCER_ID, type RecordBatchHeader, isControl, isTransactional } from '../format/record-batch.js';
import { BatchMetadata, ProducerStateEntry, inSequence, lastSequenceOf, type ProducerBatch } from './producer-state-entry.js';
import {
  CorruptSnapshotError,
  NotRegularFileError,
  listSnapshotOffsets,
  listStrangeSnapshots,
  producerSnapshotPath,
  readSnapshotFile,
  writeSnapshotFile,
  type SnapshotEntry,
} from './producer-snapshot-file.js';
import { entryKind } from '../regular-file.js';
import { ProducerTransactions, type CompletedTxn } from './producer-transactions.js';
import { checkMarker, checkTxnState, type WorkingEntry } from './producer-txn-checks.js';

const NO_PLACED_TXNS: readonly PlacedTxn[] = [];

/** Kafka's producer.id.expiration.ms default: a producer idle for a day is forgotten. */
export const PRODUCER_ID_EXPIRATION_MS_DEFAULT = 86_400_000;

export type ProducerStateError = 'OUT_OF_ORDER_SEQUENCE_NUMBER' | 'INVALID_PRODUCER_EPOCH' | 'INVALID_RECORD' | 'INVALID_TXN_STATE' | 'TRANSACTION_COORDINATOR_FENCED';

/** A transaction a marker of an append completed, with the LSO as of that marker (its index entry's). */
export interface PlacedTxn {
  completed: CompletedTxn;
  lastStableOffset: number;
}

export type ProducerAppendCheck =
  /** Write it; `batches` are its idempotent batches, applied by onPlaced. */
  | { kind: 'append'; batches: ProducerBatch[] }
  /** A retry of a batch already in the log: answer with these offsets, write nothing. */
  | { kind: 'duplicate'; firstOffset: number; lastOffset: number; timestamp: number }
  | { kind: 'rejected'; error: ProducerStateError; message: string };

export interface ProducerStateManagerOptions {
  /** For messages ("producer 7 in T-0"). */
  name?: string;
  producerIdExpirationMs?: number;
  logger?: Logger;
}

/** What loading needs from the log: its offsets, segment bases and its batch headers from an offset on. */
export interface ProducerStateSource {
  logStartOffset: number;
  logEndOffset: number;
  segmentBaseOffsets: readonly number[];
  batchHeaders(fromOffset: number): AsyncIterable<RecordBatchHeader>;
}

/** An idempotent append refused by the producer state, with Kafka's error for it. */
export class ProducerStateRejection extends StrataError {
  constructor(
    readonly error: ProducerStateError,
    message: string,
  ) {
    super('INVALID_ARGUMENT', message);
    this.name = 'ProducerStateRejection';
  }
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerStateEntry>();
  private readonly name: string;
  private readonly expirationMs: number;
  private readonly logger: Logger | undefined;
  /** Offset after the last append reflected in the map (Kafka's lastMapOffset). */
  private lastMapOffset = 0;
  /** Offset of the newest snapshot written or loaded (Kafka's lastSnapOffset). */
  private lastSnapOffset = 0;
  /** The open transactions and those not yet below the high watermark. */
  readonly transactions = new ProducerTransactions();

  constructor(
    readonly dir: string,
    options: ProducerStateManagerOptions = {},
  ) {
    this.name = options.name ?? dir;
    this.expirationMs = options.producerIdExpirationMs ?? PRODUCER_ID_EXPIRATION_MS_DEFAULT;
    this.logger = options.logger;
  }

  get mapEndOffset(): number {
    return this.lastMapOffset;
  }

  get activeProducers(): ReadonlyMap<number, ProducerStateEntry> {
    return this.producers;
  }

  lastEntry(producerId: number): ProducerStateEntry | undefined {
    return this.producers.get(producerId);
  }

  /** Checks one append's batches against the state; changes nothing. */
  prepare(batches: readonly ProducerBatch[]): ProducerAppendCheck {
    // per producer, the epoch and last sequence as this append's earlier batches leave them
    const working = new Map<number, WorkingEntry>();
    for (const b of batches) {
      const current = this.producers.get(b.producerId);
      if (b.marker) {
        const error = checkMarker(b, current, working.get(b.producerId), this.name);
        if (error) return error;
        working.set(b.producerId, { epoch: b.producerEpoch, lastSeq: working.get(b.producerId)?.lastSeq, inTxn: false, coordinatorEpoch: b.marker.coordinatorEpoch });
        continue;
      }
      const lastSeq = lastSequenceOf(b);
      const duplicate = current?.findDuplicateBatch(b.producerEpoch, b.baseSequence, lastSeq);
      if (duplicate) return { kind: 'duplicate', firstOffset: duplicate.firstOffset, lastOffset: duplicate.lastOffset, timestamp: duplicate.timestamp };
      if (b.baseSequence < 0) {
        // LogValidator: a batch with a producer id must carry a sequence
        return { kind: 'rejected', error: 'INVALID_RECORD', message: `invalid sequence number ${b.baseSequence} in record batch with producerId ${b.producerId}` };
      }
      const earlier = working.get(b.producerId);
      const error = this.checkBatch(b, current, earlier) ?? checkTxnState(b, current, earlier, this.name);
      if (error) return error;
      const inTxn = (earlier?.inTxn ?? (current !== undefined && current.currentTxnFirstOffset >= 0)) || b.transactional === true;
      working.set(b.producerId, { epoch: b.producerEpoch, lastSeq, inTxn, coordinatorEpoch: earlier?.coordinatorEpoch });
    }
    return { kind: 'append', batches: [...batches] };
  }

  /** ProducerAppendInfo.checkProducerEpoch + checkSequence for one batch. */
  private checkBatch(b: ProducerBatch, current: ProducerStateEntry | undefined, earlier: WorkingEntry | undefined): ProducerAppendCheck | undefined {
    const currentEpoch = current?.producerEpoch ?? -1;
    // the epoch this append's earlier batches left, else the stored one (Kafka's updatedEntry)
    const updatedEpoch = earlier?.epoch ?? currentEpoch;
    const who = `producer ${b.producerId} in ${this.name}`;
    if (b.producerEpoch < updatedEpoch) {
      return { kind: 'rejected', error: 'INVALID_PRODUCER_EPOCH', message: `epoch of ${who} is ${b.producerEpoch}, which is smaller than the last seen epoch ${updatedEpoch}` };
    }
    if (b.producerEpoch !== updatedEpoch) {
      if (b.baseSequence !== 0 && updatedEpoch !== -1) {
        return { kind: 'rejected', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message: `invalid sequence number for new epoch of ${who}: ${b.producerEpoch} (request epoch), ${b.baseSequence} (seq. number), ${updatedEpoch} (current producer epoch)` };
      }
      return undefined;
    }
    let lastSeq: number;
    if (earlier?.lastSeq !== undefined) lastSeq = earlier.lastSeq;
    else if (current && b.producerEpoch === current.producerEpoch) lastSeq = current.lastSeq;
    else lastSeq = -1;
    // no known epoch (state lost to expiry or retention): any sequence is accepted
    if (currentEpoch !== -1 && !inSequence(lastSeq, b.baseSequence)) {
      return { kind: 'rejected', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message: `out of order sequence number for ${who}: ${b.baseSequence} (incoming seq. number), ${lastSeq} (current end sequence number)` };
    }
    return undefined;
  }

  /**
   * Applies a checked append whose first record got `firstOffset` (Kafka's ProducerStateManager.update
   * plus updateMapEndOffset); `endOffset` is the offset after the append's last record. Returns the
   * transactions its markers completed, each with the LSO as of its marker (Kafka's lastStableOffset(completedTxn)).
   */
  onPlaced(check: ProducerAppendCheck, firstOffset: number, endOffset?: number): readonly PlacedTxn[] {
    if (check.kind !== 'append') throw new Error(`assertion failed: onPlaced of a ${check.kind} append`);
    let end = firstOffset;
    let completed: CompletedTxn[] | undefined;
    for (const b of check.batches) {
      const base = firstOffset + b.relativeOffset;
      const entry = this.entryOf(b.producerId);
      if (b.marker) {
        const done = this.endTxn(entry, b.producerEpoch, b.marker.committed, base, b.maxTimestamp);
        entry.coordinatorEpoch = b.marker.coordinatorEpoch;
        if (done) (completed ??= []).push(done);
      } else {
        entry.addBatch(b.producerEpoch, lastSequenceOf(b), base + b.lastOffsetDelta, b.lastOffsetDelta, b.maxTimestamp);
        if (b.transactional) this.maybeBeginTxn(entry, base);
      }
      end = Math.max(end, base + b.lastOffsetDelta + 1);
    }
    this.lastMapOffset = Math.max(this.lastMapOffset, endOffset ?? end);
    if (completed === undefined) return NO_PLACED_TXNS;
    // as UnifiedLog.append: every transaction the append began is open when the LSOs are taken
    return completed.map((txn) => {
      const lastStableOffset = this.transactions.lastStableOffsetAfter(txn);
      this.transactions.complete(txn);
      return { completed: txn, lastStableOffset };
    });
  }

  private entryOf(producerId: number): ProducerStateEntry {
    let entry = this.producers.get(producerId);
    if (!entry) {
      entry = ProducerStateEntry.empty(producerId);
      this.producers.set(producerId, entry);
    }
    return entry;
  }

  private maybeBeginTxn(entry: ProducerStateEntry, firstOffset: number): void {
    if (entry.currentTxnFirstOffset >= 0) return;
    entry.currentTxnFirstOffset = firstOffset;
    this.transactions.begin(entry.producerId, firstOffset);
  }

  /** A marker at `offset` ends the producer's transaction (Kafka's ProducerStateEntry.update); the completed one, if it had data. */
  private endTxn(entry: ProducerStateEntry, epoch: number, committed: boolean, offset: number, timestamp: number): CompletedTxn | undefined {
    const first = entry.currentTxnFirstOffset;
    entry.maybeUpdateProducerEpoch(epoch);
    entry.currentTxnFirstOffset = -1;
    entry.lastTimestamp = timestamp;
    return first >= 0 ? { producerId: entry.producerId, firstOffset: first, lastOffset: offset, isAborted: !committed } : undefined;
  }

  /**
   * The first offset of a transaction not decided below `highWatermark` (open, or its marker not
   * yet acknowledged), or undefined: the last stable offset is this, else the high watermark.
   */
  firstUnstableOffset(highWatermark: number): number | undefined {
    return this.transactions.firstUnstableOffset(highWatermark);
  }

  updateMapEndOffset(offset: number): void {
    this.lastMapOffset = offset;
  }

  /** A snapshot of the state as of `offset` (a roll's new base offset, or the log end at close). */
  snapshotAt(offset: number): void {
    this.lastMapOffset = Math.max(offset, this.lastMapOffset);
    this.takeSnapshot();
  }

  /** Kafka's appendDataBatch/appendEndTxnMarker with AppendOrigin.REPLICATION: rebuilding from the log, nothing is refused. */
  private replay(h: RecordBatchHeader): void {
    if (h.producerId === NO_PRODUCER_ID) return;
    const entry = this.entryOf(h.producerId);
    if (isControl(h.attributes)) {
      // a transaction marker: the transaction is over (below the log end: decided), the epoch moves on;
      // commit or abort matters to the aborted-transaction index only, which recovery rebuilds
      const done = this.endTxn(entry, h.producerEpoch, true, h.baseOffset, h.maxTimestamp);
      if (done) this.transactions.complete(done);
      return;
    }
    entry.addBatch(h.producerEpoch, lastSequenceOf(h), h.baseOffset + h.lastOffsetDelta, h.lastOffsetDelta, h.maxTimestamp);
    if (isTransactional(h.attributes)) this.maybeBeginTxn(entry, h.baseOffset);
  }

  /**
   * Loads the state at open (LogLoader.rebuildProducerState + truncateAndReload): drops snapshots
   * outside (logStartOffset, logEndOffset] and stray ones, reads the newest valid snapshot (a
   * corrupt one is deleted with a log line and the next older is tried), replays the batches
   * written after it, and writes a snapshot at the log end when it had to replay any.
   */
  async load(source: ProducerStateSource, nowMs = Date.now()): Promise<void> {
    for (const path of listStrangeSnapshots(this.dir)) this.logger?.warn(`${path} is not a regular file: not a producer snapshot, left alone (never read, written or deleted)`);
    this.removeStraySnapshots(source.segmentBaseOffsets);
    for (const offset of listSnapshotOffsets(this.dir)) {
      if (offset > source.logEndOffset || offset <= source.logStartOffset) this.deleteSnapshot(offset);
    }
    this.producers.clear();
    this.transactions.clear();
    this.lastMapOffset = this.lastSnapOffset = source.logStartOffset;
    for (const offset of listSnapshotOffsets(this.dir).reverse()) {
      const path = producerSnapshotPath(this.dir, offset);
      try {
        for (const e of readSnapshotFile(path)) if (!this.isExpired(nowMs, e.timestamp, e.currentTxnFirstOffset)) this.loadEntry(e);
        this.lastMapOffset = this.lastSnapOffset = offset;
        break;
      } catch (err) {
        this.producers.clear();
        this.transactions.clear();
        if (err instanceof NotRegularFileError) {
          // swapped in since the listing: not ours, so not deleted either
          this.logger?.warn(`${err.message}; trying an older snapshot`);
          continue;
        }
        if (!(err instanceof CorruptSnapshotError)) throw err;
        this.logger?.warn(`${err.message}; deleting it`);
        this.deleteSnapshot(offset);
      }
    }
    if (source.logEndOffset > this.lastMapOffset) {
      for await (const h of source.batchHeaders(this.lastMapOffset)) {
        if (h.baseOffset + h.lastOffsetDelta < this.lastMapOffset) continue;
        if (h.baseOffset >= source.logEndOffset) break;
        this.replay(h);
      }
      this.lastMapOffset = source.logEndOffset;
      this.takeSnapshot();
    }
  }

  private loadEntry(e: SnapshotEntry): void {
    const batch = e.lastOffset >= 0 ? new BatchMetadata(e.lastSequence, e.lastOffset, e.offsetDelta, e.timestamp) : undefined;
    this.producers.set(e.producerId, new ProducerStateEntry(e.producerId, e.epoch, e.coordinatorEpoch, e.timestamp, e.currentTxnFirstOffset, batch));
    if (e.currentTxnFirstOffset >= 0) this.transactions.begin(e.producerId, e.currentTxnFirstOffset);
  }

  private isExpired(nowMs: number, lastTimestamp: number, currentTxnFirstOffset: number): boolean {
    return currentTxnFirstOffset < 0 && nowMs - lastTimestamp >= this.expirationMs;
  }

  /** Forgets producers idle for producer.id.expiration.ms (Kafka's removeExpiredProducers). */
  removeExpiredProducers(nowMs = Date.now(), expirationMs = this.expirationMs): number {
    let removed = 0;
    for (const [id, entry] of this.producers) {
      if (entry.currentTxnFirstOffset < 0 && nowMs - entry.lastTimestamp >= expirationMs) {
        this.producers.delete(id);
        removed++;
      }
    }
    return removed;
  }

  /** Writes `<mapEndOffset>.snapshot` unless one at that offset or later exists; returns its path. */
  takeSnapshot(): string | undefined {
    if (this.lastMapOffset <= this.lastSnapOffset) return undefined;
    const path = producerSnapshotPath(this.dir, this.lastMapOffset);
    const kind = entryKind(path);
    if (kind !== 'missing' && kind !== 'regular') {
      // the name is taken by something not ours: no snapshot at this offset (the log replays instead)
      this.logger?.warn(`${path} is ${kind}, not a regular file: no producer snapshot written at ${this.lastMapOffset}`);
      this.lastSnapOffset = this.lastMapOffset;
      return undefined;
    }
    writeSnapshotFile(path, this.snapshotEntries());
    this.lastSnapOffset = this.lastMapOffset;
    return path;
  }

  snapshotEntries(): SnapshotEntry[] {
    return [...this.producers.values()].map((e) => ({
      producerId: e.producerId,
      epoch: e.producerEpoch,
      lastSequence: e.lastSeq,
      lastOffset: e.lastDataOffset,
      offsetDelta: e.lastOffsetDelta,
      timestamp: e.lastTimestamp,
      coordinatorEpoch: e.coordinatorEpoch,
      currentTxnFirstOffset: e.currentTxnFirstOffset,
    }));
  }

  /** Deletes snapshots below `offset` (segments deleted by retention take theirs along). */
  deleteSnapshotsBefore(offset: number): void {
    for (const o of listSnapshotOffsets(this.dir)) if (o < offset) this.deleteSnapshot(o);
  }

  /**
   * Kafka's removeStraySnapshots: a snapshot without a segment of the same base offset goes, except
   * the newest such one when it lies above every segment base (the one a clean shutdown wrote).
   */
  removeStraySnapshots(segmentBaseOffsets: readonly number[]): void {
    const bases = new Set(segmentBaseOffsets);
    const maxBase = segmentBaseOffsets.length > 0 ? Math.max(...segmentBaseOffsets) : undefined;
    let latestStray: number | undefined;
    for (const offset of listSnapshotOffsets(this.dir)) {
      if (bases.has(offset)) continue;
      if (latestStray !== undefined) this.deleteSnapshot(latestStray);
      latestStray = offset;
    }
    if (latestStray !== undefined && maxBase !== undefined && latestStray < maxBase) this.deleteSnapshot(latestStray);
  }

  private deleteSnapshot(offset: number): void {
    const path = producerSnapshotPath(this.dir, offset);
    // only a regular file is a snapshot to delete; anything else swapped in is left alone
    if (entryKind(path) === 'regular') fs.rmSync(path, { force: true });
  }
}
