/**
 * compression.type building blocks: the codec a topic config names, and recompressing batches from
 * any codec into the topic's one while keeping every header field and record.
 */
import { describe, expect, test } from 'vitest';
import { logConfigFrom } from '../../core/config/log-config.js';
import { StrataError } from '../../core/errors.js';
import { compressionOf, readBatchHeader } from '../../core/format/record-batch.js';
import { buildCompressedBatch, decodeBatch } from '../../core/format/records.js';
import { codecNameForCompressionType, recompressBatches } from '../../core/format/compression-type.js';
import { mixedRecords, registry } from './helpers.js';

const codecs = registry();
const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

test('every value LogConfig accepts for compression.type names a registered codec or producer', () => {
  for (const value of ['producer', 'uncompressed', 'none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    const config = logConfigFrom({ 'compression.type': value });
    const name = codecNameForCompressionType(config.compressionType);
    if (name === 'producer') expect(value).toBe('producer');
    else expect(codecs.byNameOrThrow(name).name).toBe(value === 'uncompressed' ? 'none' : value);
  }
  expect(() => codecNameForCompressionType('brotli')).toThrow(StrataError);
});

describe.each(NAMES)('from %s', (from) => {
  test.each(NAMES)('to %s: header fields and records kept, batches already in the target unchanged', async (to) => {
    const opts = { baseOffset: 4242, partitionLeaderEpoch: 7, producerId: 99, producerEpoch: 3, baseSequence: 11, transactional: true, timestamp: 1_700_000_000_000 };
    const a = mixedRecords('json', 8 * 1024, 1);
    const b = mixedRecords('json', 4 * 1024, 2);
    const first = await buildCompressedBatch(a, codecs.byNameOrThrow(from), opts);
    const second = await buildCompressedBatch(b, codecs.byNameOrThrow(to), { ...opts, baseOffset: 4242 + a.length });
    const out = await recompressBatches(Buffer.concat([first, second]), codecs.byNameOrThrow(to), codecs);
    const d1 = await decodeBatch(out, 0, { codecs });
    const d2 = await decodeBatch(out, d1.sizeBytes, { codecs });
    expect(d1.sizeBytes + d2.sizeBytes).toBe(out.length);
    expect(out.subarray(d1.sizeBytes).equals(second)).toBe(true); // already in the target: untouched
    const original = readBatchHeader(first);
    expect(compressionOf(d1.header.attributes)).toBe(codecs.byNameOrThrow(to).type);
    for (const field of ['baseOffset', 'partitionLeaderEpoch', 'producerId', 'producerEpoch', 'baseSequence', 'lastOffsetDelta', 'recordsCount', 'baseTimestamp', 'maxTimestamp'] as const) {
      expect(d1.header[field]).toBe(original[field]);
    }
    expect(d1.header.attributes & ~0x07).toBe(original.attributes & ~0x07); // transactional kept
    const was = (await decodeBatch(first, 0, { codecs })).records;
    expect(d1.records.map((r) => [r.offset, r.timestamp, r.key?.toString('hex'), r.value?.toString('hex'), r.headers.length])).toEqual(
      was.map((r) => [r.offset, r.timestamp, r.key?.toString('hex'), r.value?.toString('hex'), r.headers.length]),
    );
  });
});
