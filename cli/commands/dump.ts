/**
 * `strata dump FILE`: one line per batch in the style of Kafka's kafka-dump-log (DumpLogSegments),
 * or the entries of a `.index` / `.timeindex` file. Read-only.
 */
import fs from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { StrataError } from '../../core/errors.js';
import { readInt64 } from '../../core/format/int64.js';
import {
  CompressionType,
  LOG_OVERHEAD_BYTES,
  compressionOf,
  isControl,
  isTransactional,
  readBatchHeader,
  timestampTypeOf,
  validateBatch,
} from '../../core/format/record-batch.js';

export function register(program: Command): void {
  program
    .command('dump')
    .description('print the batches of a .log segment, or the entries of a .index / .timeindex file')
    .argument('<file>', 'segment or index file')
    .action((file: string) => {
      const bytes = readFileOrThrow(file);
      if (file.endsWith('.index')) return dumpOffsetIndex(file, bytes);
      if (file.endsWith('.timeindex')) return dumpTimeIndex(file, bytes);
      dumpLog(file, bytes);
    });
}

function readFileOrThrow(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new StrataError('INVALID_ARGUMENT', `cannot read ${file}: ${(err as Error).message}`);
  }
}

function baseOffsetOf(file: string): number {
  const m = /^(\d{20})\./.exec(basename(file));
  return m ? Number(m[1]) : 0;
}

function dumpLog(file: string, bytes: Buffer): void {
  const lines: string[] = [`Dumping ${file}`, `Log starting offset: ${baseOffsetOf(file)}`];
  let position = 0;
  let problem: string | undefined;
  while (position < bytes.length) {
    if (bytes.length - position >= LOG_OVERHEAD_BYTES && bytes.readInt32BE(position + 8) === 0 && readInt64(bytes, position) === 0) break; // preallocated zeros
    let size: number;
    try {
      size = validateBatch(bytes, position);
    } catch (err) {
      problem = (err as Error).message;
      break;
    }
    const h = readBatchHeader(bytes, position);
    const lastSequence = h.baseSequence < 0 ? -1 : h.baseSequence + h.lastOffsetDelta;
    lines.push(
      `baseOffset: ${h.baseOffset} lastOffset: ${h.baseOffset + h.lastOffsetDelta} count: ${h.recordsCount} ` +
        `baseSequence: ${h.baseSequence} lastSequence: ${lastSequence} producerId: ${h.producerId} producerEpoch: ${h.producerEpoch} ` +
        `partitionLeaderEpoch: ${h.partitionLeaderEpoch} isTransactional: ${isTransactional(h.attributes)} isControl: ${isControl(h.attributes)} ` +
        `position: ${position} ${timestampTypeOf(h.attributes)}: ${h.maxTimestamp} size: ${size} magic: ${h.magic} ` +
        `compresscodec: ${CompressionType[compressionOf(h.attributes)]} crc: ${h.crc} isvalid: true`,
    );
    position += size;
  }
  process.stdout.write(lines.join('\n') + '\n');
  if (problem) throw new StrataError('CORRUPT_RECORD', `${file}: ${problem}`);
}

function dumpOffsetIndex(file: string, bytes: Buffer): void {
  if (bytes.length % 8 !== 0) throw new StrataError('CORRUPT_RECORD', `${file}: size ${bytes.length} is not a multiple of 8`);
  const base = baseOffsetOf(file);
  const lines = [`Dumping ${file}`];
  for (let p = 0; p < bytes.length; p += 8) {
    const rel = bytes.readUInt32BE(p);
    const pos = bytes.readUInt32BE(p + 4);
    if (p > 0 && rel === 0 && pos === 0) break; // preallocated tail
    lines.push(`offset: ${base + rel} position: ${pos}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

function dumpTimeIndex(file: string, bytes: Buffer): void {
  if (bytes.length % 12 !== 0) throw new StrataError('CORRUPT_RECORD', `${file}: size ${bytes.length} is not a multiple of 12`);
  const base = baseOffsetOf(file);
  const lines = [`Dumping ${file}`];
  for (let p = 0; p < bytes.length; p += 12) {
    const ts = readInt64(bytes, p);
    const rel = bytes.readUInt32BE(p + 8);
    if (p > 0 && ts === 0 && rel === 0) break; // preallocated tail
    lines.push(`timestamp: ${ts} offset: ${base + rel}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}
