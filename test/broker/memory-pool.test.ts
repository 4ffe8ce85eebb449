/** MemoryPool (queued.max.request.bytes) and the FrameDecoder's admission of a frame before its body. */
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../broker/frame-decoder.js';
import { MemoryPool } from '../../broker/memory-pool.js';

function sized(body: Buffer): Buffer {
  const b = Buffer.alloc(4 + body.length);
  b.writeInt32BE(body.length, 0);
  body.copy(b, 4);
  return b;
}

describe('MemoryPool', () => {
  it('never goes past its capacity; a small reservation fits beside a large one waiting', () => {
    const pool = new MemoryPool(100);
    expect(pool.tryReserve(60)).toBe(true);
    expect(pool.tryReserve(50)).toBe(false);
    const woken: string[] = [];
    const stopLarge = pool.onRelease(() => woken.push('large'));
    expect(pool.tryReserve(40)).toBe(true); // the large one waiting does not hold the small one back
    pool.release(40);
    expect(woken).toEqual(['large']);
    stopLarge();
    pool.release(60);
    expect(woken).toEqual(['large']);
    expect(pool.reservedBytes).toBe(0);
    expect(() => pool.release(1)).toThrow(/releasing 1 bytes of 0 reserved/);
  });

  it('-1 is unbounded', () => {
    const pool = new MemoryPool(-1);
    expect(pool.tryReserve(2 ** 40)).toBe(true);
  });
});

describe('FrameDecoder admission', () => {
  it('reads no body until the frame is admitted, then returns it whole', () => {
    let allow = false;
    const asked: number[] = [];
    const d = new FrameDecoder(1000, (n) => (asked.push(n), allow));
    const frame = sized(Buffer.alloc(100, 1));
    expect(d.push(frame.subarray(0, 50))).toEqual([]);
    expect(d.waitingForMemory).toBe(true);
    expect(d.admittedPartialBytes).toBe(0);
    allow = true;
    expect(d.push()).toEqual([]);
    expect(d.waitingForMemory).toBe(false);
    expect(d.admittedPartialBytes).toBe(100);
    const [whole] = d.push(frame.subarray(50));
    expect(whole).toEqual(Buffer.alloc(100, 1));
    expect(asked).toEqual([100, 100]);
  });

  it('a frame in pieces is assembled in one buffer of its size; frames after it still come out', () => {
    const d = new FrameDecoder(1 << 20);
    const a = sized(Buffer.alloc(300_000, 2));
    const b = sized(Buffer.alloc(20, 3));
    const stream = Buffer.concat([a, b]);
    const frames: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 7001) frames.push(...d.push(stream.subarray(i, i + 7001)));
    expect(frames.map((f) => f.length)).toEqual([300_000, 20]);
    expect(frames[0]!.equals(Buffer.alloc(300_000, 2))).toBe(true);
    expect(frames[1]!.equals(Buffer.alloc(20, 3))).toBe(true);
    expect(d.bufferedBytes).toBe(0);
  });
});
