/**
 * The `.log` part of `strata dump`, printing what Kafka's DumpLogSegments (kafka.tools, 4.1)
 * prints for the same file, line for line: a batch line per batch and, with deep iteration, a
 * `| offset: …` line per record (`key:` / `payload:` with --print-data-log, decoded as UTF-8 like
 * Kafka's default StringDecoder). test/peers/kafka/dump-log-segments.test.ts runs both on the
 * same files and compares. Where strata is stricter, it says so: a batch whose CRC does not match,
 * or bytes that cannot be a batch, end the dump with an error naming the position, where Kafka
 * prints `isvalid: false` / "Found N invalid bytes" and exits 0.
 */
import { BatchCursor } from '../../core/format/batch-cursor.js';
import { resolve } from 'node:path';
import type { CodecRegistry } from '../../core/codec.js';
import {
  CompressionType,
  DELETE_HORIZON_FLAG_MASK,
  computeBatchCrc,
  compressionOf,
  isControl,
  isTransactional,
  lastOffsetOf,
  timestampTypeOf,
  type RecordBatchHeader,
} from '../../core/format/record-batch.js';
import { decodeBatch, type DecodedRecord } from '../../core/format/records.js';

/** Kafka's DumpLogSegments.RecordIndent. */
const RECORD_INDENT = '|';
const INT32_MAX = 2 ** 31 - 1;
/** Bound on one decompressed records section while dumping (Kafka's default max.message.bytes is ~1 MiB; a batch may be larger compressed away). */
const DECOMPRESSED_BYTES_MAX = 64 * 1024 * 1024;

export interface DumpLogOptions {
  deepIteration: boolean;
  printDataLog: boolean;
  codecs: CodecRegistry;
}

export interface DumpOutput {
  out: string[];
  /** What Kafka prints on stderr after all files (non-consecutive offsets, index mismatches). */
  err: string[];
  /** A problem strata treats as an error (Kafka prints on): names file and position. */
  problem?: string;
}

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from Integer.MAX_VALUE to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}

/** Java's OptionalLong.toString, as Kafka prints deleteHorizonMs. */
function deleteHorizonOf(h: RecordBatchHeader): string {
  return h.attributes & DELETE_HORIZON_FLAG_MASK ? `OptionalLong[${h.baseTimestamp}]` : 'OptionalLong.empty';
}

export function batchLine(h: RecordBatchHeader, position: number, sizeBytes: number, crcValid: boolean): string {
  const lastSequence = h.baseSequence < 0 ? -1 : incrementSequence(h.baseSequence, h.lastOffsetDelta);
  return `baseOffset: ${h.baseOffset} lastOffset: ${lastOffsetOf(h)} count: ${h.recordsCount} ` +
    `baseSequence: ${h.baseSequence} lastSequence: ${lastSequence} producerId: ${h.producerId} producerEpoch: ${h.producerEpoch} ` +
    `partitionLeaderEpoch: ${h.partitionLeaderEpoch} isTransactional: ${isTransactional(h.attributes)} isControl: ${isControl(h.attributes)} ` +
    `deleteHorizonMs: ${deleteHorizonOf(h)} position: ${position} ${timestampTypeOf(h.attributes)}: ${h.maxTimestamp} ` +
    `size: ${sizeBytes} magic: ${h.magic} compresscodec: ${CompressionType[compressionOf(h.attributes)]} crc: ${h.crc} isvalid: ${crcValid}`;
}

/** Kafka's ControlRecordType ids (ControlRecordType.java). */
const CONTROL_TYPES: Record<number, string> = {
  0: 'ABORT', 1: 'COMMIT', 2: 'LEADER_CHANGE', 3: 'SNAPSHOT_HEADER', 4: 'SNAPSHOT_FOOTER', 5: 'KRAFT_VERSION', 6: 'KRAFT_VOTERS',
};

/**
 * The control part of a record line. ABORT / COMMIT print the end-transaction marker as Kafka
 * does; Kafka prints the KRaft snapshot and voter records as JSON, which strata does not decode
 * (they live only in __cluster_metadata), so those get the generic `controlType: NAME(id)`.
 */
function controlPart(r: DecodedRecord): string {
  const key = r.key;
  const typeId = key && key.length >= 4 ? key.readInt16BE(2) : -1;
  const name = CONTROL_TYPES[typeId] ?? 'UNKNOWN';
  if ((typeId === 0 || typeId === 1) && r.value && r.value.length >= 6) {
    return ` endTxnMarker: ${name} coordinatorEpoch: ${r.value.readInt32BE(2)}`;
  }
  return ` controlType: ${name}(${typeId})`;
}

function recordLine(h: RecordBatchHeader, r: DecodedRecord, printDataLog: boolean): string {
  const timestampType = timestampTypeOf(h.attributes);
  // Kafka's DefaultRecord: a LogAppendTime batch's records all carry the batch's max timestamp
  const timestamp = timestampType === 'LogAppendTime' ? h.maxTimestamp : r.timestamp;
  const sequence = h.baseSequence < 0 ? -1 : incrementSequence(h.baseSequence, r.offset - h.baseOffset);
  let line = `${RECORD_INDENT} offset: ${r.offset} ${timestampType}: ${timestamp} keySize: ${r.key?.length ?? -1} ` +
    `valueSize: ${r.value?.length ?? -1} sequence: ${sequence} headerKeys: [${r.headers.map((x) => x.key).join(',')}]`;
  if (isControl(h.attributes)) line += controlPart(r);
  else if (printDataLog) {
    if (r.key) line += ` key: ${r.key.toString('utf8')}`;
    if (r.value) line += ` payload: ${r.value.toString('utf8')}`;
  }
  return line;
}

/** The batch at the cursor, when the bytes there can be one: its size and whether its CRC matches. */
function batchAt(cursor: BatchCursor): { size: number; crcValid: boolean } | string {
  const framing = cursor.framingProblem();
  if (framing) return framing.message;
  const size = cursor.sizeBytes();
  return { size, crcValid: cursor.header().crc === computeBatchCrc(cursor.buf, cursor.position, size) };
}

export async function dumpLog(file: string, bytes: Buffer, baseOffset: number, opts: DumpLogOptions): Promise<DumpOutput> {
  const out = [`Log starting offset: ${baseOffset}`];
  const nonConsecutive: [number, number][] = [];
  let lastOffset = -1;
  const cursor = new BatchCursor(bytes);
  let problem: string | undefined;
  while (cursor.remaining > 0) {
    const position = cursor.position;
    // strata's preallocated segments end in zeros (trimmed on close); Kafka's never do
    if (cursor.hasLength() && cursor.isZeroed()) break;
    const at = batchAt(cursor);
    if (typeof at === 'string') {
      problem = at;
      break;
    }
    const h = cursor.header();
    out.push(batchLine(h, position, at.size, at.crcValid));
    if (!at.crcValid) {
      problem = `CRC mismatch in batch at position ${position}: stored ${h.crc}, computed ${computeBatchCrc(bytes, position, at.size)}`;
      break;
    }
    if (opts.deepIteration) {
      let records: DecodedRecord[];
      try {
        records = (await decodeBatch(bytes, position, { codecs: opts.codecs, trusted: true, decompressedBytesMax: DECOMPRESSED_BYTES_MAX })).records;
      } catch (err) {
        problem = `batch at position ${position}: ${(err as Error).message}`;
        break;
      }
      for (const r of records) {
        if (lastOffset !== -1 && r.offset !== lastOffset + 1) nonConsecutive.unshift([lastOffset, r.offset]);
        lastOffset = r.offset;
        out.push(recordLine(h, r, opts.printDataLog));
      }
    }
    cursor.advance();
  }
  if (problem && cursor.remaining > 0) out.push(`Found ${cursor.remaining} invalid bytes at the end of ${file.split('/').pop()}`);
  const err: string[] = [];
  if (nonConsecutive.length > 0) {
    err.push(`Non-consecutive offsets in ${resolve(file)}`, ...nonConsecutive.map(([a, b]) => `  ${a} is followed by ${b}`));
  }
  return { out, err, problem: problem && `${file}: ${problem}` };
}
