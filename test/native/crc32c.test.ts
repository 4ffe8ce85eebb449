/**
 * The addon's CRC-32C (three crc32-instruction streams joined by zero-shift tables) gives
 * @node-rs/crc32's values for every length around its block boundaries, at every alignment, with
 * and without a previous CRC; core's crc32c uses it where the CPU has it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crc32c, crc32cPortable } from '../../core/format/crc32c.js';
import { loadNative } from '../../native/index.js';

const cpuHasSse42 = process.arch === 'x64' && /\bsse4_2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));

/** Bytes that are not a repeating pattern, so a block joined in the wrong order changes the CRC. */
function noise(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  let x = 0x9e3779b9;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

describe('CRC-32C', () => {
  it('the addon exports it on an x86-64 CPU with SSE4.2, and core uses it', () => {
    if (!cpuHasSse42) return expect(process.arch === 'x64' && cpuHasSse42).toBe(false);
    const native = loadNative()?.crc32c;
    expect(native).toBeTypeOf('function');
    // the check value of CRC-32C (RFC 3720 appendix B.4's catalogue: "123456789")
    expect(native!(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('matches the portable CRC at every length around the 3 x 256 and 3 x 8192 blocks, at every alignment, with a previous CRC', () => {
    const native = loadNative()?.crc32c;
    if (!cpuHasSse42) return expect(native).toBeUndefined();
    const data = noise(3 * 8192 * 4 + 64);
    const lengths = [0, 1, 7, 8, 9, 15, 16, 255, 256, 767, 768, 769, 775, 776, 1536, 24_575, 24_576, 24_577, 24_576 + 768, 49_152 + 767, 102_400, 3 * 8192 * 4];
    let compared = 0;
    for (const length of lengths) {
      for (const offset of [0, 1, 3, 7, 8, 63]) {
        const slice = data.subarray(offset, offset + length);
        expect(native!(slice), `length ${length} at offset ${offset}`).toBe(crc32cPortable(slice));
        expect(native!(slice, 0x1234_5678), `length ${length} at offset ${offset} after 0x12345678`).toBe(crc32cPortable(slice, 0x1234_5678));
        compared += 2;
      }
    }
    expect(compared).toBe(lengths.length * 6 * 2);
    // continuing a CRC over two halves gives the CRC of the whole
    const whole = data.subarray(0, 100_000);
    expect(native!(whole.subarray(40_001), native!(whole.subarray(0, 40_001)))).toBe(crc32cPortable(whole));
  });

  it('refuses what is not a Buffer and a previous CRC that is not a 32-bit unsigned integer', () => {
    const native = loadNative()?.crc32c;
    if (!cpuHasSse42) return expect(native).toBeUndefined();
    expect(() => native!('abc' as unknown as Buffer)).toThrow(/data/);
    expect(() => native!(Buffer.alloc(4), -1)).toThrow(/previous/);
    expect(() => native!(Buffer.alloc(4), 2 ** 32)).toThrow(/previous/);
  });
});
