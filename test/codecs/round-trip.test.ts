/**
 * Every codec through the core batch path: buildCompressedBatch -> validateBatch/decodeBatch gives
 * back exactly the records, on both the synchronous and the threadpool path, for small and large
 * batches of all three payload profiles.
 */
import { describe, expect, test } from 'vitest';
import { CodecRegistry, CODEC_NAMES } from '../../core/codec.js';
import { CorruptRecordError } from '../../core/errors.js';
import { ATTRIBUTES_OFFSET, CRC_OFFSET, CompressionType, RECORDS_COUNT_OFFSET, compressionOf, computeBatchCrc, readBatchHeader } from '../../core/format/record-batch.js';
import { buildCompressedBatch, decodeBatch, type ProducerRecord, type DecodedRecord } from '../../core/format/records.js';
import { builtinCodecs } from '../../codecs/index.js';
import { COMPRESSED, codecVariants, mixedRecords, registry } from './helpers.js';

function expectSameRecords(decoded: DecodedRecord[], records: readonly ProducerRecord[], baseOffset: number): void {
  expect(decoded.length).toBe(records.length);
  for (let i = 0; i < records.length; i++) {
    const d = decoded[i]!;
    const r = records[i]!;
    expect(d.offset).toBe(baseOffset + i);
    expect(d.timestamp).toBe(r.timestamp);
    expect(d.key === null ? null : d.key.toString('hex')).toBe(r.key ? r.key.toString('hex') : null);
    expect(d.value === null ? null : d.value.toString('hex')).toBe(r.value === null ? null : r.value.toString('hex'));
    expect(d.headers.map((h) => [h.key, h.value?.toString() ?? null])).toEqual((r.headers ?? []).map((h) => [h.key, h.value?.toString() ?? null]));
  }
}

describe('built-in codecs', () => {
  test('all five are registered under Kafka names and attribute ids', () => {
    const codecs = registry();
    expect(codecs.names().sort()).toEqual([...CODEC_NAMES].sort());
    for (const name of CODEC_NAMES) {
      const codec = codecs.byNameOrThrow(name);
      expect(codecs.byTypeOrThrow(codec.type)).toBe(codec);
      expect(CompressionType[codec.type]).toBe(name);
    }
    expect(() => codecs.byNameOrThrow('brotli')).toThrow(/unknown codec "brotli"/);
  });
});

describe.each(codecVariants())('$label', ({ codec }) => {
  const codecs = new CodecRegistry([...builtinCodecs, codec]);
  for (const profile of ['json', 'random', 'repetitive'] as const) {
    for (const bytes of [200, 16 * 1024, 1024 * 1024]) {
      test(`${profile} ${bytes} B round-trips through buildCompressedBatch/decodeBatch`, async () => {
        const records = mixedRecords(profile, bytes);
        const batch = await buildCompressedBatch(records, codec, { baseOffset: 1000, timestamp: 1_700_000_000_000 });
        expect(compressionOf(readBatchHeader(batch).attributes)).toBe(codec.type);
        const decoded = await decodeBatch(batch, 0, { codecs });
        expect(decoded.sizeBytes).toBe(batch.length);
        expect(decoded.header.recordsCount).toBe(records.length);
        expectSameRecords(decoded.records, records, 1000);
      });
    }
  }
});

describe('batch-level checks on compressed batches', () => {
  test.each(COMPRESSED)('%s: a header record count that disagrees with the compressed records is rejected', async (name) => {
    const codecs = registry();
    const records = mixedRecords('json', 4096);
    for (const count of [records.length - 1, records.length + 1]) {
      const batch = await buildCompressedBatch(records, codecs.byNameOrThrow(name));
      batch.writeInt32BE(count, RECORDS_COUNT_OFFSET);
      batch.writeUInt32BE(computeBatchCrc(batch, 0, batch.length), CRC_OFFSET); // a consistent batch that lies
      const err = await decodeBatch(batch, 0, { codecs }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptRecordError);
      expect((err as Error).message).toMatch(count < records.length ? /bytes after its \d+ declared records/ : /declares \d+ records but its records section ends/);
    }
  });

  test.each(COMPRESSED)('%s: records that expand past decompressedBytesMax are rejected with the limit named', async (name) => {
    const codecs = registry();
    const records = mixedRecords('repetitive', 256 * 1024);
    const batch = await buildCompressedBatch(records, codecs.byNameOrThrow(name));
    await expect(decodeBatch(batch, 0, { codecs, decompressedBytesMax: 64 * 1024 })).rejects.toThrow(
      new RegExp(`cannot decompress ${name} batch at offset 0: ${name}: .*limit of 65536`),
    );
    // the same batch within the limit decodes
    expect((await decodeBatch(batch, 0, { codecs, decompressedBytesMax: 1024 * 1024 })).records.length).toBe(records.length);
  });

  test.each(COMPRESSED)('%s: a batch naming the codec in its attributes but holding other bytes is rejected', async (name) => {
    const codecs = registry();
    const batch = await buildCompressedBatch(mixedRecords('json', 2048), codecs.byNameOrThrow('none'));
    const attributes = batch.readInt16BE(ATTRIBUTES_OFFSET);
    batch.writeInt16BE(attributes | codecs.byNameOrThrow(name).type, ATTRIBUTES_OFFSET);
    batch.writeUInt32BE(computeBatchCrc(batch, 0, batch.length), CRC_OFFSET);
    await expect(decodeBatch(batch, 0, { codecs })).rejects.toThrow(new RegExp(`cannot decompress ${name} batch at offset 0: ${name}: `));
  });
});

test('a xerial snappy batch truncated between blocks is caught by the batch record count', async () => {
  const codecs = registry();
  const records = mixedRecords('json', 64 * 1024);
  const { compressXerialSync, XERIAL_HEADER_BYTES } = await import('../../codecs/snappy.js');
  const { buildBatch } = await import('../../core/format/records.js');
  const { RECORDS_OFFSET } = await import('../../core/format/record-batch.js');
  const plain = buildBatch(records, { timestamp: 1_700_000_000_000 });
  const blob = compressXerialSync(plain.subarray(RECORDS_OFFSET), 8 * 1024);
  const firstBlockEnd = XERIAL_HEADER_BYTES + 4 + blob.readInt32BE(XERIAL_HEADER_BYTES);
  const cut = blob.subarray(0, firstBlockEnd);
  const batch = Buffer.concat([plain.subarray(0, RECORDS_OFFSET), cut]);
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt16BE(batch.readInt16BE(ATTRIBUTES_OFFSET) | CompressionType.snappy, ATTRIBUTES_OFFSET);
  batch.writeUInt32BE(computeBatchCrc(batch, 0, batch.length), CRC_OFFSET);
  await expect(decodeBatch(batch, 0, { codecs })).rejects.toThrow(/declares \d+ records but its records section ends after \d+|record \d+ of batch at offset 0 claims/);
});

test('lz4: a small frame of one 64 KiB block is expected at its likely size, so it takes the sync path', async () => {
  const { lz4ExpectedOutputBytes } = await import('../../codecs/lz4.js');
  const { walkLz4Frames } = await import('../../codecs/lz4-frame.js');
  const { SYNC_BYTES_MAX } = await import('../../codecs/sync-thresholds.js');
  const { recordsSectionOf } = await import('../../harness/micro/payloads.js');
  const section = recordsSectionOf(mixedRecords('json', 8 * 1024));
  const blob = await registry().byNameOrThrow('lz4').compress(section);
  const walk = walkLz4Frames(blob, 1 << 30);
  expect(walk.outputBytesBound).toBe(64 * 1024); // the block maximum: a bound, far above the content
  const expected = lz4ExpectedOutputBytes(walk, blob.length);
  expect(expected).toBeGreaterThanOrEqual(section.length);
  expect(expected).toBeLessThanOrEqual(SYNC_BYTES_MAX.lz4.decompress);
});
