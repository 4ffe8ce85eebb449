/**
 * The shared run coalescer itself (engines/run-coalescer.ts), with runs the test finishes by hand:
 * what queues while a run is in flight goes out in the next run, in arrival order; the limits on
 * runs in flight, waiters per run and waiters queued hold (and a policy that breaks them is an
 * assertion failure); a failed run fails exactly its own waiters ('fail-run') or, with 'fail-all',
 * also everything queued and everything later, while a run beside it still succeeds.
 * The real runs (pwritev, fdatasync) are tested through their users: write-coalescer.test.ts and
 * the conformance suite's group-commit module.
 */
import { describe, expect, it } from 'vitest';
import { RunCoalescer, type RunLimits, type RunPolicy, type RunWaiter } from '../../engines/run-coalescer.js';

interface Run {
  items: string[];
  weight: number;
  finish: (err?: Error) => void;
}

/** A coalescer over string items whose runs stay in flight until the test finishes them. */
function harness(limits: Partial<RunLimits> = {}, policy: Partial<RunPolicy<string>> = {}) {
  const runs: Run[] = [];
  let inFlight = 0;
  let inFlightPeak = 0;
  let idle = 0;
  const coalescer = new RunCoalescer<string>(
    'test runs',
    { runsInFlightMax: 1, waitersQueuedMax: 100, waitersPerRunMax: 100, onFailure: 'fail-run', ...limits },
    {
      mayStart: () => true,
      take: (queue) => queue.length,
      run: (waiters: readonly RunWaiter<string>[], weight: number) =>
        new Promise<void>((resolve, reject) => {
          inFlight++;
          inFlightPeak = Math.max(inFlightPeak, inFlight);
          const finish = (err?: Error) => {
            inFlight--;
            if (err) reject(err);
            else resolve();
          };
          runs.push({ items: waiters.map((w) => w.item), weight, finish });
        }),
      idle: () => idle++,
      ...policy,
    },
  );
  /** Queues `item` and starts what may start; the promise's outcome is tracked in `outcome`. */
  const outcome = new Map<string, string>();
  const request = (item: string, weight = 1, start = true): Promise<void> => {
    const p = coalescer.enqueue(item, weight);
    p.then(
      () => outcome.set(item, 'ok'),
      (err: Error) => outcome.set(item, err.message),
    );
    if (start) coalescer.startRuns();
    return p.catch(() => {});
  };
  return { coalescer, runs, request, outcome, peak: () => inFlightPeak, idle: () => idle };
}

/** Lets the promise callbacks queued so far run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('RunCoalescer', () => {
  it('sends what queues behind a run in flight out in the next run, all together, in arrival order', async () => {
    const h = harness();
    void h.request('a');
    for (const item of ['b', 'c', 'd']) void h.request(item);
    expect(h.runs.map((r) => r.items)).toEqual([['a']]); // one run in flight: b, c, d wait
    expect(h.coalescer.queued).toBe(3);
    expect(h.coalescer.pending).toBe(4);
    h.runs[0]!.finish();
    await settle();
    expect(h.runs.map((r) => r.items)).toEqual([['a'], ['b', 'c', 'd']]);
    expect(h.outcome.get('a')).toBe('ok');
    expect(h.outcome.has('b')).toBe(false); // b's run is still in flight
    h.runs[1]!.finish();
    await settle();
    expect([...h.outcome.values()]).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(h.coalescer.runsStarted).toBe(2);
    expect(h.coalescer.pending).toBe(0);
    expect(h.idle()).toBe(1); // once, when the last run settled
  });

  it('keeps runs in flight and waiters per run within their limits, and takes from the head', async () => {
    const h = harness({ runsInFlightMax: 2, waitersPerRunMax: 2 }, { take: (queue) => Math.min(2, queue.length) });
    for (const item of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) void h.request(item, 1, false);
    h.coalescer.startRuns();
    expect(h.runs.map((r) => r.items)).toEqual([['a', 'b'], ['c', 'd']]);
    while (h.runs.some((r) => r.items.length > 0)) {
      const run = h.runs.find((r) => r.items.length > 0)!;
      run.finish();
      run.items = [];
      await settle();
    }
    expect(h.peak()).toBe(2);
    expect(h.coalescer.runsInFlightPeak).toBe(2);
    expect(h.coalescer.runsStarted).toBe(4); // a b | c d | e f | g
    expect([...h.outcome.keys()].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  });

  it('asks the policy before each run and passes the queued weight; a refused run waits for startRuns()', async () => {
    let weights: number[] = [];
    let allow = false;
    const h = harness({}, { mayStart: (_inFlight, queuedWeight) => (weights.push(queuedWeight), allow) });
    void h.request('a', 3);
    void h.request('b', 4);
    expect(weights).toEqual([3, 7]);
    expect(h.runs).toHaveLength(0);
    allow = true;
    weights = [];
    h.coalescer.startRuns();
    expect(weights).toEqual([7]);
    expect(h.runs.map((r) => [r.items, r.weight])).toEqual([[['a', 'b'], 7]]);
    h.runs[0]!.finish();
    await settle();
    expect(h.outcome.get('b')).toBe('ok');
  });

  it("'fail-run': a failed run fails exactly its own waiters; the ones queued behind it get the next run", async () => {
    const h = harness();
    void h.request('a');
    void h.request('b');
    void h.request('c');
    h.runs[0]!.finish(new Error('EIO a'));
    await settle();
    expect(h.outcome.get('a')).toBe('EIO a');
    expect(h.outcome.has('b')).toBe(false);
    expect(h.runs[1]!.items).toEqual(['b', 'c']);
    h.runs[1]!.finish();
    await settle();
    expect([h.outcome.get('b'), h.outcome.get('c')]).toEqual(['ok', 'ok']);
    void h.request('d'); // a later request runs too
    expect(h.runs[2]!.items).toEqual(['d']);
    expect(h.coalescer.hasFailed).toBe(false);
  });

  it("'fail-all': a failed run fails its waiters, everything queued and every later request, while a run beside it succeeds", async () => {
    const h = harness({ onFailure: 'fail-all', runsInFlightMax: 2 }, { take: () => 1 });
    for (const item of ['a', 'b', 'c', 'd']) void h.request(item);
    expect(h.runs.map((r) => r.items)).toEqual([['a'], ['b']]); // c, d queued
    h.runs[0]!.finish(new Error('ENOSPC a'));
    await settle();
    expect(h.runs).toHaveLength(2); // no run started after the failure
    expect(['a', 'c', 'd'].map((i) => h.outcome.get(i))).toEqual(['ENOSPC a', 'ENOSPC a', 'ENOSPC a']);
    expect(h.outcome.has('b')).toBe(false);
    h.runs[1]!.finish(); // b's write beside a's landed: b heard success (the Log fails it in order)
    await settle();
    expect(h.outcome.get('b')).toBe('ok');
    await h.request('e');
    expect(h.outcome.get('e')).toBe('ENOSPC a');
    expect(h.coalescer.hasFailed).toBe(true);
    expect(h.coalescer.pending).toBe(0);
  });

  it("'fail-all': fail() from outside a run (a failed inline write) rejects the queue and later requests with the first error", async () => {
    const h = harness({ onFailure: 'fail-all' }, { mayStart: () => false });
    void h.request('a');
    h.coalescer.fail(new Error('EBADF inline'));
    h.coalescer.fail(new Error('second')); // the first wins
    void h.request('b');
    await settle();
    expect([h.outcome.get('a'), h.outcome.get('b')]).toEqual(['EBADF inline', 'EBADF inline']);
  });

  it('settles the waiters of overlapping runs when their own run finishes, whatever the order', async () => {
    const h = harness({ runsInFlightMax: 2 }, { take: () => 1 });
    void h.request('a');
    void h.request('b');
    h.runs[1]!.finish();
    await settle();
    expect(h.outcome.get('b')).toBe('ok');
    expect(h.outcome.has('a')).toBe(false);
    expect(h.idle()).toBe(0); // a still in flight
    h.runs[0]!.finish();
    await settle();
    expect(h.outcome.get('a')).toBe('ok');
    expect(h.idle()).toBe(1);
  });

  it('fails the waiters of a run whose policy throws instead of returning a promise', async () => {
    const h = harness({}, {
      run: () => {
        throw new Error('EINVAL sync');
      },
    });
    await h.request('a');
    expect(h.outcome.get('a')).toBe('EINVAL sync');
    expect(h.coalescer.pending).toBe(0);
  });

  it('holds its limits: a full queue, a bad weight and a policy taking too much are assertion failures', () => {
    const h = harness({ waitersQueuedMax: 2 }, { mayStart: () => false });
    void h.request('a');
    void h.request('b');
    expect(() => h.coalescer.enqueue('c', 1)).toThrow(/assertion failed: test runs: more than 2 waiters queued/);
    expect(h.coalescer.queued).toBe(2);
    expect(() => harness().coalescer.enqueue('x', -1)).toThrow(/weight -1 must be a non-negative integer/);
    const greedy = harness({ waitersPerRunMax: 1 });
    greedy.coalescer.enqueue('a', 1).catch(() => {});
    greedy.coalescer.enqueue('b', 1).catch(() => {});
    expect(() => greedy.coalescer.startRuns()).toThrow(/a run took 2 of 2 waiters \(at most 1\)/);
    const none = harness({}, { take: () => 0 });
    none.coalescer.enqueue('a', 1).catch(() => {});
    expect(() => none.coalescer.startRuns()).toThrow(/a run took 0 of 1 waiters/);
    expect(() => harness({ runsInFlightMax: 0 })).toThrow(/runsInFlightMax 0 must be a positive integer/);
  });
});
