/** The shipping stream decoder: any chunking decodes the same; every kind of damage is named. */
import { describe, expect, test } from 'vitest';
import { buildBatch } from '../../core/format/records.js';
import { ShipStreamDecoder, decodeReply, encodeEnd, encodeHeader, encodeReply } from '../../engines/transfer/ship/framing.js';

function batches(count: number, first = 0, recordsPerBatch = 3, valueBytes = 100): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      buildBatch(
        Array.from({ length: recordsPerBatch }, (_, r) => ({ key: Buffer.from(`k${i}-${r}`), value: Buffer.alloc(valueBytes + i, i) })),
        { baseOffset: first + i * recordsPerBatch, timestamp: 1_000 + i },
      ),
    );
  }
  return out;
}

function stream(bs: Buffer[], startOffset = 0): Buffer {
  const bytes = bs.reduce((n, b) => n + b.length, 0);
  const next = bs.length === 0 ? startOffset : bs[bs.length - 1]!.readUInt32BE(4) + bs[bs.length - 1]!.readInt32BE(23) + 1;
  return Buffer.concat([encodeHeader({ topic: 'orders', partition: 2, startOffset }), ...bs, encodeEnd({ bytes, nextOffset: next })]);
}

/** Feeds `buf` in pieces of the given sizes (cycled) and gathers what the decoder found. */
function feed(buf: Buffer, sizes: number[], batchBytesMax = 1 << 20) {
  const d = new ShipStreamDecoder(batchBytesMax);
  const got: Buffer[] = [];
  let header;
  let end;
  let error;
  for (let pos = 0, i = 0; pos < buf.length && !error; i++) {
    const n = sizes[i % sizes.length]!;
    let r = d.push(buf.subarray(pos, pos + n));
    pos += n;
    if (r.header) {
      header = r.header;
      got.push(...r.batches.map((b) => b.buffer));
      r = d.push(Buffer.alloc(0));
    }
    got.push(...r.batches.map((b) => b.buffer));
    end ??= r.end;
    error ??= r.error;
  }
  return { decoder: d, header, batches: got, end, error };
}

describe('shipping stream decoder', () => {
  const bs = [...batches(20), ...batches(3, 60, 2, 200_000)]; // small batches, then ones > 64 KiB
  const whole = stream(bs);

  test.each([[[whole.length]], [[1]], [[7, 13, 4096]], [[65536]], [[100_003]]])('chunks of %j decode to the same batches', (sizes) => {
    const r = feed(whole, sizes);
    expect(r.error).toBeUndefined();
    expect(r.header).toEqual({ topic: 'orders', partition: 2, startOffset: 0 });
    expect(r.batches.length).toBe(bs.length);
    expect(Buffer.concat(r.batches).equals(Buffer.concat(bs))).toBe(true);
    expect(r.end).toEqual({ bytes: Buffer.concat(bs).length, nextOffset: 66 });
    expect(() => r.decoder.finish()).not.toThrow();
  });

  test('an empty stream (nothing to ship) is valid', () => {
    const r = feed(stream([], 42), [5]);
    expect(r.error).toBeUndefined();
    expect(r.end).toEqual({ bytes: 0, nextOffset: 42 });
  });

  test('a flipped payload byte is a CRC mismatch at its stream byte, after the good batches', () => {
    const bad = Buffer.from(whole);
    const header = encodeHeader({ topic: 'orders', partition: 2, startOffset: 0 }).length;
    const at = header + bs[0]!.length + bs[1]!.length;
    bad[at + 70] ^= 0xff; // inside the third batch's records
    const r = feed(bad, [1000]);
    expect(r.batches.length).toBe(2);
    expect(r.error?.message).toMatch(new RegExp(`corrupt batch at stream byte ${at}: CRC mismatch`));
    expect(() => r.decoder.finish()).toThrow(/CRC mismatch/);
  });

  test('a garbage batch length is refused before buffering it', () => {
    const bad = Buffer.from(whole);
    const header = encodeHeader({ topic: 'orders', partition: 2, startOffset: 0 }).length;
    bad.writeInt32BE(0x7fffff00, header + 8);
    const r = feed(bad, [64]);
    expect(r.batches.length).toBe(0);
    expect(r.error?.message).toMatch(/claims 2147483404 bytes, outside \[61, 1048576\]/);
  });

  test('a stream cut anywhere before its end marker is truncated, keeping the whole batches', () => {
    for (const cut of [3, 20, 200, whole.length - 1000, whole.length - 24, whole.length - 1]) {
      const r = feed(whole.subarray(0, cut), [333]);
      expect(r.error).toBeUndefined();
      expect(r.end).toBeUndefined();
      expect(() => r.decoder.finish()).toThrow(/shipping stream truncated: it ended after \d+ bytes/);
      expect(Buffer.concat(bs).subarray(0, Buffer.concat(r.batches).length).equals(Buffer.concat(r.batches))).toBe(true);
    }
  });

  test('offsets going backwards, a wrong end marker, bytes after it and a foreign stream are rejected', () => {
    const back = stream([...batches(2, 10), ...batches(1, 5)], 10);
    expect(feed(back, [4096]).error?.message).toMatch(/base offset 5, not after the previous batch's last offset 15/);
    const lying = Buffer.concat([encodeHeader({ topic: 't', partition: 0, startOffset: 0 }), ...batches(2), encodeEnd({ bytes: 1, nextOffset: 6 })]);
    expect(feed(lying, [4096]).error?.message).toMatch(/end marker .* says 1 batch bytes up to offset 6, but the stream carried \d+ bytes up to offset 6/);
    expect(feed(Buffer.concat([whole, Buffer.from('x')]), [whole.length + 1]).error?.message).toMatch(/1 bytes after the end marker/);
    expect(feed(Buffer.from('GET / HTTP/1.1\r\n\r\n'), [100]).error?.message).toMatch(/not a strata shipping stream/);
    const before = stream(batches(1, 0), 50);
    expect(feed(before, [4096]).error?.message).toMatch(/ends before the stream's start offset 50/);
  });

  test('replies round-trip', () => {
    const r = encodeReply({ ok: false, logEndOffset: 77, message: 'CRC mismatch' });
    expect(decodeReply(r.subarray(0, 10))).toBeUndefined();
    expect(decodeReply(r)).toEqual({ ok: false, logEndOffset: 77, message: 'CRC mismatch' });
  });
});
