/**
 * The transactions of one partition's producer state (Kafka's ProducerStateManager.ongoingTxns and
 * unreplicatedTxns, TxnMetadata, CompletedTxn): the open ones by first offset, and the completed
 * ones whose marker is not yet below the high watermark. Together they give the first unstable
 * offset, and with it the last stable offset a read_committed reader may read up to.
 */

/** A transaction a marker ended (Kafka's CompletedTxn); lastOffset is the marker's offset. */
export interface CompletedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  isAborted: boolean;
}

interface UnreplicatedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
}

export class ProducerTransactions {
  /** Open transactions: first offset -> producer id. */
  private readonly ongoing = new Map<number, number>();
  /** Completed transactions whose marker the high watermark has not passed, in marker order. */
  private unreplicated: UnreplicatedTxn[] = [];

  get ongoingCount(): number {
    return this.ongoing.size;
  }

  /** A producer's transaction starts at `firstOffset` (its first transactional batch). */
  begin(producerId: number, firstOffset: number): void {
    this.ongoing.set(firstOffset, producerId);
  }

  /**
   * Kafka's lastStableOffset(completedTxn): the first offset of the oldest transaction of another
   * producer still open, else the offset after the marker. Written into the aborted-transaction
   * index entry, it tells a reader how far later segments must be searched.
   */
  lastStableOffsetAfter(completed: CompletedTxn): number {
    let lso = completed.lastOffset + 1;
    for (const [first, producerId] of this.ongoing) if (producerId !== completed.producerId && first < lso) lso = first;
    return lso;
  }

  /** The transaction's marker was written: no longer open, unstable until the high watermark passes it. */
  complete(completed: CompletedTxn): void {
    if (this.ongoing.get(completed.firstOffset) !== completed.producerId) {
      throw new Error(`assertion failed: completing transaction of producer ${completed.producerId} at ${completed.firstOffset}, which is not open`);
    }
    this.ongoing.delete(completed.firstOffset);
    this.unreplicated.push({ producerId: completed.producerId, firstOffset: completed.firstOffset, lastOffset: completed.lastOffset });
  }

  /**
   * The first offset of a transaction not yet decided below `highWatermark` (Kafka's
   * firstUnstableOffset after onHighWatermarkUpdated), or undefined when every one is.
   */
  firstUnstableOffset(highWatermark: number): number | undefined {
    if (this.unreplicated.length > 0) this.unreplicated = this.unreplicated.filter((t) => t.lastOffset >= highWatermark);
    let first: number | undefined;
    for (const offset of this.ongoing.keys()) if (first === undefined || offset < first) first = offset;
    for (const t of this.unreplicated) if (first === undefined || t.firstOffset < first) first = t.firstOffset;
    return first;
  }

  /** The open transactions, oldest first: [firstOffset, producerId]. */
  openTransactions(): [number, number][] {
    return [...this.ongoing].sort((a, b) => a[0] - b[0]);
  }

  clear(): void {
    this.ongoing.clear();
    this.unreplicated = [];
  }
}
