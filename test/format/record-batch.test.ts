/**
 * RecordBatch v2 against independent implementations: kafkajs's encoder must produce the same bytes
 * for the same batch, its decoder must read ours, and CRC-32C must match published vectors (kafkajs
 * does not check CRCs, so it is no oracle for them).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  CONTROL_FLAG_MASK,
  CorruptRecordError,
  TRANSACTIONAL_FLAG_MASK,
  buildBatch,
  computeBatchCrc,
  crc32c,
  decodeBatchSync,
  readBatchHeader,
  readVarint,
  readVarlong,
  sizeOfVarint,
  sizeOfVarlong,
  validateBatch,
  writeVarint,
  writeVarlong,
  type ProducerRecord,
} from '../../core/index.js';

const require = createRequire(import.meta.url);
const { RecordBatch: KafkajsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (args: object) => Promise<{ buffer: Buffer }> };
const KafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (args: object) => unknown;
const KafkajsDecoder = require('kafkajs/src/protocol/decoder.js') as new (buf: Buffer) => unknown;
const decodeKafkajsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (d: unknown) => Promise<{
  firstOffset: string;
  records: { offset: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer>; timestamp: string }[];
  inTransaction: boolean;
  isControlBatch: boolean;
  producerId: string;
}>;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: number): unknown; fromInt(v: number): unknown };

const TS = 1_700_000_000_000;
const sample: ProducerRecord[] = [
  { key: Buffer.from('k1'), value: Buffer.from('hello'), headers: [{ key: 'trace', value: Buffer.from('abc') }], timestamp: TS },
  { key: null, value: Buffer.alloc(300, 7), timestamp: TS + 5 },
  { key: Buffer.from('k3'), value: null, timestamp: TS + 2 },
];

describe('CRC-32C', () => {
  it('matches the published check value and RFC 3720 vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
  });
});

describe('zigzag varints', () => {
  it('encodes like protobuf and round-trips the boundaries', () => {
    const known: [number, number[]][] = [[0, [0]], [-1, [1]], [1, [2]], [-64, [0x7f]], [64, [0x80, 1]], [300, [0xd8, 0x04]]];
    for (const [value, bytes] of known) {
      const buf = Buffer.alloc(10);
      expect([...buf.subarray(0, writeVarint(buf, 0, value))]).toEqual(bytes);
    }
    const c = { value: 0, offset: 0 };
    for (const v of [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 123456, -98765]) {
      const buf = Buffer.alloc(10);
      const end = writeVarint(buf, 0, v);
      expect(end).toBe(sizeOfVarint(v));
      readVarint(buf, 0, end, c);
      expect(c.value).toBe(v);
    }
    for (const v of [0, -1, 2 ** 40, -(2 ** 40) - 3, 2 ** 52 - 1, -(2 ** 52) + 1, 1_700_000_000_000]) {
      const buf = Buffer.alloc(10);
      const end = writeVarlong(buf, 0, v);
      expect(end).toBe(sizeOfVarlong(v));
      readVarlong(buf, 0, end, c);
      expect(c.value).toBe(v);
    }
    expect(() => readVarint(Buffer.from([0x80, 0x80]), 0, 2, c)).toThrow(CorruptRecordError);
  });
});

describe('RecordBatch v2 against kafkajs', () => {
  it('encodes byte-identically to kafkajs for the same batch', async () => {
    const ours = buildBatch(sample, { baseOffset: 42, partitionLeaderEpoch: 0, producerId: -1, producerEpoch: 0, baseSequence: 0 });
    const theirs = await KafkajsRecordBatch({
      firstOffset: Long.fromValue(42),
      firstTimestamp: TS,
      maxTimestamp: TS + 5,
      lastOffsetDelta: 2,
      partitionLeaderEpoch: 0,
      producerId: Long.fromValue(-1),
      producerEpoch: 0,
      firstSequence: 0,
      records: sample.map((r, i) =>
        KafkajsRecord({
          offsetDelta: i,
          timestampDelta: Long.fromValue(r.timestamp! - TS),
          key: r.key,
          value: r.value,
          headers: Object.fromEntries((r.headers ?? []).map((h) => [h.key, h.value])),
        }),
      ),
    });
    expect(ours.equals(theirs.buffer)).toBe(true);
  });

  it('is decoded by kafkajs with the same offsets, keys, values, headers and flags', async () => {
    const ours = buildBatch(sample, { baseOffset: 1000, transactional: true, producerId: 77, producerEpoch: 3, baseSequence: 9 });
    const decoded = await decodeKafkajsBatch(new KafkajsDecoder(ours));
    expect(decoded.firstOffset).toBe('1000');
    expect(decoded.inTransaction).toBe(true);
    expect(decoded.producerId).toBe('77');
    expect(decoded.records.map((r) => r.offset)).toEqual(['1000', '1001', '1002']);
    expect(decoded.records[0]!.key!.toString()).toBe('k1');
    expect(decoded.records[0]!.headers.trace!.toString()).toBe('abc');
    expect(decoded.records[1]!.value!.equals(Buffer.alloc(300, 7))).toBe(true);
    expect(decoded.records[1]!.timestamp).toBe(String(TS + 5));
    expect(decoded.records[2]!.value).toBeNull();
  });

  it('decodes what kafkajs encodes', async () => {
    const theirs = await KafkajsRecordBatch({
      firstOffset: Long.fromValue(5),
      firstTimestamp: TS,
      maxTimestamp: TS + 1,
      lastOffsetDelta: 1,
      records: [
        KafkajsRecord({ offsetDelta: 0, key: Buffer.from('a'), value: Buffer.from('x'), headers: { h1: Buffer.from('v1') } }),
        KafkajsRecord({ offsetDelta: 1, timestampDelta: Long.fromValue(1), key: null, value: Buffer.from('y') }),
      ],
    });
    const batch = decodeBatchSync(theirs.buffer);
    expect(batch.header.baseOffset).toBe(5);
    expect(batch.records.map((r) => [r.offset, r.key?.toString() ?? null, r.value!.toString(), r.timestamp])).toEqual([
      [5, 'a', 'x', TS],
      [6, null, 'y', TS + 1],
    ]);
    expect(batch.records[0]!.headers).toEqual([{ key: 'h1', value: Buffer.from('v1') }]);
  });
});

describe('RecordBatch v2 validation names what is wrong', () => {
  const good = () => buildBatch(sample, { baseOffset: 0 });

  it('keeps header fields and control/transactional attributes', () => {
    const b = buildBatch(sample, { control: true, transactional: true, timestampType: 'LogAppendTime', partitionLeaderEpoch: 4 });
    const h = readBatchHeader(b);
    expect(h.attributes & CONTROL_FLAG_MASK).toBeTruthy();
    expect(h.attributes & TRANSACTIONAL_FLAG_MASK).toBeTruthy();
    expect(h.attributes & 0x08).toBeTruthy();
    expect(h).toMatchObject({ magic: 2, lastOffsetDelta: 2, recordsCount: 3, baseTimestamp: TS, maxTimestamp: TS + 5, partitionLeaderEpoch: 4 });
    expect(validateBatch(b, 0)).toBe(b.length);
  });

  it('bad magic', () => {
    const b = good();
    b[16] = 1;
    expect(() => validateBatch(b, 0)).toThrow(/bad magic 1/);
  });

  it('CRC mismatch', () => {
    const b = good();
    b[b.length - 3] ^= 1;
    expect(() => validateBatch(b, 0)).toThrow(/CRC mismatch.*stored 0x[0-9a-f]{8}, computed/);
  });

  it('length past end', () => {
    expect(() => validateBatch(good().subarray(0, 70), 0)).toThrow(/runs past the end/);
    expect(() => validateBatch(good().subarray(0, 8), 0)).toThrow(/less than a batch's 12-byte log overhead/);
  });

  it('record overruns batch and record count disagreeing with the header', () => {
    const b = good();
    b[61] = 0x7e; // first record's length varint: 63 bytes, past its real end
    b.writeUInt32BE(computeBatchCrc(b, 0, b.length), 17);
    expect(() => decodeBatchSync(b)).toThrow(/record 0 .*(overruns|trailing|offset delta)/);
    const c = good();
    c.writeInt32BE(5, 57);
    c.writeUInt32BE(computeBatchCrc(c, 0, c.length), 17);
    expect(() => decodeBatchSync(c)).toThrow(/declares 5 records but its records section ends after 3/);
  });
});
