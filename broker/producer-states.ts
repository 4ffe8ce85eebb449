/**
 * The broker's producer state, one ProducerStateManager per partition log, until the Log calls
 * the manager itself at placement (issue 15's split). Until then the broker makes the check and
 * the placement atomic with a per-partition lock around "prepare, append, onPlaced" for appends
 * carrying producer ids: Log.append assigns offsets in call order, and while the lock is held no
 * other idempotent append to that partition can be checked, so a retry arriving on a new
 * connection while its original is still being written waits and then finds it as a duplicate.
 * Appends without producer ids (kcat, kafkajs without idempotence) do not take the lock.
 *
 * Snapshots: at a roll (seen after the append as a new segment base offset: the state before the
 * append if the segment starts at or before it), at clean shutdown (the log end), after a load
 * that replayed batches (ProducerStateManager.load). State is loaded on the first idempotent
 * append to a partition: from the newest snapshot plus the batches after it.
 */
import type { Log } from '../core/log/log.js';
import type { ValidatedBatches } from '../core/format/batch-cursor.js';
import { logBatchHeaders } from '../core/log/log-batch-headers.js';
import type { ProducerBatch } from '../core/log/producer-state-entry.js';
import { ProducerStateManager, type ProducerAppendCheck } from '../core/log/producer-state-manager.js';
import type { Logger } from '../core/tokens.js';

export type IdempotentAppendResult =
  | { kind: 'appended'; firstOffset: number; lastOffset: number; maxTimestamp: number }
  | Exclude<ProducerAppendCheck, { kind: 'append' }>;

export class PartitionProducerState {
  private tail: Promise<void> = Promise.resolve();
  private activeBase: number;

  constructor(
    readonly log: Log,
    readonly manager: ProducerStateManager,
  ) {
    this.activeBase = Math.max(...log.segmentBaseOffsets());
  }

  /** Runs `fn` after every earlier locked call of this partition has finished. */
  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Checks, appends and records an append holding idempotent batches. */
  append(records: ValidatedBatches, batches: readonly ProducerBatch[]): Promise<IdempotentAppendResult> {
    return this.locked(async () => {
      const check = this.manager.prepare(batches);
      if (check.kind !== 'append') return check;
      const info = await this.log.appendValidated(records);
      // LogAppendTime: the producer state keeps the time the log stamped (a retry is answered with it)
      if (this.log.config.messageTimestampType === 'LogAppendTime') for (const b of batches) b.maxTimestamp = info.maxTimestamp;
      const newBases = this.log.segmentBaseOffsets().filter((b) => b > this.activeBase);
      // rolls before this append's records: the state as it was before them
      for (const base of newBases) if (base <= info.firstOffset) this.snapshotAt(base);
      this.manager.onPlaced(check, info.firstOffset, info.lastOffset + 1);
      for (const base of newBases) if (base > info.lastOffset) this.snapshotAt(base);
      if (newBases.length > 0) {
        this.activeBase = Math.max(...newBases);
        this.manager.deleteSnapshotsBefore(this.log.logStartOffset);
      }
      return { kind: 'appended', firstOffset: info.firstOffset, lastOffset: info.lastOffset, maxTimestamp: info.maxTimestamp };
    });
  }

  private snapshotAt(offset: number): void {
    this.manager.updateMapEndOffset(Math.max(offset, this.manager.mapEndOffset));
    this.manager.takeSnapshot();
  }

  /** At clean shutdown, after the last append: a snapshot at the log end. */
  close(): Promise<void> {
    return this.locked(async () => {
      this.manager.updateMapEndOffset(this.log.logEndOffset);
      this.manager.takeSnapshot();
    });
  }
}

export class ProducerStates {
  private readonly partitions = new Map<Log, Promise<PartitionProducerState>>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly logger: Logger,
    private readonly producerIdExpirationMs: number,
    expirationCheckIntervalMs: number,
  ) {
    this.timer = setInterval(() => void this.removeExpired(), expirationCheckIntervalMs);
    this.timer.unref();
  }

  /** The producer state of a partition, loaded on first use. */
  forLog(log: Log, name: string): Promise<PartitionProducerState> {
    let state = this.partitions.get(log);
    if (!state) {
      state = this.load(log, name);
      this.partitions.set(log, state);
      state.catch(() => this.partitions.delete(log));
    }
    return state;
  }

  private async load(log: Log, name: string): Promise<PartitionProducerState> {
    const manager = new ProducerStateManager(log.dir, { name, producerIdExpirationMs: this.producerIdExpirationMs, logger: this.logger });
    await manager.load({
      logStartOffset: log.logStartOffset,
      logEndOffset: log.logEndOffset,
      segmentBaseOffsets: log.segmentBaseOffsets(),
      batchHeaders: (from) => logBatchHeaders(log, from, log.logEndOffset),
    });
    if (manager.activeProducers.size > 0) this.logger.info(`loaded the state of ${manager.activeProducers.size} producer(s) of ${name} up to offset ${manager.mapEndOffset}`);
    return new PartitionProducerState(log, manager);
  }

  private async removeExpired(): Promise<void> {
    for (const state of this.partitions.values()) {
      try {
        (await state).manager.removeExpiredProducers();
      } catch {
        // a partition that failed to load has no state to expire
      }
    }
  }

  /** Drops a partition's state without a snapshot: its log is being deleted. */
  forget(log: Log): void {
    this.partitions.delete(log);
  }

  /** Snapshots every loaded partition at its log end; call before the logs close. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const state of this.partitions.values()) {
      let s: PartitionProducerState;
      try {
        s = await state;
      } catch {
        continue;
      }
      try {
        await s.close();
      } catch (err) {
        this.logger.error(`producer snapshot of ${s.log.dir} failed: ${(err as Error).message}`);
      }
    }
  }
}
