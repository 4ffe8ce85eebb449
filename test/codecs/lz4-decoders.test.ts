/**
 * The lz4 codec's two decoders, the addon's liblz4 into one buffer (the default) and lz4-napi's
 * block API (without the addon), give the same bytes and the same refusals; decompressLent decodes
 * consecutive sections into the same reused memory; LentBuffers keeps to its bounds.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { isOutputTooLarge } from '../../codecs/codec-errors.js';
import { LentBuffers } from '../../codecs/lent-buffers.js';
import { lz4HeaderChecksum } from '../../codecs/lz4-frame.js';
import { createLz4Codec } from '../../codecs/lz4.js';
import { loadNative } from '../../native/index.js';

const withLiblz4 = createLz4Codec();
const withLz4Napi = createLz4Codec({ nativeDecode: false });

/** What the lz4 CLI (liblz4) writes for `data` with the given flags. */
const lz4Cli = (data: Buffer, flags: string[]) => execFileSync('lz4', ['-c', '-q', ...flags], { input: data, maxBuffer: 1 << 28 });

async function outcome(codec: ReturnType<typeof createLz4Codec>, blob: Buffer, limit: number): Promise<Buffer | 'too large' | 'corrupt'> {
  try {
    return await codec.decompress(blob, limit);
  } catch (err) {
    return isOutputTooLarge(err) ? 'too large' : 'corrupt';
  }
}

describe('lz4: liblz4 and lz4-napi decode alike', () => {
  test('the addon has liblz4 here (else the default path is lz4-napi and this file compares it with itself)', () => {
    expect(typeof loadNative()?.lz4DecompressBlock).toBe('function');
  });

  const text = Buffer.from('strata kafka target workload: the quick brown fox jumps over the lazy dog 0123456789 '.repeat(30_000));
  const cases: [string, Buffer][] = [
    ['lz4-napi frame, text', Buffer.alloc(0)],
    ['liblz4 64 KiB blocks', lz4Cli(text, ['-B4'])],
    ['liblz4 4 MiB blocks with content checksum', lz4Cli(text, ['-B7'])],
    ['liblz4, incompressible (stored blocks)', lz4Cli(randomBytes(300_000), ['-B4'])],
  ];

  test.each(cases)('%s: same bytes; one byte under the size is too large for both; damage refused by both', async (_name, given) => {
    const blob = given.length > 0 ? given : await withLz4Napi.compress(text);
    const a = await outcome(withLiblz4, blob, 8 << 20);
    const b = await outcome(withLz4Napi, blob, 8 << 20);
    expect(Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b)).toBe(true);
    const size = (a as Buffer).length;
    expect(await outcome(withLiblz4, blob, size - 1)).toBe('too large');
    expect(await outcome(withLz4Napi, blob, size - 1)).toBe('too large');
    expect(Buffer.isBuffer(await outcome(withLiblz4, blob, size))).toBe(true);
    // a block's data cut short inside a frame whose sizes still add up: corrupt for both
    const damaged = Buffer.from(blob);
    damaged.fill(0xff, 11, 40);
    const da = await outcome(withLiblz4, damaged, 8 << 20);
    const db = await outcome(withLz4Napi, damaged, 8 << 20);
    if (Buffer.isBuffer(da) || Buffer.isBuffer(db)) {
      // no block checksum: garbage can decode; then both must have decoded the same garbage
      expect(Buffer.isBuffer(da) && Buffer.isBuffer(db) && da.equals(db)).toBe(true);
    } else {
      expect(da).toBe(db);
    }
  });
});

test('a section far smaller than its frame\'s bound does not pin the bound (a 4 MiB block maximum, 240 kB of content)', async () => {
  // one compressed block of ~41 kB; its bound is the frame's block maximum (255 x 41 kB is more)
  const blob = lz4Cli(Buffer.concat([randomBytes(40_000), Buffer.alloc(200_000, 1)]), ['-B7']);
  const flgAt = 4;
  expect(blob.readUInt32LE(0)).toBe(0x184d2204);
  expect(blob[flgAt]! & 0x08).toBe(0); // no content size: the descriptor is FLG, BD, HC
  blob[flgAt + 1] = 0x70; // BD: 4 MiB blocks, whatever the CLI chose
  blob[flgAt + 2] = lz4HeaderChecksum(blob, flgAt, flgAt + 2);
  const out = await withLiblz4.decompress(blob, 8 << 20);
  expect(out.length).toBe(240_000);
  expect(out.buffer.byteLength).toBeLessThan(2 * out.length);
});

describe('decompressLent', () => {
  test('decodes consecutive sections into the same reused memory, each right while lent', async () => {
    const one = Buffer.from('a'.repeat(100_000) + 'b'.repeat(50_000));
    const two = Buffer.from('c'.repeat(120_000));
    const backing: ArrayBuffer[] = [];
    for (const data of [one, two, one]) {
      const blob = await withLiblz4.compress(data);
      const equal = await withLiblz4.decompressLent!(blob, 1 << 20, async (section) => {
        backing.push(section.buffer as ArrayBuffer);
        return section.equals(data);
      });
      expect(equal).toBe(true);
    }
    expect(backing[1]).toBe(backing[0]);
    expect(backing[2]).toBe(backing[0]);
  });

  test('a refusal inside the lent call still comes out as the codec error', async () => {
    const blob = await withLiblz4.compress(Buffer.alloc(200_000, 7));
    const err = await withLiblz4.decompressLent!(blob, 1000, async () => 'decoded').catch((e: unknown) => e);
    expect(isOutputTooLarge(err)).toBe(true);
  });
});

describe('LentBuffers', () => {
  test('keeps at most buffersMax, never one above bufferBytesMax, and takes a buffer back when use throws', async () => {
    const pool = new LentBuffers(2, 1 << 20);
    const held: Promise<unknown>[] = [];
    const release: (() => void)[] = [];
    for (let i = 0; i < 3; i++) held.push(pool.lend(1000, () => new Promise<void>((r) => release.push(r))));
    expect(pool.freeCount).toBe(0);
    for (const r of release) r();
    await Promise.all(held);
    expect(pool.freeCount).toBe(2);
    let big: Buffer | undefined;
    await pool.lend(2 << 20, async (b) => (big = b));
    expect(big!.length).toBe(2 << 20);
    expect(pool.freeCount).toBe(2);
    const taken = new LentBuffers(1, 1 << 20);
    await expect(taken.lend(10, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(taken.freeCount).toBe(1);
    // sizes round up to a power of two, so a slightly larger batch reuses the buffer; a full pool
    // keeps the larger of what it has and what comes back
    let first: Buffer | undefined;
    let second: Buffer | undefined;
    await taken.lend(1000, async (b) => (first = b));
    expect(first!.length).toBe(1024);
    await taken.lend(1020, async (b) => (second = b));
    expect(second).toBe(first);
    expect(taken.freeCount).toBe(1);
  });
});
