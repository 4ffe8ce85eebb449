/**
 * The producer state of one log, as Kafka's UnifiedLog holds its ProducerStateManager: loaded on
 * the first append that carries producer ids (the newest snapshot plus the batch headers written
 * after it), then handed to the AppendSequencer, which checks and records every idempotent
 * append at the moment it gives it offsets. Snapshots are taken at each roll (the state as of the
 * new segment's base offset, by the LogAppender) and at a clean close (the log end); retention
 * takes the snapshots below the log start offset along.
 */
import type { Logger } from '../tokens.js';
import type { AppendSequencer } from './append-sequencer.js';
import { logBatchHeaders } from './log-batch-headers.js';
import type { Log } from './log.js';
import { ProducerStateManager } from './producer-state-manager.js';

export class LogProducerState {
  private loading: Promise<void> | undefined;

  constructor(
    private readonly log: Log,
    private readonly sequencer: AppendSequencer,
    private readonly logger: Logger,
    private readonly producerIdExpirationMs: number | undefined,
  ) {}

  /** The loaded state, or undefined before the first idempotent append. */
  get manager(): ProducerStateManager | undefined {
    return this.sequencer.producerState;
  }

  /** Loads the state once; the log's AppendOrder holds later appends until it is in place. */
  load(): Promise<void> {
    this.loading ??= this.loadNow().catch((err: unknown) => {
      this.loading = undefined;
      throw err;
    });
    return this.loading;
  }

  private async loadNow(): Promise<void> {
    // appends issued before are acknowledged first, so the replay reads every one of them
    await this.sequencer.settle();
    const log = this.log;
    const name = log.partitionDirName;
    const manager = new ProducerStateManager(log.dir, { name, producerIdExpirationMs: this.producerIdExpirationMs, logger: this.logger });
    const end = log.logEndOffset;
    await manager.load({ logStartOffset: log.logStartOffset, logEndOffset: end, segmentBaseOffsets: log.segmentBaseOffsets(), batchHeaders: (from) => logBatchHeaders(log, from, end) });
    if (manager.activeProducers.size > 0) this.logger.info(`loaded the state of ${manager.activeProducers.size} producer(s) of ${name} up to offset ${manager.mapEndOffset}`);
    this.sequencer.producerState = manager;
  }

  /**
   * Forgets the state (a truncation, or batches appended with their own offsets): the next
   * idempotent append loads it again from the snapshots and the log as it now is.
   */
  invalidate(): void {
    this.sequencer.producerState = undefined;
    this.loading = undefined;
  }

  /** At a clean close: a snapshot at the log end, so the next open reads it instead of the log. */
  snapshotAtClose(): void {
    this.manager?.snapshotAt(this.log.logEndOffset);
  }
}
