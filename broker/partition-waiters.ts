/**
 * Fetch long polling (Kafka's delayed fetch purgatory, for one node): a Fetch that found fewer
 * than min.bytes parks here until a Produce appends to one of its partitions, its max.wait.ms runs
 * out, or the broker shuts down. Waiters per partition are bounded by the connections that can
 * have a fetch parked (one request in progress per connection).
 */
export class PartitionWaiters {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly all = new Set<() => void>();

  private static key(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`;
  }

  /** Resolves on the first append to any of `partitions`, after `timeoutMs`, or on wakeAll(). */
  wait(partitions: readonly { topic: string; partition: number }[], timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const keys = partitions.map((p) => PartitionWaiters.key(p.topic, p.partition));
      const wake = () => {
        clearTimeout(timer);
        for (const k of keys) {
          const set = this.waiters.get(k);
          set?.delete(wake);
          if (set?.size === 0) this.waiters.delete(k);
        }
        this.all.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, timeoutMs));
      for (const k of keys) {
        let set = this.waiters.get(k);
        if (!set) this.waiters.set(k, (set = new Set()));
        set.add(wake);
      }
      this.all.add(wake);
    });
  }

  notify(topic: string, partition: number): void {
    const set = this.waiters.get(PartitionWaiters.key(topic, partition));
    if (set) for (const wake of [...set]) wake();
  }

  wakeAll(): void {
    for (const wake of [...this.all]) wake();
  }

  get size(): number {
    return this.all.size;
  }
}
