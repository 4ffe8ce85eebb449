/**
 * Producer-state snapshot files, byte for byte Kafka's (storage/src/main/resources/message/
 * ProducerSnapshot.json, version 1, written by ProducerStateManager.writeSnapshot):
 *
 *   Version   int16   (1)
 *   Crc       uint32  CRC-32C of every byte after this field
 *   ProducerEntries   int32 count, then per entry (46 bytes):
 *     ProducerId int64, Epoch int16, LastSequence int32, LastOffset int64, OffsetDelta int32,
 *     Timestamp int64, CoordinatorEpoch int32, CurrentTxnFirstOffset int64
 *
 * A file is named by the offset it describes the state *before* (the map end offset), 20 digits
 * like a segment: `00000000000000001234.snapshot` (LogFileUtils.producerSnapshotFile).
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { StrataError } from '../errors.js';
import { crc32c } from '../format/crc32c.js';
import { readInt64, writeInt64 } from '../format/int64.js';
import { filenamePrefixFromOffset } from './file-names.js';
import { FileTooLargeError, NotRegularFileError, openRegularFileSync, readRegularFileSync } from '../regular-file.js';

export const PRODUCER_SNAPSHOT_SUFFIX = '.snapshot';
export const PRODUCER_SNAPSHOT_VERSION = 1;
const VERSION_OFFSET = 0;
const CRC_OFFSET = VERSION_OFFSET + 2;
/** Where the CRC'd part starts: the entry count. */
const PRODUCER_ENTRIES_OFFSET = CRC_OFFSET + 4;
const HEADER_BYTES = PRODUCER_ENTRIES_OFFSET + 4;
export const SNAPSHOT_ENTRY_BYTES = 46;
/**
 * Bound on the entries one file may claim before anything is allocated: a corrupt count must
 * not size a buffer. 10 million producers per partition is far beyond any real broker.
 */
export const SNAPSHOT_ENTRIES_MAX = 10_000_000;

/** One producer's row in a snapshot (Kafka's ProducerSnapshot.ProducerEntry). */
export interface SnapshotEntry {
  producerId: number;
  epoch: number;
  lastSequence: number;
  /** -1 when the producer has no data batch (only markers). */
  lastOffset: number;
  offsetDelta: number;
  timestamp: number;
  coordinatorEpoch: number;
  /** -1 when no transaction is open. */
  currentTxnFirstOffset: number;
}

export function producerSnapshotPath(dir: string, offset: number): string {
  return join(dir, filenamePrefixFromOffset(offset) + PRODUCER_SNAPSHOT_SUFFIX);
}

/** The offset of a `NNNN….snapshot` file name, or undefined for anything else. */
export function parseSnapshotName(name: string): number | undefined {
  const m = /^(\d{20})\.snapshot$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Offsets of the snapshot files in `dir`, ascending: regular files only. An entry named like a
 * snapshot that is anything else (a directory, a symbolic link, a FIFO) was not written by a
 * broker: it is never read, written through or deleted (listStrangeSnapshots names them).
 */
export function listSnapshotOffsets(dir: string): number[] {
  return snapshotEntries(dir)
    .filter((e) => e.isFile())
    .map((e) => parseSnapshotName(e.name)!)
    .sort((a, b) => a - b);
}

/** Entries named like snapshots that are not regular files: left alone, named in a warning. */
export function listStrangeSnapshots(dir: string): string[] {
  return snapshotEntries(dir)
    .filter((e) => !e.isFile())
    .map((e) => join(dir, e.name))
    .sort();
}

function snapshotEntries(dir: string): fs.Dirent[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => parseSnapshotName(e.name) !== undefined);
}

export function encodeSnapshot(entries: readonly SnapshotEntry[]): Buffer {
  const buf = Buffer.alloc(HEADER_BYTES + entries.length * SNAPSHOT_ENTRY_BYTES);
  buf.writeInt16BE(PRODUCER_SNAPSHOT_VERSION, VERSION_OFFSET);
  buf.writeInt32BE(entries.length, PRODUCER_ENTRIES_OFFSET);
  let at = HEADER_BYTES;
  for (const e of entries) {
    writeInt64(buf, at, e.producerId);
    buf.writeInt16BE(e.epoch, at + 8);
    buf.writeInt32BE(e.lastSequence, at + 10);
    writeInt64(buf, at + 14, e.lastOffset);
    buf.writeInt32BE(e.offsetDelta, at + 22);
    writeInt64(buf, at + 26, e.timestamp);
    buf.writeInt32BE(e.coordinatorEpoch, at + 34);
    writeInt64(buf, at + 38, e.currentTxnFirstOffset);
    at += SNAPSHOT_ENTRY_BYTES;
  }
  buf.writeUInt32BE(crc32c(buf.subarray(PRODUCER_ENTRIES_OFFSET)), CRC_OFFSET);
  return buf;
}

/** Kafka's CorruptSnapshotException: the caller deletes the file and falls back to an older one. */
export class CorruptSnapshotError extends StrataError {
  constructor(path: string, what: string) {
    super('CORRUPT_RECORD', `producer snapshot ${path}: ${what}`);
  }
}

/** Decodes a snapshot; throws CorruptSnapshotError naming the file and the byte position. */
export function decodeSnapshot(buf: Buffer, path = 'snapshot'): SnapshotEntry[] {
  if (buf.length < HEADER_BYTES) throw new CorruptSnapshotError(path, `${buf.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  const version = buf.readInt16BE(VERSION_OFFSET);
  if (version !== PRODUCER_SNAPSHOT_VERSION) throw new CorruptSnapshotError(path, `unknown file version ${version} at position 0`);
  const count = buf.readInt32BE(PRODUCER_ENTRIES_OFFSET);
  if (count < 0 || count > SNAPSHOT_ENTRIES_MAX) throw new CorruptSnapshotError(path, `entry count ${count} at position ${PRODUCER_ENTRIES_OFFSET} is out of range`);
  const expected = HEADER_BYTES + count * SNAPSHOT_ENTRY_BYTES;
  if (buf.length !== expected) throw new CorruptSnapshotError(path, `${count} entries need ${expected} bytes, the file has ${buf.length}`);
  const stored = buf.readUInt32BE(CRC_OFFSET);
  const computed = crc32c(buf.subarray(PRODUCER_ENTRIES_OFFSET));
  if (stored !== computed) throw new CorruptSnapshotError(path, `CRC is no longer valid (stored ${stored}, computed ${computed})`);
  const entries: SnapshotEntry[] = [];
  for (let at = HEADER_BYTES; at < buf.length; at += SNAPSHOT_ENTRY_BYTES) {
    entries.push({
      producerId: readInt64(buf, at),
      epoch: buf.readInt16BE(at + 8),
      lastSequence: buf.readInt32BE(at + 10),
      lastOffset: readInt64(buf, at + 14),
      offsetDelta: buf.readInt32BE(at + 22),
      timestamp: readInt64(buf, at + 26),
      coordinatorEpoch: buf.readInt32BE(at + 34),
      currentTxnFirstOffset: readInt64(buf, at + 38),
    });
  }
  return entries;
}

/** The largest file a snapshot can be: SNAPSHOT_ENTRIES_MAX entries. */
export const SNAPSHOT_BYTES_MAX = HEADER_BYTES + SNAPSHOT_ENTRIES_MAX * SNAPSHOT_ENTRY_BYTES;

/**
 * Reads and decodes a snapshot: CorruptSnapshotError when its bytes are wrong or it is larger than
 * any snapshot can be; NotRegularFileError (not corrupt: not ours, so never deleted) when the
 * entry is not a regular file.
 */
export function readSnapshotFile(path: string): SnapshotEntry[] {
  let bytes: Buffer;
  try {
    bytes = readRegularFileSync(path, SNAPSHOT_BYTES_MAX);
  } catch (err) {
    if (err instanceof FileTooLargeError) throw new CorruptSnapshotError(path, err.message);
    throw err;
  }
  return decodeSnapshot(bytes, path);
}

export { NotRegularFileError };

/**
 * Writes a snapshot durably: a temp file, fsync, rename, directory fsync, so a crash leaves
 * either the old set of files or the complete new one (Kafka writes in place and fsyncs; a torn
 * file there fails its CRC and is dropped on load, which the loader here handles the same way).
 */
export function writeSnapshotFile(path: string, entries: readonly SnapshotEntry[]): void {
  const tmp = `${path}.tmp`;
  const fd = openRegularFileSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC);
  try {
    fs.writeSync(fd, encodeSnapshot(entries));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
  const dirFd = fs.openSync(join(path, '..'), 'r');
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
}
