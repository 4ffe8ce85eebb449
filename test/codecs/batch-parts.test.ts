/**
 * A compressed batch built in two pieces (header, records section): the same bytes as the
 * one-buffer build, a valid batch (CRC computed across both pieces), and through Log.appendRecords
 * the codec's own output buffer reaches the engine's writev uncopied.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CodecRegistry, type Codec } from '../../core/codec.js';
import { logConfigFrom } from '../../core/config/log-config.js';
import { BATCH_HEADER_BYTES, validateBatch } from '../../core/format/record-batch.js';
import { buildCompressedBatch, buildCompressedBatchParts, decodeBatch } from '../../core/format/records.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { builtinCodecs } from '../../codecs/index.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { wrapAppend } from '../support/wrap-append.js';
import { COMPRESSED, mixedRecords, registry } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'strata-batch-parts-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe.each([...COMPRESSED, 'none'])('%s', (name) => {
  test('parts hold the one-buffer batch byte for byte, and it validates', async () => {
    const codec = registry().byNameOrThrow(name);
    for (const profile of ['random', 'json'] as const) {
      const records = mixedRecords(profile, 64 * 1024, 3);
      const opts = { timestamp: 1_700_000_000_000, baseOffset: 42 };
      const { header, body } = await buildCompressedBatchParts(records, codec, opts);
      expect(header.length).toBe(BATCH_HEADER_BYTES);
      const joined = Buffer.concat([header, body]);
      expect(joined.equals(await buildCompressedBatch(records, codec, opts))).toBe(true);
      expect(validateBatch(joined, 0)).toBe(joined.length);
      const decoded = await decodeBatch(joined, 0, { codecs: registry() });
      expect(decoded.records.map((r) => r.value?.toString('hex') ?? null)).toEqual(records.map((r) => r.value?.toString('hex') ?? null));
    }
  });
});

test('Log.appendRecords hands the codec output to the engine without copying it', async () => {
  const outputs: Buffer[] = [];
  const lz4 = registry().byNameOrThrow('lz4');
  // the real lz4 codec, remembering what it returned
  const recording: Codec = {
    ...lz4,
    compress: async (section: Buffer) => {
      const out = await lz4.compress(section);
      outputs.push(out);
      return out;
    },
  };
  const appended: Buffer[][] = [];
  const engine = wrapAppend(pwriteEngine, (append) => (chunks, bytes) => {
    appended.push([...chunks]);
    return append(chunks, bytes);
  });
  const codecs = new CodecRegistry(builtinCodecs.map((c) => (c.name === 'lz4' ? recording : c)));
  const log = await Log.open(join(dir, 't-0'), logConfigFrom({ 'retention.ms': '-1' }), { engine, codecs, logger: silentLogger });
  const records = mixedRecords('random', 256 * 1024, 5);
  const info = await log.appendRecords(records, { codec: 'lz4' });
  await log.close();
  expect(outputs.length).toBe(1);
  expect(appended.length).toBe(1);
  // same memory, not an equal copy
  expect(appended[0]!.some((chunk) => chunk.buffer === outputs[0]!.buffer && chunk.byteOffset === outputs[0]!.byteOffset)).toBe(true);
  const file = readFileSync(join(dir, 't-0', '00000000000000000000.log'));
  expect(validateBatch(file, 0)).toBe(info.bytes);
  expect(file.length).toBe(info.bytes);
});
