/**
 * Retention (Kafka's deleteRetentionMsBreachedSegments / deleteRetentionSizeBreachedSegments):
 * which whole closed segments go, and the delayed deletion that keeps a deleted segment's
 * descriptor open for file.delete.delay.ms, so a fetch or transfer already holding a slice of it
 * does not find it closed (or, worse, its descriptor reused by another file) mid-send.
 */
import type { LogConfig } from '../config/log-config.js';
import type { Logger } from '../tokens.js';
import type { LogSegment } from './log-segment.js';

export interface RetentionBreach {
  /** How many of the oldest segments are past retention. */
  count: number;
  /** Why, for the log line. */
  reason: string;
}

/**
 * The oldest segments wholly below the log start offset (records deleted by DeleteRecords: the
 * next segment starts at or below it), then those past retention.ms (newest record older than
 * that) or while the log exceeds retention.bytes. The active (last) segment is never one of them.
 */
export function retentionBreach(segments: readonly LogSegment[], config: LogConfig, nowMs: number, logStartOffset = 0): RetentionBreach {
  let count = 0;
  let reason = '';
  let sizeBytes = 0;
  for (const s of segments) sizeBytes += s.sizeBytes;
  while (count < segments.length - 1 && segments[count + 1]!.baseOffset <= logStartOffset) {
    reason = `below the log start offset ${logStartOffset}`;
    sizeBytes -= segments[count]!.sizeBytes;
    count++;
  }
  while (count < segments.length - 1) {
    const oldest = segments[count]!;
    const byTime = config.retentionMs >= 0 && nowMs - oldest.largestTimestamp() > config.retentionMs;
    const bySize = config.retentionBytes >= 0 && sizeBytes - oldest.sizeBytes >= config.retentionBytes;
    if (!byTime && !bySize) break;
    reason = byTime ? `retention.ms ${config.retentionMs}` : `retention.bytes ${config.retentionBytes}`;
    sizeBytes -= oldest.sizeBytes;
    count++;
  }
  return { count, reason };
}

/** Segments removed from a log whose descriptors close after a delay (all of them at close). */
export class DelayedSegmentDeletes {
  private readonly pending = new Set<() => void>();

  constructor(private readonly logger: Logger) {}

  /** Renames the files to `.deleted` now; closes and unlinks them after `delayMs`. */
  schedule(segment: LogSegment, delayMs: number): void {
    segment.markDeleted();
    const destroy = () => {
      this.pending.delete(destroy);
      segment.destroy().catch((err: unknown) => this.logger.error(`removing deleted segment ${segment.file.path}: ${(err as Error).message}`));
    };
    this.pending.add(destroy);
    setTimeout(destroy, delayMs).unref();
  }

  /** Destroys every pending segment now (log close). */
  runAll(): void {
    for (const destroy of [...this.pending]) destroy();
  }
}
