/**
 * End-to-end latency: consumer 0 tails every partition during a produce phase; each batch's
 * latency runs from its append start (wall clock) to the consumer process having all of it.
 */
import type { PartitionReport } from '../consumer.js';
import type { Histogram } from '../histogram.js';
import { PHASE_TIMEOUT_MS, type CellRun } from './cell-run.js';
import { fetchLoop } from './fetch-loop.js';

/** Consumer 0 follows each partition from where its last tail stopped until `done()` and caught up. */
export function startTails(run: CellRun, done: () => boolean): Promise<number>[] {
  const { logs, components, consumers, tailOffsets, signal } = run;
  return logs.map((log, p) => fetchLoop(log, components, consumers[0]!, p, tailOffsets[p]!, done, signal));
}

/** Waits for the tails to drain and consumer 0 to receive it all, then records each batch's latency. */
export async function finishTails(run: CellRun, tails: Promise<number>[], sendTimes: Map<number, number>[], phaseStart: number[]): Promise<void> {
  const { logs, consumers, sentTo, tailOffsets } = run;
  const sent = await Promise.all(tails);
  sent.forEach((b, p) => (sentTo[0]![p]! += b));
  logs.forEach((l, p) => (tailOffsets[p] = l.logEndOffset));
  const reports = await consumers[0]!.waitFor(sentTo[0]!, PHASE_TIMEOUT_MS);
  addEndToEnd(run.hE2e, reports, sendTimes, phaseStart);
}

function addEndToEnd(h: Histogram, reports: PartitionReport[], sendTimes: Map<number, number>[], startOffsets: number[]): void {
  reports.forEach((report, p) => {
    for (let i = 0; i < report.offsets.length; i++) {
      const offset = report.offsets[i]!;
      if (offset < startOffsets[p]!) continue; // warm-up batches
      const sentAt = sendTimes[p]!.get(offset);
      if (sentAt === undefined) continue;
      h.recordValue(Math.max(1, Math.round((report.times[i]! - sentAt) * 1000)));
    }
  });
}
