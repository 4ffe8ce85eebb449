/**
 * The blobs strata's codecs write are standard: Debian's lz4 and zstd binaries (liblz4 1.9.4,
 * libzstd 1.5.4, independent of the npm bindings) decode them to the exact records section, and the
 * lz4 frame header is the one Kafka's Lz4BlockInputStream accepts.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { RECORDS_OFFSET } from '../../core/format/record-batch.js';
import { buildCompressedBatch } from '../../core/format/records.js';
import { lz4HeaderChecksum } from '../../codecs/lz4-frame.js';
import { recordsSectionOf } from '../../harness/micro/payloads.js';
import { mixedRecords, registry } from './helpers.js';

function run(cmd: string, args: string[], input: Buffer): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return r.stdout;
}

const codecs = registry();
const SIZES = [100, 16 * 1024, 64 * 1024, 65 * 1024, 1024 * 1024, 3 * 1024 * 1024];

describe.each([
  ['lz4', ['-d', '-c', '-q']],
  ['zstd', ['-d', '-c', '-q']],
  ['gzip', ['-d', '-c', '-q']],
] as const)('%s blobs decode with /usr/bin/%s', (name, args) => {
  test.each(SIZES)('%i-byte records section', async (bytes) => {
    const records = mixedRecords('json', bytes);
    const batch = await buildCompressedBatch(records, codecs.byNameOrThrow(name));
    const blob = batch.subarray(RECORDS_OFFSET);
    expect(run(name, [...args], blob).equals(recordsSectionOf(records))).toBe(true);
    if (name !== 'gzip') expect(() => run(name, ['-t', '-q'], blob)).not.toThrow();
  });
});

describe('lz4 frame header is what Kafka accepts', () => {
  test.each(SIZES)('%i bytes: FLG 0x60 (v01, independent blocks, no checksums, no content size), valid BD and HC', async (bytes) => {
    const blob = await codecs.byNameOrThrow('lz4').compress(recordsSectionOf(mixedRecords('json', bytes)));
    expect(blob.readUInt32LE(0)).toBe(0x184d2204);
    expect(blob[4]).toBe(0x60);
    const bd = blob[5]!;
    expect(bd & 0x8f).toBe(0);
    expect((bd >> 4) & 7).toBeGreaterThanOrEqual(4); // 64 KiB .. 4 MiB blocks
    expect(blob[6]).toBe(lz4HeaderChecksum(blob, 4, 6));
  });

  test('our header checksum agrees with liblz4 on frames it writes with every option', () => {
    for (const opts of [[], ['--content-size'], ['-BD'], ['-BX'], ['-B4'], ['-B7', '--no-frame-crc']]) {
      const blob = run('lz4', ['-c', '-q', ...opts], Buffer.from('hello hello hello hello hello'));
      const end = blob[4]! & 0x08 ? 14 : 6;
      expect(blob[end]).toBe(lz4HeaderChecksum(blob, 4, end));
    }
  });
});
