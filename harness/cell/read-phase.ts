/**
 * The read phases: every consumer reads the measured records through the cell's Transfer, warm
 * (from the page cache; with a durationSeconds workload, whole passes over them again until that
 * long has passed, so a fast transfer is measured over as long as the produce), then cold
 * (flushed, the segments' pages dropped with fadvise DONTNEED, consumer 0 alone, one pass).
 */
import type { ConsumerHandle } from '../consumer.js';
import { RssSampler, dropPages, processCpuSeconds, residency, usageDelta, usageNow } from '../os-probes.js';
import { PHASE_TIMEOUT_MS, type CellRun } from './cell-run.js';
import { fetchLoop } from './fetch-loop.js';
import { cacheStatsOf, phaseUsage, readMetrics, type ReadMetrics } from './metrics.js';

/** Warm read by every consumer, then (workload coldRead) the cold one; none without consumers. */
export async function readPhases(run: CellRun, paths: readonly string[], records: number): Promise<{ warmRead?: ReadMetrics; coldRead?: ReadMetrics }> {
  const { consumers, logs } = run;
  if (consumers.length === 0) return {};
  const warmRead = await readPhase(run, consumers, paths, records, run.w.durationSeconds);
  if (!run.w.coldRead) return { warmRead };
  for (const log of logs) await log.flush();
  await dropPages(paths);
  const coldRead = await readPhase(run, [consumers[0]!], paths, records, 0);
  return { warmRead, coldRead };
}

/**
 * Each reader fetches every partition from the measured start to the end, in passes until
 * `minSeconds` have passed (one pass at least); timed until all arrived.
 */
async function readPhase(run: CellRun, readers: readonly ConsumerHandle[], paths: readonly string[], records: number, minSeconds: number): Promise<ReadMetrics> {
  const { logs, components, startOffsets, sentTo, signal } = run;
  const before = await residency(paths);
  const cacheBefore = cacheStatsOf(components);
  const clientCpu = () => readers.reduce((sum, c) => sum + processCpuSeconds(c.pid), 0);
  const client0 = clientCpu();
  const ru0 = usageNow();
  const sampler = new RssSampler();
  const r0 = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - r0) / 1e9;
  let bytes = 0;
  let passes = 0;
  await Promise.all(readers.map(async (c) => {
    do {
      const sent = await Promise.all(logs.map((log, p) => fetchLoop(log, components, c, p, startOffsets[p]!, () => true, signal)));
      sent.forEach((b, p) => {
        sentTo[c.consumerId]![p]! += b;
        bytes += b;
      });
      await c.waitFor(sentTo[c.consumerId]!, PHASE_TIMEOUT_MS);
      passes++;
    } while (elapsed() < minSeconds);
  }));
  const seconds = elapsed();
  const usage = phaseUsage(usageDelta(ru0, usageNow()), sampler.stop(), bytes);
  const clientCpuS = clientCpu() - client0;
  // records per reader, so that readMetrics' records x readers is every record read
  return readMetrics(usage, { readers: readers.length, bytes, seconds, records: (records * passes) / readers.length, residentBytesBefore: before.residentBytes, cacheBefore, cacheAfter: cacheStatsOf(components), clientCpuS });
}
