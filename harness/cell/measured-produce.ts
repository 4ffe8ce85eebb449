/**
 * The measured produce phase: the workload's records (or duration) at its rate, then every
 * partition flushed (timed), with CPU, faults, context switches and sampled peak RSS over both,
 * and the segments' page-cache residency afterwards.
 */
import { newHistogram, recordNs, summarize, type Histogram } from '../histogram.js';
import { RssSampler, residency, usageDelta, usageNow, type UsageDelta } from '../os-probes.js';
import type { Workload } from '../workload.js';
import type { CellRun } from './cell-run.js';
import { phaseUsage, type ProduceMetrics } from './metrics.js';
import { preparePhase, runPhase, type PhaseCounters, type ProducePlan } from './produce-phase.js';

export interface MeasuredProduce {
  produce: ProduceMetrics;
  counters: PhaseCounters;
  hFlush: Histogram;
  /** Every segment file of every partition (the reads' page-cache probes and drops). */
  paths: string[];
}

/** Fixed-rate mode (producerRate > 0), else max rate. */
export const isFixedRate = (w: Workload): boolean => w.producerRate > 0;

/** Fixed rate with a duration produces rate × duration records; max rate with one runs for it. */
export function measuredPlan(run: CellRun): ProducePlan {
  const { w, consumers } = run;
  const fixedRate = isFixedRate(w);
  const durationMs = w.durationSeconds > 0 ? w.durationSeconds * 1000 : 0;
  const totalRecords = fixedRate && durationMs > 0 ? Math.max(1, Math.round(w.producerRate * w.durationSeconds)) : w.records;
  // end-to-end latency: tail during a fixed-rate produce phase; after a max-rate one, in a phase
  // of its own at endToEndRate (at max rate the tail would only measure its own queue)
  const tail = w.endToEnd && consumers.length > 0 && fixedRate;
  return { rate: w.producerRate, totalRecords, durationMs: fixedRate ? 0 : durationMs, tail, seedSalt: 0 };
}

export async function measuredProduce(run: CellRun): Promise<MeasuredProduce> {
  const hFlush = newHistogram();
  // the batches are made first, outside the clock and the CPU count: a client's work, not the engine's
  const prepared = await preparePhase(run, measuredPlan(run));
  const u0 = usageNow();
  const rss = new RssSampler();
  const t0 = process.hrtime.bigint();
  const counters = await runPhase(run, prepared);
  const t1 = process.hrtime.bigint();
  for (const log of run.logs) {
    const f0 = process.hrtime.bigint();
    await log.flush();
    recordNs(hFlush, process.hrtime.bigint() - f0);
  }
  const usage = usageDelta(u0, usageNow());
  const peakRssBytes = rss.stop();
  const seconds = Number(t1 - t0) / 1e9;
  const paths = (await Promise.all(run.logs.map((l) => l.segmentPaths()))).flat();
  const after = await residency(paths);
  const produce = produceMetrics(counters, hFlush, { usage, peakRssBytes, seconds, residentBytes: after.residentBytes, fileBytes: after.fileBytes });
  return { produce, counters, hFlush, paths };
}

interface ProduceProbes {
  usage: UsageDelta;
  peakRssBytes: number;
  seconds: number;
  /** Page-cache bytes of the segments after the flush, and their size. */
  residentBytes: number;
  fileBytes: number;
}

function produceMetrics(c: PhaseCounters, hFlush: Histogram, probes: ProduceProbes): ProduceMetrics {
  const { records, batches, diskBytes, payloadBytes } = c;
  const { seconds } = probes;
  return {
    ...phaseUsage(probes.usage, probes.peakRssBytes, diskBytes),
    records,
    seconds,
    recordsPerSec: records / seconds,
    mbPerSec: payloadBytes / 1e6 / seconds,
    diskMbPerSec: diskBytes / 1e6 / seconds,
    diskBytes,
    payloadBytes,
    compressionRatio: diskBytes > 0 ? payloadBytes / diskBytes : 0,
    batches,
    batchBytesMean: batches > 0 ? diskBytes / batches : 0,
    appendLatency: summarize(c.hAppend),
    produceLatency: summarize(c.hProduce),
    flushLatency: summarize(hFlush),
    residentBytesAfterProduce: probes.residentBytes,
    segmentBytes: probes.fileBytes,
  };
}
