/** Shared fixtures for the codec tests: seeded records and a registry of every built-in codec. */
import { CodecRegistry, type Codec } from '../../core/codec.js';
import type { ProducerRecord } from '../../core/format/records.js';
import { builtinCodecs } from '../../codecs/index.js';
import { createGzipCodec } from '../../codecs/gzip.js';
import { createLz4Codec } from '../../codecs/lz4.js';
import { createSnappyCodec } from '../../codecs/snappy.js';
import { createZstdCodec } from '../../codecs/zstd.js';
import { makeRecords, seededRandom, type PayloadProfile } from '../../harness/micro/payloads.js';

export const registry = (): CodecRegistry => new CodecRegistry(builtinCodecs);
export const COMPRESSED = ['gzip', 'snappy', 'lz4', 'zstd'] as const;

/** Each codec forced onto its synchronous path and onto its threadpool path. */
export function codecVariants(): Array<{ label: string; codec: Codec }> {
  const sync = { compress: Number.MAX_SAFE_INTEGER, decompress: Number.MAX_SAFE_INTEGER };
  const async = { compress: -1, decompress: -1 };
  return [
    { label: 'gzip sync', codec: createGzipCodec({ syncBytesMax: sync }) },
    { label: 'gzip async', codec: createGzipCodec({ syncBytesMax: async }) },
    { label: 'snappy sync', codec: createSnappyCodec({ syncBytesMax: sync }) },
    { label: 'snappy async', codec: createSnappyCodec({ syncBytesMax: async }) },
    { label: 'snappy xerial', codec: createSnappyCodec({ framing: 'xerial' }) },
    { label: 'lz4 sync', codec: createLz4Codec({ syncBytesMax: sync }) },
    { label: 'lz4 async', codec: createLz4Codec({ syncBytesMax: async }) },
    { label: 'zstd', codec: createZstdCodec() },
  ];
}

/** Records with keys, null values and headers mixed in, so every record field round-trips. */
export function mixedRecords(profile: PayloadProfile, bytes: number, seed = 7): ProducerRecord[] {
  const rand = seededRandom(seed);
  return makeRecords(profile, bytes, seed).map((r, i) => ({
    ...r,
    key: i % 3 === 0 ? null : Buffer.from(`key-${i}`),
    value: i % 17 === 5 ? null : r.value,
    headers: i % 4 === 0 ? [{ key: 'trace', value: Buffer.from(String(Math.floor(rand() * 1e9))) }, { key: 'empty', value: null }] : [],
  }));
}
