/** The log honours Kafka's compression.type: batches are stored in the configured codec. */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CodecRegistry, CompressionType, Log, buildBatch, buildCompressedBatch, compressionOf, logConfigFrom, silentLogger } from '../../core/index.js';
import { builtinCodecs } from '../../codecs/index.js';
import { pwriteEngine } from '../../engines/pwrite.js';

const codecs = new CodecRegistry(builtinCodecs);
const records = Array.from({ length: 20 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`value-${i}-`.repeat(20)), headers: [{ key: 'h', value: Buffer.from(String(i)) }], timestamp: 1_700_000_000_000 + i }));

async function storedCodecs(compressionType: string, batch: Buffer) {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'strata-ctype-'));
  const log = await Log.open(dir, logConfigFrom({ 'compression.type': compressionType }), { engine: pwriteEngine, codecs, logger: silentLogger });
  await log.append(batch);
  await log.append(Buffer.concat([buildBatch(records.slice(0, 3)), await buildCompressedBatch(records.slice(3, 6), codecs.byNameOrThrow('gzip'))]));
  const batches = await log.readBatches(0, 1 << 20);
  await log.close();
  return { types: batches.map((b) => compressionOf(b.header.attributes)), records: batches.flatMap((b) => b.records) };
}

describe('compression.type on the log', () => {
  it('producer keeps each batch as sent', async () => {
    const { types } = await storedCodecs('producer', buildBatch(records));
    expect(types).toEqual([CompressionType.none, CompressionType.none, CompressionType.gzip]);
  });

  it('a codec name stores every batch in that codec with records intact', async () => {
    const { types, records: stored } = await storedCodecs('lz4', buildBatch(records));
    expect(types).toEqual([CompressionType.lz4, CompressionType.lz4, CompressionType.lz4]);
    expect(stored.map((r) => r.offset)).toEqual(Array.from({ length: 26 }, (_, i) => i));
    expect(stored[7]!.value!.toString()).toBe(records[7]!.value.toString());
    expect(stored[7]!.headers).toEqual([{ key: 'h', value: Buffer.from('7') }]);
    expect(stored[7]!.timestamp).toBe(records[7]!.timestamp);
  });

  it('uncompressed decompresses what arrives compressed', async () => {
    const { types } = await storedCodecs('uncompressed', await buildCompressedBatch(records, codecs.byNameOrThrow('zstd')));
    expect(types).toEqual([CompressionType.none, CompressionType.none, CompressionType.none]);
  });
});
