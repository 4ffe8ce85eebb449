/**
 * Latency histograms (HdrHistogram via hdr-histogram-js), recorded in microseconds with 3
 * significant digits, summarised as the percentiles every report uses.
 */
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

/** 1 us .. 1 hour, 3 significant digits: enough for fsync tails and for queueing in fixed-rate mode. */
export function newHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

export interface LatencySummary {
  count: number;
  usP50: number;
  usP90: number;
  usP99: number;
  usP999: number;
  usMax: number;
  usMean: number;
}

export const PERCENTILE_KEYS = ['usP50', 'usP90', 'usP99', 'usP999', 'usMax'] as const;

export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, usP50: 0, usP90: 0, usP99: 0, usP999: 0, usMax: 0, usMean: 0 };
  return {
    count: h.totalCount,
    usP50: h.getValueAtPercentile(50),
    usP90: h.getValueAtPercentile(90),
    usP99: h.getValueAtPercentile(99),
    usP999: h.getValueAtPercentile(99.9),
    usMax: h.maxValue,
    usMean: Math.round(h.mean * 10) / 10,
  };
}

/** Records a duration given in nanoseconds (bigint from process.hrtime.bigint()) as microseconds. */
export function recordNs(h: Histogram, ns: bigint, count = 1): void {
  const us = Math.max(1, Math.round(Number(ns) / 1000));
  if (count === 1) h.recordValue(us);
  else h.recordValueWithCount(us, count);
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}
