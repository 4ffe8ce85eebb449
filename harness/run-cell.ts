/**
 * One repetition of one cell, in process, against real files and real sockets:
 *  1. produce: `producers` async producers append batches to `partitions` logs (max rate, or a fixed
 *     rate whose latency counts from each record's intended send time: no coordinated omission);
 *     in fixed-rate mode consumer 0 tails the log over TCP meanwhile (end-to-end latency);
 *  2. flush every partition (timed);
 *  3. warm read: every consumer reads the measured records from the page cache through the cell's Transfer;
 *  4. cold read: flush, drop the segments' pages (fadvise DONTNEED), and consumer 0 reads them again;
 *  5. max-rate mode only: end-to-end latency in a short phase of its own at endToEndRate, consumer 0
 *     tailing from the log end (at max rate a tail would only measure its own queue).
 * Each phase records CPU, faults, context switches and sampled peak RSS.
 *
 * The phases live in harness/cell/: cell-run.ts (logs, consumers, shared state), batch-maker.ts
 * (batches, warm-up), produce-phase.ts and end-to-end.ts (1, 5), measured-produce.ts (1, 2),
 * read-phase.ts (3, 4), ship-phase.ts (log shipping to a remote receiver), metrics.ts (the shapes).
 */
import { rm } from 'node:fs/promises';
import { logConfigFrom } from '../core/config/log-config.js';
import { summarize } from './histogram.js';
import { CellResources, prepareRun, resetDir, type CellRun, type CellRunOptions } from './cell/cell-run.js';
import { isFixedRate, measuredProduce } from './cell/measured-produce.js';
import type { RepetitionResult } from './cell/metrics.js';
import { producePhase } from './cell/produce-phase.js';
import { readPhases } from './cell/read-phase.js';
import { shipPhase } from './cell/ship-phase.js';

export { FETCH_BYTES_MAX } from './cell/fetch-loop.js';
export { RECEIVER_TOPIC } from './cell/ship-phase.js';
export type { CellRunOptions } from './cell/cell-run.js';
export type { PhaseUsage, ProduceMetrics, ReadMetrics, RepetitionResult } from './cell/metrics.js';

export async function runRepetition(opts: CellRunOptions): Promise<RepetitionResult> {
  const config = logConfigFrom(opts.cell.config);
  await resetDir(opts.dir);
  const held = new CellResources();
  try {
    await held.open(opts, config);
    return await measure(await prepareRun(opts, held), opts);
  } finally {
    await held.close();
    if (!opts.keepData) await rm(opts.dir, { recursive: true, force: true });
  }
}

async function measure(run: CellRun, opts: CellRunOptions): Promise<RepetitionResult> {
  const { w, consumers, logs } = run;
  const { produce, counters, hFlush, paths } = await measuredProduce(run);
  const { warmRead, coldRead } = await readPhases(run, paths, counters.records);
  const ship = opts.receiver ? await shipPhase(run, opts.receiver, paths, counters.records) : undefined;
  if (w.endToEnd && consumers.length > 0 && !isFixedRate(w)) {
    // after the reads, so they move exactly what the measured phase wrote; the tail starts at the log end
    logs.forEach((l, p) => (run.tailOffsets[p] = l.logEndOffset));
    await producePhase(run, { rate: w.endToEndRate, totalRecords: w.endToEndRecords, durationMs: 0, tail: true, seedSalt: 1_000_003 });
  }
  const endToEndLatency = run.hE2e.totalCount > 0 ? summarize(run.hE2e) : undefined;
  return {
    produce,
    endToEndLatency,
    warmRead,
    coldRead,
    ship,
    histograms: { append: counters.hAppend, produce: counters.hProduce, flush: hFlush, endToEnd: run.hE2e },
    logImpl: logs[0]!.impl,
  };
}
