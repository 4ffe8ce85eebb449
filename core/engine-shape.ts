/**
 * What an engine object must have, checked where an engine is registered (engines/index.ts), so
 * that a third-party engine missing a piece is told what, by name, instead of failing later inside
 * the log as `this.file.close is not a function`. A SegmentFile exists only once a file is opened,
 * so it is checked where one is opened.
 */
import { StrataError } from './errors.js';
import type { SegmentFile, StorageEngine } from './engine.js';

const SUPPORT_FLAGS = ['durableAppend', 'groupCommit', 'preallocate', 'native'] as const;
/** What the log calls on a segment file; stats() is for measuring (the conformance suite, the harness). */
export const LOG_SEGMENT_FILE_METHODS = ['append', 'read', 'flush', 'truncate', 'trim', 'close'] as const;
export const SEGMENT_FILE_METHODS = [...LOG_SEGMENT_FILE_METHODS, 'stats'] as const;

/** What `engine` lacks of a StorageEngine ("open (a function)", ...); empty when nothing. */
export function engineShapeProblems(engine: unknown): string[] {
  const e = (engine ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof e.name !== 'string' || e.name === '') problems.push('name (a non-empty string)');
  if (typeof e.open !== 'function') problems.push('open (a function)');
  const supports = e.supports as Record<string, unknown> | undefined;
  if (typeof supports !== 'object' || supports === null) problems.push(`supports (an object with ${SUPPORT_FLAGS.join(', ')})`);
  else for (const flag of SUPPORT_FLAGS) if (typeof supports[flag] !== 'boolean') problems.push(`supports.${flag} (a boolean)`);
  return problems;
}

/** What `file` lacks of a SegmentFile; empty when nothing. */
export function segmentFileShapeProblems(file: unknown, methods: readonly string[] = SEGMENT_FILE_METHODS): string[] {
  const f = (file ?? {}) as Record<string, unknown>;
  const problems: string[] = methods.filter((m) => typeof f[m] !== 'function').map((m) => `${m}()`);
  if (typeof f.fd !== 'number') problems.push('fd (a number)');
  if (typeof f.sizeBytes !== 'number') problems.push('sizeBytes (a number)');
  return problems;
}

/** Throws naming everything `engine` (from `origin`) lacks. */
export function assertEngineShape(engine: unknown, origin: string): asserts engine is StorageEngine {
  const problems = engineShapeProblems(engine);
  if (problems.length === 0) return;
  const name = typeof (engine as { name?: unknown } | undefined)?.name === 'string' ? `engine "${(engine as { name: string }).name}"` : 'the engine';
  throw new StrataError('UNKNOWN_ENGINE', `${name} from ${origin} is not a StorageEngine (core/engine.ts): missing ${problems.join(', ')}`);
}

/**
 * `file` as the SegmentFile `engine` opened at `path`, or an error naming what it lacks (where the
 * log opens segment files, core/log/log-segment.ts, and in the conformance suite).
 */
export async function checkedSegmentFile(file: SegmentFile, engine: Pick<StorageEngine, 'name'>, path: string, methods: readonly string[] = SEGMENT_FILE_METHODS): Promise<SegmentFile> {
  const problems = segmentFileShapeProblems(file, methods);
  if (problems.length === 0) return file;
  // the engine may hold a descriptor for it: given back when it can be
  try {
    await (file as Partial<SegmentFile> | undefined)?.close?.();
  } catch {
    // the error below says what is wrong
  }
  throw new StrataError('UNKNOWN_ENGINE', `engine "${engine.name}" opened ${path} as a SegmentFile without ${problems.join(', ')} (core/engine.ts: SegmentFile)`);
}
