/**
 * The files at the root of a log directory that Kafka's LogManager keeps, in Kafka's formats, so
 * a data dir moves between strata and Kafka unchanged:
 * - `recovery-point-offset-checkpoint`, `log-start-offset-checkpoint` (Kafka's OffsetCheckpointFile:
 *   a version line `0`, a count line, then `topic partition offset` per line);
 * - `.kafka_cleanshutdown` (Kafka's CleanShutdownFileHandler: JSON `{"version":0,"brokerEpoch":N}`,
 *   the fields of its Content class as Jackson writes them).
 * Writes are atomic (temp file, fsync, rename, directory fsync): a crash leaves the old file or the
 * new one, never half of one. Reads are bounded and take regular files only (core/regular-file.ts).
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { StrataError } from '../errors.js';
import { NotRegularFileError, entryKind, openRegularFileSync, readRegularFileSync } from '../regular-file.js';

export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint';
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
const CHECKPOINT_VERSION = 0;
/**
 * Bound on a checkpoint file, read whole at start: a line is at most ~290 bytes (a 249-character
 * topic, a partition, an offset), so this holds over 200,000 partitions, far more than one broker
 * serves. A larger file is refused like a malformed one (the logs are then recovered).
 */
export const CHECKPOINT_BYTES_MAX = 64 * 1024 * 1024;

/** Offsets keyed by partition directory name (`TOPIC-PARTITION`). */
export type OffsetCheckpoint = Map<string, number>;

/**
 * Reads a checkpoint file; a missing file is an empty checkpoint, and so is an empty one or one
 * with only its version line, as Kafka's CheckpointFile reads them (Kafka creates the file empty
 * before its first write). Entry fields are separated by runs of whitespace, as Kafka splits them. A
 * malformed file throws, naming the file and the line (the caller then recovers everything).
 */
export function readOffsetCheckpoint(path: string): OffsetCheckpoint {
  let text: string;
  try {
    text = readRegularFileSync(path, CHECKPOINT_BYTES_MAX).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  // a line ends at \n, \r\n or \r, as Java's BufferedReader.readLine reads it
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const malformed = (line: number, why: string) => new StrataError('CORRUPT_CHECKPOINT', `checkpoint ${path} line ${line + 1}: ${why}`);
  if (lines.length === 0) return new Map();
  if (lines[0] !== String(CHECKPOINT_VERSION)) throw malformed(0, `version "${lines[0] ?? ''}", expected ${CHECKPOINT_VERSION}`);
  if (lines.length === 1) return new Map();
  const count = Number(lines[1]);
  if (!Number.isSafeInteger(count) || count < 0) throw malformed(1, `entry count "${lines[1] ?? ''}" is not a number`);
  if (lines.length !== count + 2) throw malformed(1, `says ${count} entries, the file has ${lines.length - 2}`);
  const out: OffsetCheckpoint = new Map();
  for (let i = 2; i < lines.length; i++) {
    // Kafka splits on runs of whitespace; Java's split drops trailing empty fields, not leading ones
    const parts = lines[i]!.trimEnd().split(/\s+/);
    const offset = Number(parts[2]);
    if (parts.length !== 3 || !/^\d+$/.test(parts[1]!) || !Number.isSafeInteger(offset) || offset < 0) {
      throw malformed(i, `"${lines[i]}" is not "topic partition offset"`);
    }
    out.set(`${parts[0]}-${parts[1]}`, offset);
  }
  return out;
}

/** Writes a checkpoint atomically; entries are keyed `TOPIC-PARTITION`. */
export function writeOffsetCheckpoint(path: string, entries: OffsetCheckpoint): void {
  const lines = [String(CHECKPOINT_VERSION), String(entries.size)];
  for (const [name, offset] of [...entries].sort(([a], [b]) => a.localeCompare(b))) {
    const dash = name.lastIndexOf('-');
    lines.push(`${name.slice(0, dash)} ${name.slice(dash + 1)} ${offset}`);
  }
  writeFileAtomically(path, lines.join('\n') + '\n');
}

/** Kafka's clean-shutdown marker, with the broker epoch it records (-1: none). */
export function writeCleanShutdownFile(logDir: string, brokerEpoch = -1): void {
  writeFileAtomically(join(logDir, CLEAN_SHUTDOWN_FILE), JSON.stringify({ version: CHECKPOINT_VERSION, brokerEpoch }));
}

/** True when the marker is there; a marker that is not a regular file is refused, naming it. */
export function hasCleanShutdownFile(logDir: string): boolean {
  const path = join(logDir, CLEAN_SHUTDOWN_FILE);
  const kind = entryKind(path);
  if (kind === 'missing') return false;
  if (kind === 'regular') return true;
  throw new NotRegularFileError(path, kind);
}

/** Removes the marker durably: from now on a crash must trigger recovery. */
export function deleteCleanShutdownFile(logDir: string): void {
  const path = join(logDir, CLEAN_SHUTDOWN_FILE);
  if (!fs.existsSync(path)) return;
  fs.rmSync(path, { force: true });
  syncDir(logDir);
}

export function writeFileAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openRegularFileSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
  syncDir(join(path, '..'));
}

export function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
