/**
 * The rule for the offsets of batches that follow each other in a segment, owned here once:
 * under cleanup.policy=delete they are consecutive (each batch starts right after the last offset
 * of the one before; only compaction leaves gaps inside a segment), under compact they increase.
 * A batch that breaks it in a file is damage (a base offset flipped outside the CRC).
 */
import type { LogConfig } from '../config/log-config.js';

/** True when the log's offsets are consecutive within a segment (cleanup.policy=delete). */
export function offsetsConsecutive(config: Pick<LogConfig, 'cleanupPolicy'>): boolean {
  return config.cleanupPolicy !== 'compact';
}

/** Whether a batch at `baseOffset` may follow one whose next offset is `expected`. */
export function follows(baseOffset: number, expected: number, consecutive: boolean): boolean {
  return consecutive ? baseOffset === expected : baseOffset >= expected;
}

/** What a batch at `baseOffset` breaks by following `expected`, for messages: "expected [at least] N". */
export function expectedOffsetText(expected: number, consecutive: boolean): string {
  return `expected ${consecutive ? '' : 'at least '}${expected}`;
}
