/**
 * TimeIndex on its own, against real files: Kafka's `.timeindex` (TimeIndex.java): 12-byte
 * entries [timestamp int64][relative offset uint32], appended only for a newer timestamp, lookups
 * that floor (before the first: (-1, baseOffset)), truncation, and a damaged file named.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TimeIndex } from '../../core/index/time-index.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'strata-time-index-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const BASE = 500;
const T0 = 1_700_000_000_000;

function kafkaBytes(entries: readonly [number, number][]): Buffer {
  const b = Buffer.alloc(entries.length * 12);
  entries.forEach(([timestamp, offset], i) => {
    b.writeBigInt64BE(BigInt(timestamp), i * 12);
    b.writeUInt32BE(offset - BASE, i * 12 + 8);
  });
  return b;
}

const make = (maxBytes = 12 * 1024, existing?: Buffer) => new TimeIndex(join(dir, '00000000000000000500.timeindex'), BASE, maxBytes, existing);

describe('TimeIndex', () => {
  it('an empty index looks up (-1, baseOffset) and has no last entry', () => {
    const index = make();
    expect(index.lastEntry()).toBeUndefined();
    expect(index.lookup(T0)).toEqual({ timestamp: -1, offset: BASE });
    expect(index.lookup(-1)).toEqual({ timestamp: -1, offset: BASE });
  });

  it('appends only a newer timestamp (Kafka maybeAppend), so equal or older ones add nothing', () => {
    const index = make();
    index.maybeAppend(T0, BASE);
    index.maybeAppend(T0, BASE + 5); // equal: skipped
    index.maybeAppend(T0 - 10, BASE + 6); // older: skipped
    index.maybeAppend(T0 + 1, BASE + 7);
    expect(index.entries).toBe(2);
    expect(index.lastEntry()).toEqual({ timestamp: T0 + 1, offset: BASE + 7 });
  });

  it('looks up the largest entry at or below: before the first, on each, between, after the last', () => {
    const index = make();
    for (let i = 0; i < 40; i++) index.maybeAppend(T0 + i * 100, BASE + i * 3);
    expect(index.lookup(T0 - 1)).toEqual({ timestamp: -1, offset: BASE });
    for (let i = 0; i < 40; i++) {
      expect(index.lookup(T0 + i * 100)).toEqual({ timestamp: T0 + i * 100, offset: BASE + i * 3 });
      expect(index.lookup(T0 + i * 100 + 99)).toEqual({ timestamp: T0 + i * 100, offset: BASE + i * 3 });
    }
    expect(index.lookup(Number.MAX_SAFE_INTEGER)).toEqual({ timestamp: T0 + 3900, offset: BASE + 117 });
  });

  it('takes entries at the limits: timestamp 0 and the largest safe one, the last relative offset', () => {
    const index = make();
    index.maybeAppend(0, BASE);
    index.maybeAppend(Number.MAX_SAFE_INTEGER, BASE + 0xffffffff);
    expect(index.lookup(1)).toEqual({ timestamp: 0, offset: BASE });
    expect(index.lastEntry()).toEqual({ timestamp: Number.MAX_SAFE_INTEGER, offset: BASE + 0xffffffff });
    const other = make();
    expect(() => other.maybeAppend(T0, BASE - 1)).toThrow(/outside the relative range of time index .*\.timeindex/);
  });

  it('refuses an offset that goes back, naming the index', () => {
    const index = make();
    index.maybeAppend(T0, BASE + 10);
    expect(() => index.maybeAppend(T0 + 1, BASE + 9)).toThrow(/goes back before 510 in .*00000000000000000500\.timeindex/);
  });

  it('when full, skips further entries (the one written on roll) instead of growing', () => {
    const index = make(12 * 4);
    for (let i = 0; i < 4; i++) index.maybeAppend(T0 + i, BASE + i);
    expect(index.isFull()).toBe(true);
    index.maybeAppend(T0 + 10, BASE + 10);
    expect(index.entries).toBe(4);
    expect(index.lastEntry()).toEqual({ timestamp: T0 + 3, offset: BASE + 3 });
  });

  it('truncateTo removes every entry whose offset is at or above the offset', () => {
    const index = make();
    for (let i = 0; i < 10; i++) index.maybeAppend(T0 + i * 10, BASE + i * 5);
    index.truncateTo(BASE + 25);
    expect(index.entries).toBe(5);
    expect(index.lastEntry()).toEqual({ timestamp: T0 + 40, offset: BASE + 20 });
    index.truncateTo(BASE + 21);
    expect(index.entries).toBe(5);
    index.truncateTo(BASE);
    expect(index.entries).toBe(0);
    expect(index.lookup(T0 + 1000)).toEqual({ timestamp: -1, offset: BASE });
    index.maybeAppend(T0 - 50, BASE + 1); // an emptied index takes any timestamp again
    expect(index.entries).toBe(1);
  });

  it('writes Kafka bytes, preallocated then trimmed, and rereads them', () => {
    const index = make();
    const entries: [number, number][] = [[T0, BASE], [T0 + 7, BASE + 3], [T0 + 5000, BASE + 900]];
    for (const [t, o] of entries) index.maybeAppend(t, o);
    index.flushToFile(12 * 1024, false);
    expect(fs.statSync(index.path).size).toBe(12 * 1024);
    index.flushToFile(0, true);
    expect(fs.readFileSync(index.path)).toEqual(kafkaBytes(entries));
    const reread = make(12 * 1024, fs.readFileSync(index.path));
    expect(reread.lookup(T0 + 10)).toEqual({ timestamp: T0 + 7, offset: BASE + 3 });
    reread.sanityCheck();
  });

  it('sanityCheck names the file and the entry that does not follow', () => {
    const bytes = kafkaBytes([[T0, BASE], [T0 + 10, BASE + 4], [T0 + 10, BASE + 8]]);
    const index = make(12 * 1024, bytes);
    expect(() => index.sanityCheck()).toThrow(new RegExp(`time index ${index.path} entry 2 \\(${T0 + 10}, 508\\) does not follow`));
    const back = make(12 * 1024, kafkaBytes([[T0, BASE + 4], [T0 + 1, BASE + 2]]));
    expect(() => back.sanityCheck()).toThrow(/entry 1/);
  });
});
