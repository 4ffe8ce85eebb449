/**
 * Work over many partitions at a bounded concurrency: enough to keep the file system's queue (and
 * libuv's thread pool) busy, few enough that creating or closing 100,000 logs never holds more
 * descriptors, memory or pending calls than `limit` of them at once.
 */
import { assert } from '../errors.js';

export interface BoundedFailure<T> {
  item: T;
  error: unknown;
}

/**
 * Runs `fn` over `items`, at most `limit` at once. With `stopOnError` no item starts after the
 * first failure; either way every started call has settled when this resolves, with the failures
 * in the order they happened (none: every item ran and succeeded).
 */
export async function runBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>, opts: { stopOnError: boolean }): Promise<BoundedFailure<T>[]> {
  assert(Number.isInteger(limit) && limit >= 1, () => `concurrency limit must be a positive integer, got ${limit}`);
  const failures: BoundedFailure<T>[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !(opts.stopOnError && failures.length > 0)) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failures.push({ item, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return failures;
}
