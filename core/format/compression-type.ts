/**
 * Kafka's topic config `compression.type` (LogConfig.compressionType): `producer` keeps each batch
 * as the producer compressed it; `uncompressed`/`none` and the codec names make the broker store
 * batches in that codec, recompressing the ones that arrive in another (Kafka's LogValidator does
 * this on append). These are the pieces an append path needs: the codec a config names, and the
 * recompression of one or more batches that keeps every header field and record.
 */
import { decompressedBytesMaxFor, type Codec, type CodecName, type CodecRegistry } from '../codec.js';
import { StrataError } from '../errors.js';
import { BatchCursor, validateBatches, type ValidatedBatches } from './batch-cursor.js';
import {
  ATTRIBUTES_OFFSET,
  CONTROL_FLAG_MASK,
  CompressionType,
  LOG_OVERHEAD_BYTES,
  TRANSACTIONAL_FLAG_MASK,
  compressionOf,
  timestampTypeOf,
} from './record-batch.js';
import { DEFAULT_DECOMPRESSED_BYTES_MAX, buildCompressedBatch, decodeBatch } from './records.js';

/** The codec `compression.type` asks batches to be stored in, or 'producer' (keep as sent). */
export function codecNameForCompressionType(compressionType: string): CodecName | 'producer' {
  switch (compressionType) {
    case 'producer':
      return 'producer';
    case 'uncompressed':
    case 'none':
      return 'none';
    case 'gzip':
    case 'snappy':
    case 'lz4':
    case 'zstd':
      return compressionType;
    default:
      throw new StrataError('INVALID_CONFIG', `compression.type must be one of producer, uncompressed, none, gzip, snappy, lz4, zstd, got "${compressionType}"`);
  }
}

export interface RecompressOptions {
  decompressedBytesMax?: number;
}

/**
 * Returns `batches` (one or more v2 batches back to back) with every batch whose codec is not
 * `target` rebuilt in `target`; batches already in it are copied unchanged. Header fields (base
 * offset, leader epoch, timestamp type, producer id/epoch, base sequence, transactional and control
 * flags) and records (offsets, timestamps, keys, values, headers) are kept. A batch whose offsets
 * are not consecutive (a compacted one) is refused: rebuilding would renumber its records.
 */
export async function recompressBatches(batches: Buffer, target: Codec, codecs: CodecRegistry, options: RecompressOptions = {}): Promise<Buffer> {
  const parts: Buffer[] = [];
  // bytes from outside: each batch is validated before the cursor trusts its length to step on
  for (const cursor = new BatchCursor(batches); cursor.remaining > 0; cursor.advance()) {
    const position = cursor.position;
    const sizeBytes = cursor.validate();
    const header = cursor.header();
    // Kafka's LogValidator: an uncompressed control batch (a transaction marker) stays uncompressed
    const uncompressedControl = (header.attributes & CONTROL_FLAG_MASK) !== 0 && compressionOf(header.attributes) === CompressionType.none;
    if (compressionOf(header.attributes) === target.type || uncompressedControl) {
      parts.push(batches.subarray(position, position + sizeBytes));
    } else {
      const decoded = await decodeBatch(batches, position, { codecs, decompressedBytesMax: options.decompressedBytesMax ?? DEFAULT_DECOMPRESSED_BYTES_MAX });
      decoded.records.forEach((r, i) => {
        if (r.offset !== header.baseOffset + i) {
          throw new StrataError('CORRUPT_RECORD', `batch at offset ${header.baseOffset} has non-consecutive offsets (record ${i} is ${r.offset}); it cannot be recompressed without renumbering`);
        }
      });
      const rebuilt = await buildCompressedBatch(
        decoded.records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })),
        target,
        {
          baseOffset: header.baseOffset,
          partitionLeaderEpoch: header.partitionLeaderEpoch,
          timestampType: timestampTypeOf(header.attributes),
          producerId: header.producerId,
          producerEpoch: header.producerEpoch,
          baseSequence: header.baseSequence,
          transactional: (header.attributes & TRANSACTIONAL_FLAG_MASK) !== 0,
          control: (header.attributes & CONTROL_FLAG_MASK) !== 0,
        },
      );
      parts.push(rebuilt);
    }
  }
  if (parts.length === 0) throw new StrataError('INVALID_ARGUMENT', `no record batch in ${batches.length} bytes (a batch needs at least ${LOG_OVERHEAD_BYTES} bytes)`);
  return Buffer.concat(parts);
}

/**
 * Kafka's compression.type on a log: `producer` stores batches as sent; a codec name (or
 * `uncompressed`) makes the log store every batch in that codec, rebuilding those that arrive in
 * another one with all header fields and records kept. The result is validated again: rebuilt
 * batches are new bytes.
 */
export async function applyCompressionType(
  validated: ValidatedBatches,
  config: { compressionType: string; messageMaxBytes: number },
  codecs: CodecRegistry,
): Promise<ValidatedBatches> {
  const target = codecNameForCompressionType(config.compressionType);
  if (target === 'producer') return validated;
  const codec = codecs.byNameOrThrow(target);
  const { buffer, layout } = validated;
  if (layout.positions.every((position) => compressionOf(buffer.readInt16BE(position + ATTRIBUTES_OFFSET)) === codec.type)) return validated;
  const rebuilt = await recompressBatches(buffer, codec, codecs, { decompressedBytesMax: decompressedBytesMaxFor(config.messageMaxBytes) });
  return validateBatches(rebuilt, config.messageMaxBytes);
}
