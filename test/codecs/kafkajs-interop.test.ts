/**
 * Interop with an independent implementation of the batch format: kafkajs 2.2.4's RecordBatch v2
 * encoder and decoder (src/protocol/recordBatch/v0). kafkajs has gzip built in; snappy, lz4 and zstd
 * are plugged into its CompressionCodecs registry here with implementations other than strata's:
 * Debian's lz4 and zstd binaries (liblz4, libzstd), and for snappy the raw library under a xerial
 * writer and reader written in this file. kafkajs does not check CRCs, so CRC agreement is checked
 * separately: strata validates the CRC of every batch kafkajs writes.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import snappy from 'snappy';
import { beforeAll, describe, expect, test } from 'vitest';
import { CompressionType, validateBatch } from '../../core/format/record-batch.js';
import { buildCompressedBatch, decodeBatch, type ProducerRecord } from '../../core/format/records.js';
import { COMPRESSED, mixedRecords, registry } from './helpers.js';

const require = createRequire(import.meta.url);
// kafkajs internals (CommonJS); see node_modules/kafkajs/src/protocol/recordBatch/v0
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (args: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
};
const decodeKafkajsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (decoder: unknown) => Promise<KafkajsBatch>;
const KafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (args: Record<string, unknown>) => unknown;
const KafkajsDecoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;
const Long = require('kafkajs/src/utils/long') as { fromValue(v: number | string): unknown };
const { Codecs, Types } = require('kafkajs/src/protocol/message/compression') as {
  Codecs: Record<number, () => KafkajsCodec>;
  Types: Record<string, number>;
};

interface KafkajsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}
interface KafkajsBatch {
  firstOffset: string;
  records: Array<{ offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | Buffer[]> }>;
}

function run(cmd: string, args: string[], input: Buffer): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout;
}

/** xerial framing written here, independently of codecs/snappy.ts: 8 KiB blocks. */
function xerialWrite(data: Buffer): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const parts: Buffer[] = [header];
  for (let at = 0; at < data.length; at += 8192) {
    const block = snappy.compressSync(data.subarray(at, at + 8192));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(block.length);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}
function xerialOrRawRead(data: Buffer): Buffer {
  if (data.subarray(0, 8).equals(Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]))) {
    const parts: Buffer[] = [];
    for (let at = 16; at < data.length; ) {
      const len = data.readUInt32BE(at);
      parts.push(snappy.uncompressSync(data.subarray(at + 4, at + 4 + len), { asBuffer: true }) as Buffer);
      at += 4 + len;
    }
    return Buffer.concat(parts);
  }
  return snappy.uncompressSync(data, { asBuffer: true }) as Buffer;
}

const plugins: Record<number, KafkajsCodec> = {
  [CompressionType.snappy]: { compress: async (e) => xerialWrite(e.buffer), decompress: async (b) => xerialOrRawRead(b) },
  [CompressionType.lz4]: { compress: async (e) => run('lz4', ['-c', '-q'], e.buffer), decompress: async (b) => run('lz4', ['-d', '-c', '-q'], b) },
  [CompressionType.zstd]: { compress: async (e) => run('zstd', ['-3', '-c', '-q'], e.buffer), decompress: async (b) => run('zstd', ['-d', '-c', '-q'], b) },
};

beforeAll(() => {
  for (const [type, plugin] of Object.entries(plugins)) Codecs[Number(type)] = () => plugin;
});

const kafkajsType: Record<string, number> = { none: Types.None!, gzip: Types.GZIP!, snappy: Types.Snappy!, lz4: Types.LZ4!, zstd: Types.ZSTD! };
const codecs = registry();
const BASE_TS = 1_700_000_000_000;

function headersOf(r: ProducerRecord): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const h of r.headers ?? []) out[h.key] = h.value ?? Buffer.alloc(0);
  return out;
}

describe.each(['none', ...COMPRESSED])('%s', (name) => {
  test('batches strata writes decode in kafkajs', async () => {
    for (const bytes of [300, 64 * 1024, 900 * 1024]) {
      const records = mixedRecords('json', bytes);
      const batch = await buildCompressedBatch(records, codecs.byNameOrThrow(name), { baseOffset: 5000, timestamp: BASE_TS });
      const decoded = await decodeKafkajsBatch(new KafkajsDecoder(batch));
      expect(decoded.firstOffset).toBe('5000');
      expect(decoded.records.length).toBe(records.length);
      decoded.records.forEach((d, i) => {
        const r = records[i]!;
        expect(d.offset).toBe(String(5000 + i));
        expect(d.timestamp).toBe(String(r.timestamp));
        expect(d.key?.toString('hex') ?? null).toBe(r.key?.toString('hex') ?? null);
        expect(d.value?.toString('hex') ?? null).toBe(r.value?.toString('hex') ?? null);
        expect(Object.keys(d.headers)).toEqual((r.headers ?? []).map((h) => h.key));
      });
    }
  }, 30_000);

  test('batches kafkajs writes validate (CRC) and decode in strata', async () => {
    for (const bytes of [300, 64 * 1024, 900 * 1024]) {
      const records = mixedRecords('json', bytes).map((r) => ({ ...r, value: r.value ?? Buffer.alloc(0), headers: [] }));
      const encoded = await RecordBatch({
        compression: kafkajsType[name],
        firstOffset: Long.fromValue(7),
        firstTimestamp: BASE_TS,
        maxTimestamp: records[records.length - 1]!.timestamp,
        lastOffsetDelta: records.length - 1,
        records: records.map((r, i) =>
          KafkajsRecord({ offsetDelta: i, timestampDelta: r.timestamp! - BASE_TS, key: r.key, value: r.value, headers: headersOf(r) }),
        ),
      });
      const batch = encoded.buffer;
      expect(validateBatch(batch, 0)).toBe(batch.length);
      const decoded = await decodeBatch(batch, 0, { codecs });
      expect(decoded.header.attributes & 0x07).toBe(codecs.byNameOrThrow(name).type);
      expect(decoded.records.length).toBe(records.length);
      decoded.records.forEach((d, i) => {
        expect(d.offset).toBe(7 + i);
        expect(d.timestamp).toBe(records[i]!.timestamp);
        expect(d.key?.toString('hex') ?? null).toBe(records[i]!.key?.toString('hex') ?? null);
        expect(d.value!.toString('hex')).toBe(records[i]!.value.toString('hex'));
      });
    }
  }, 30_000);
});

test('kafkajs-written blobs use the framings other producers use (so the test covers them)', async () => {
  const records = mixedRecords('json', 64 * 1024).map((r) => ({ ...r, value: r.value ?? Buffer.alloc(0), headers: [] }));
  const encode = async (type: number) =>
    (
      await RecordBatch({
        compression: type,
        lastOffsetDelta: records.length - 1,
        records: records.map((r, i) => KafkajsRecord({ offsetDelta: i, key: r.key, value: r.value })),
      })
    ).buffer;
  expect((await encode(Types.Snappy!)).subarray(61, 69).toString('latin1')).toBe('\x82SNAPPY\x00'); // xerial
  const lz4Blob = (await encode(Types.LZ4!)).subarray(61);
  expect(lz4Blob.readUInt32LE(0)).toBe(0x184d2204);
  expect(lz4Blob[4]! & 0x04).toBe(0x04); // liblz4's CLI sets the content checksum
  expect((await encode(Types.ZSTD!)).subarray(61).readUInt32LE(0)).toBe(0xfd2fb528);
});
