/**
 * The produce path's per-record work in the addon (native/src/records.cc): the record walk accepts
 * exactly what the JS walk accepts (checked on valid sections and thousands of damaged ones), and
 * liblz4's block decoder gives lz4-napi's bytes, refuses corrupt blocks and blocks that do not fit.
 */
import { randomBytes } from 'node:crypto';
import lz4 from 'lz4-napi';
import { describe, expect, test } from 'vitest';
import { walkRecords } from '../../core/log/record-walk.js';
import { RECORDS_OFFSET } from '../../core/format/record-batch.js';
import { buildBatch, type ProducerRecord } from '../../core/format/records.js';
import { nativeAddon } from './helpers.js';

const native = nativeAddon();

/** A deterministic generator (xorshift32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** The records section of a batch of `n` records with keys, nulls and headers mixed. */
function section(n: number, rand: () => number): Buffer {
  const records: ProducerRecord[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    records.push({
      key: r < 0.3 ? null : Buffer.from(`key-${i}`),
      value: r < 0.1 ? null : randomBytes(Math.floor(rand() * 200)),
      headers: r > 0.7 ? [{ key: 'h', value: r > 0.85 ? null : Buffer.from('v') }, { key: '', value: Buffer.alloc(0) }] : [],
    });
  }
  return buildBatch(records).subarray(RECORDS_OFFSET);
}

/** Whether the JS walk (the reference) accepts the section as `count` records. */
async function jsAccepts(s: Buffer, count: number): Promise<boolean> {
  try {
    await walkRecords(s, count, count - 1, false);
    return true;
  } catch {
    return false;
  }
}

describe('native walkRecords', () => {
  test('accepts valid sections and agrees with the JS walk on every damaged one', async () => {
    const rand = prng(12345);
    let refused = 0;
    let cases = 0;
    for (let round = 0; round < 60; round++) {
      const n = 1 + Math.floor(rand() * 40);
      const good = section(n, rand);
      expect(native.walkRecords!(good, n)).toBe(true);
      expect(native.walkRecords!(good, n + 1)).toBe(false); // one record too few
      expect(native.walkRecords!(good, n - 1)).toBe(false); // bytes past the declared records
      for (let m = 0; m < 40; m++) {
        const bad = Buffer.from(good);
        const kind = rand();
        let damaged: Buffer = bad;
        if (kind < 0.6) bad[Math.floor(rand() * bad.length)] ^= 1 << Math.floor(rand() * 8);
        else if (kind < 0.8) damaged = bad.subarray(0, Math.floor(rand() * bad.length));
        else damaged = Buffer.concat([bad, randomBytes(1 + Math.floor(rand() * 8))]);
        const js = await jsAccepts(damaged, n);
        expect(native.walkRecords!(damaged, n), `round ${round} mutation ${m}`).toBe(js);
        cases++;
        if (!js) refused++;
      }
    }
    // the damage must actually be refused often, or the agreement above says little
    expect(refused).toBeGreaterThan(cases / 3);
  });

  test('the validator\'s walk names the record when the native walk refuses it', async () => {
    const good = section(5, prng(7));
    const bad = Buffer.from(good);
    bad[0] = 0x7f; // record 0 claims 63 bytes (zigzag) and more than the section has, or not its real length
    await expect(walkRecords(bad, 5, 4)).rejects.toThrow(/record 0/);
  });
});

describe('native lz4DecompressBlock (liblz4)', () => {
  const decode = native.lz4DecompressBlock!;
  /** An LZ4 block as lz4-napi writes it, without its 4-byte size prefix. */
  const block = (data: Buffer) => lz4.compressSync(data).subarray(4);

  test('decodes what lz4-napi encodes, at an offset of the output', () => {
    const data = Buffer.from('the quick brown fox jumps over the lazy dog '.repeat(2000));
    const b = block(data);
    const out = Buffer.alloc(data.length + 100);
    expect(decode(b, 0, b.length, out, 100, data.length)).toBe(data.length);
    expect(out.subarray(100).equals(data)).toBe(true);
    const noise = randomBytes(70_000);
    const nb = block(noise);
    const out2 = Buffer.alloc(noise.length);
    expect(decode(nb, 0, nb.length, out2, 0, out2.length)).toBe(noise.length);
    expect(out2.equals(noise)).toBe(true);
  });

  test('refuses an output that does not fit, a corrupt or truncated block, and ranges outside the buffers', () => {
    const data = Buffer.from('abcdefgh'.repeat(5000));
    const b = block(data);
    expect(decode(b, 0, b.length, Buffer.alloc(data.length), 0, data.length - 1)).toBe(-1);
    expect(decode(b, 0, b.length - 3, Buffer.alloc(data.length), 0, data.length)).toBe(-1);
    const corrupt = Buffer.from(b);
    // token 0x8f, 8 literals, then the match offset (8): one reaching before the start of the output
    expect(corrupt.readUInt16LE(9)).toBe(8);
    corrupt.writeUInt16LE(0xffff, 9);
    expect(decode(corrupt, 0, corrupt.length, Buffer.alloc(data.length), 0, data.length)).toBe(-1);
    expect(() => decode(b, 1, b.length, Buffer.alloc(10), 0, 10)).toThrow(RangeError);
    expect(() => decode(b, 0, b.length, Buffer.alloc(10), 5, 6)).toThrow(RangeError);
  });
});
