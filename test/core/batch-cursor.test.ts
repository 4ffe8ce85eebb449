/**
 * The batch walk on its own (core/format/batch-cursor.ts): a cursor stepping from one real
 * RecordBatch v2 to the next by its size, and validateBatches' layout and errors, each error naming
 * the position of the batch at fault.
 */
import { describe, expect, it } from 'vitest';
import { BatchCursor, validateBatches } from '../../core/format/batch-cursor.js';
import { CRC_OFFSET, LOG_OVERHEAD_BYTES } from '../../core/format/record-batch.js';
import { buildBatch } from '../../core/format/records.js';

const T0 = 1_700_000_000_000;
const batch = (n: number, ts: number, valueBytes = 50) =>
  buildBatch(Array.from({ length: n }, (_, i) => ({ value: Buffer.alloc(valueBytes, i), timestamp: ts + i })), { timestamp: ts });

/** Three batches back to back: 3, 1 and 5 records, the middle one holding the newest timestamp. */
function three(): { buf: Buffer; parts: Buffer[] } {
  const parts = [batch(3, T0), batch(1, T0 + 10_000, 300), batch(5, T0 + 100)];
  return { buf: Buffer.concat(parts), parts };
}

describe('BatchCursor', () => {
  it('steps from batch to batch by its size and reads each header field in place', () => {
    const { buf, parts } = three();
    const cursor = new BatchCursor(buf);
    const seen: { position: number; size: number; delta: number; count: number; max: number }[] = [];
    while (cursor.remaining > 0) {
      seen.push({ position: cursor.position, size: cursor.sizeBytes(), delta: cursor.lastOffsetDelta(), count: cursor.recordsCount(), max: cursor.maxTimestamp() });
      cursor.advance();
    }
    expect(cursor.position).toBe(buf.length);
    expect(seen.map((s) => s.size)).toEqual(parts.map((p) => p.length));
    expect(seen.map((s) => s.position)).toEqual([0, parts[0]!.length, parts[0]!.length + parts[1]!.length]);
    expect(seen.map((s) => s.delta)).toEqual([2, 0, 4]);
    expect(seen.map((s) => s.count)).toEqual([3, 1, 5]);
    expect(seen.map((s) => s.max)).toEqual([T0 + 2, T0 + 10_000, T0 + 104]);
  });

  it('a cursor over a window starts and stops inside a larger buffer', () => {
    const { buf, parts } = three();
    const start = parts[0]!.length;
    const cursor = new BatchCursor(buf, start, start + parts[1]!.length);
    expect(cursor.remaining).toBe(parts[1]!.length);
    expect(cursor.recordsCount()).toBe(1);
    cursor.advance();
    expect(cursor.remaining).toBe(0);
  });
});

describe('validateBatches', () => {
  it('gives the layout: positions, last offset deltas, records, the batch of the newest timestamp', () => {
    const { buf, parts } = three();
    const { layout, buffer } = validateBatches(buf, 1 << 20);
    expect(buffer).toBe(buf);
    expect(layout.positions).toEqual([0, parts[0]!.length, parts[0]!.length + parts[1]!.length]);
    expect(layout.lastOffsetDeltas).toEqual([2, 0, 4]);
    expect(layout.records).toBe(9);
    expect(layout.maxTimestamp).toBe(T0 + 10_000);
    expect(layout.offsetOfMaxTimestampIndex).toBe(1);
  });

  it('takes a batch exactly at message.max.bytes and refuses one byte less, naming its position and size', () => {
    const { buf, parts } = three();
    const largest = Math.max(...parts.map((p) => p.length));
    expect(validateBatches(buf, largest).layout.positions).toHaveLength(3);
    expect(() => validateBatches(buf, largest - 1)).toThrow(
      new RegExp(`record batch of ${largest} bytes at position ${parts[0]!.length} exceeds message.max.bytes \\(${largest - 1}\\)`),
    );
  });

  it('refuses an empty buffer', () => {
    expect(() => validateBatches(Buffer.alloc(0), 1 << 20)).toThrow(/append of an empty buffer/);
  });

  it('refuses a torn last batch, a short tail and a bad CRC, each naming the position', () => {
    const { buf, parts } = three();
    const last = parts[0]!.length + parts[1]!.length;
    expect(() => validateBatches(buf.subarray(0, buf.length - 1), 1 << 20)).toThrow(new RegExp(`at position ${last} runs past the end`));
    expect(() => validateBatches(Buffer.concat([buf, Buffer.alloc(LOG_OVERHEAD_BYTES - 1)]), 1 << 20)).toThrow(new RegExp(`at position ${buf.length}`));
    const flipped = Buffer.from(buf);
    flipped[parts[0]!.length + CRC_OFFSET + 1]! ^= 0xff;
    let error: unknown;
    try {
      validateBatches(flipped, 1 << 20);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ position: parts[0]!.length });
    expect(String((error as Error).message)).toMatch(/crc|CRC/);
  });

  it('refuses a batch length smaller than a header and a zeroed header, naming the position', () => {
    const { buf, parts } = three();
    const bad = Buffer.from(buf);
    bad.writeInt32BE(10, parts[0]!.length + 8);
    expect(() => validateBatches(bad, 1 << 20)).toThrow(new RegExp(`batch length 10 at position ${parts[0]!.length}`));
    expect(() => validateBatches(Buffer.concat([parts[0]!, Buffer.alloc(100)]), 1 << 20)).toThrow(new RegExp(`position ${parts[0]!.length}`));
  });
});
