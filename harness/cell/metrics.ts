/**
 * What one repetition of a cell measures (the shapes results.ts flattens into results.json,
 * harness/schema/results.schema.json), and the per-phase resource figures every phase shares.
 */
import type { CacheStats } from '../../core/cache.js';
import type { Histogram, LatencySummary } from '../histogram.js';
import type { UsageDelta } from '../os-probes.js';

export interface PhaseUsage extends UsageDelta {
  peakRssBytes: number;
  /** (user + system CPU seconds) per GB (10^9 B) moved in the phase. */
  cpuSecondsPerGb: number;
  cpuUserSecondsPerGb: number;
  cpuSystemSecondsPerGb: number;
}

export interface ProduceMetrics extends PhaseUsage {
  records: number;
  seconds: number;
  recordsPerSec: number;
  /** Key + value bytes per second (what the producer handed over), MB = 10^6 B. */
  mbPerSec: number;
  /** Bytes written to segments per second (batch framing and compression included). */
  diskMbPerSec: number;
  diskBytes: number;
  payloadBytes: number;
  /** payloadBytes / diskBytes: > 1 when the codec saves space, < 1 is framing overhead. */
  compressionRatio: number;
  batches: number;
  batchBytesMean: number;
  appendLatency: LatencySummary;
  /** From each record's intended send time to its append's completion (fixed rate), or batch start (max rate). */
  produceLatency: LatencySummary;
  flushLatency: LatencySummary;
  residentBytesAfterProduce: number;
  segmentBytes: number;
}

export interface ReadMetrics extends PhaseUsage {
  consumers: number;
  bytes: number;
  seconds: number;
  mbPerSec: number;
  recordsPerSec: number;
  /** Page-cache bytes of the segments just before the read started. */
  residentBytesBefore: number;
  /** The cell's cache during the phase: lookups answered from process memory, and those that read the file (0 and 0 for caches that hold nothing: none, page-cache). */
  cacheHits: number;
  cacheMisses: number;
  /** CPU seconds the consumer processes used in the phase (not in the figures above: the clients'). */
  clientCpuS: number;
}

export interface RepetitionResult {
  produce: ProduceMetrics;
  endToEndLatency?: LatencySummary;
  warmRead?: ReadMetrics;
  coldRead?: ReadMetrics;
  /** Log shipping of the measured records to the remote receiver (its append included). */
  ship?: ReadMetrics;
  histograms: { append: Histogram; produce: Histogram; flush: Histogram; endToEnd: Histogram };
  logImpl: string;
}

export function phaseUsage(delta: UsageDelta, peakRssBytes: number, bytesMoved: number): PhaseUsage {
  const cpu = delta.cpuUserS + delta.cpuSystemS;
  const gb = bytesMoved / 1e9;
  return {
    ...delta,
    peakRssBytes,
    cpuSecondsPerGb: gb > 0 ? cpu / gb : 0,
    cpuUserSecondsPerGb: gb > 0 ? delta.cpuUserS / gb : 0,
    cpuSystemSecondsPerGb: gb > 0 ? delta.cpuSystemS / gb : 0,
  };
}

/** A read (consumers or log shipping) that moved `bytes`, `records` per reader, in `seconds`. */
export interface ReadTally {
  readers: number;
  bytes: number;
  seconds: number;
  records: number;
  residentBytesBefore: number;
  /** The cache's stats before and after the phase. */
  cacheBefore: CacheStats;
  cacheAfter: CacheStats;
  /** CPU seconds of the reading clients' processes over the phase (0: in this process, e.g. log shipping's receiver is remote). */
  clientCpuS: number;
}

/** The log's cache and the engine's own (the direct engine's batch cache) counted together. */
export function cacheStatsOf(components: { cache: { stats(): CacheStats }; engine: { cacheStats?(): CacheStats } }): CacheStats {
  const log = components.cache.stats();
  const own = components.engine.cacheStats?.();
  return own ? { hits: log.hits + own.hits, misses: log.misses + own.misses, bytes: log.bytes + own.bytes } : log;
}

export function readMetrics(usage: PhaseUsage, t: ReadTally): ReadMetrics {
  return {
    ...usage,
    consumers: t.readers,
    bytes: t.bytes,
    seconds: t.seconds,
    mbPerSec: t.bytes / 1e6 / t.seconds,
    recordsPerSec: (t.records * t.readers) / t.seconds,
    residentBytesBefore: t.residentBytesBefore,
    cacheHits: t.cacheAfter.hits - t.cacheBefore.hits,
    cacheMisses: t.cacheAfter.misses - t.cacheBefore.misses,
    clientCpuS: t.clientCpuS,
  };
}
