/**
 * Keeps a log's appends in call order while some of them wait for something first (their record
 * walk, the producer state's first load): an append is placed only after every append called
 * before it was placed or refused, so offsets follow the order of the calls, as they do when
 * nothing waits. Placing is synchronous (the sequencer assigns offsets in the call), so "placed"
 * is when `place` returned, long before the append is acknowledged.
 */
export class AppendOrder {
  /** Settles once every append called so far was placed or refused. */
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** True while an append called earlier is not placed yet: a later one must queue behind it. */
  get busy(): boolean {
    return this.waiting > 0;
  }

  /** Places `ready`'s value with `place` once it and every earlier append are ready. */
  run<V, T>(ready: Promise<V>, place: (value: V) => Promise<T>): Promise<T> {
    const previous = this.tail;
    this.waiting++;
    const placed = Promise.all([ready, previous]).then(([value]) => ({ acked: place(value) }));
    // a refused append must not let a later one overtake the earlier ones still waiting
    const settled = placed.then(
      () => undefined,
      () => previous,
    );
    this.tail = settled.finally(() => this.waiting--);
    return placed.then((p) => p.acked);
  }
}
