/**
 * OffsetIndex on its own, against real files: Kafka's `.index` (OffsetIndex.java): 8-byte
 * entries [relative offset uint32][position uint32], lookups that floor, truncation, the file
 * preallocated while active and trimmed to its entries, and a damaged file named by path and entry.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OffsetIndex, OFFSET_INDEX_ENTRY_BYTES } from '../../core/index/offset-index.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'strata-offset-index-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const BASE = 1000;
/** Kafka's bytes for entries (offset, position) of an index at BASE. */
function kafkaBytes(entries: readonly [number, number][]): Buffer {
  const b = Buffer.alloc(entries.length * 8);
  entries.forEach(([offset, position], i) => {
    b.writeUInt32BE(offset - BASE, i * 8);
    b.writeUInt32BE(position, i * 8 + 4);
  });
  return b;
}

/** An index at BASE with an entry every 10 offsets, each 4096 bytes further. */
function filled(n: number, maxBytes = 8 * 1024): OffsetIndex {
  const index = new OffsetIndex(join(dir, '00000000000000001000.index'), BASE, maxBytes);
  for (let i = 0; i < n; i++) index.append(BASE + i * 10, i * 4096);
  return index;
}

describe('OffsetIndex', () => {
  it('an empty index looks up (baseOffset, 0) for any offset and has no last entry', () => {
    const index = filled(0);
    expect(index.entries).toBe(0);
    expect(index.lastEntry()).toBeUndefined();
    expect(index.lookup(0)).toEqual({ offset: BASE, position: 0 });
    expect(index.lookup(BASE + 1_000_000)).toEqual({ offset: BASE, position: 0 });
    expect(index.lookupByPosition(12345)).toEqual({ offset: BASE, position: 0 });
  });

  it('looks up the largest entry at or below: before the first, on each entry, between, after the last', () => {
    const index = new OffsetIndex(join(dir, 'x.index'), BASE, 8 * 1024);
    index.append(BASE + 5, 100); // first entry above the base: offsets below it fall back to the base
    for (let i = 1; i < 50; i++) index.append(BASE + 5 + i * 10, 100 + i * 4096);
    expect(index.lookup(BASE)).toEqual({ offset: BASE, position: 0 });
    expect(index.lookup(BASE + 4)).toEqual({ offset: BASE, position: 0 });
    for (let i = 0; i < 50; i++) {
      const entry = { offset: BASE + 5 + i * 10, position: 100 + i * 4096 };
      expect(index.lookup(entry.offset)).toEqual(entry);
      expect(index.lookup(entry.offset + 9)).toEqual(entry);
      expect(index.lookupByPosition(entry.position)).toEqual(entry);
      expect(index.lookupByPosition(entry.position + 4095)).toEqual(entry);
    }
    expect(index.lookup(Number.MAX_SAFE_INTEGER)).toEqual({ offset: BASE + 5 + 490, position: 100 + 49 * 4096 });
    expect(index.lookupByPosition(50)).toEqual({ offset: BASE, position: 0 });
  });

  it('takes entries at the limits of the relative range and refuses offsets outside it', () => {
    const index = new OffsetIndex(join(dir, 'x.index'), BASE, 1024);
    index.append(BASE, 0);
    index.append(BASE + 0xffffffff, 0xffffffff);
    expect(index.lookup(BASE + 0xfffffffe)).toEqual({ offset: BASE, position: 0 });
    expect(index.lastEntry()).toEqual({ offset: BASE + 0xffffffff, position: 0xffffffff });
    const other = new OffsetIndex(join(dir, 'y.index'), BASE, 1024);
    expect(() => other.append(BASE - 1, 0)).toThrow(/outside the relative range of index .*y\.index/);
    expect(() => other.append(BASE + 0x100000000, 0)).toThrow(/outside the relative range/);
  });

  it('refuses an entry that is not after the last one, naming the index', () => {
    const index = filled(3);
    expect(() => index.append(BASE + 20, 3 * 4096)).toThrow(/not after the last one .*00000000000000001000\.index/);
    expect(() => index.append(BASE + 30, 2 * 4096)).toThrow(/not after the last one/);
    expect(index.entries).toBe(3);
  });

  it('is full at maxIndexBytes / 8 entries and refuses one more', () => {
    const index = filled(16, 16 * OFFSET_INDEX_ENTRY_BYTES + 7); // a partial entry's worth of room does not count
    expect(index.maxEntries).toBe(16);
    expect(index.isFull()).toBe(true);
    expect(() => index.append(BASE + 1000, 1 << 20)).toThrow(/is full \(16 entries\)/);
    expect(() => new OffsetIndex(join(dir, 'z.index'), BASE, 7)).toThrow(/room for at least one 8-byte entry/);
  });

  it('truncateTo removes every entry at or above the offset (Kafka truncateTo)', () => {
    const index = filled(10); // offsets BASE, BASE+10, ..., BASE+90
    index.truncateTo(BASE + 95);
    expect(index.entries).toBe(10);
    index.truncateTo(BASE + 50); // an entry's own offset goes too
    expect(index.entries).toBe(5);
    expect(index.lastEntry()).toEqual({ offset: BASE + 40, position: 4 * 4096 });
    index.truncateTo(BASE + 41); // between entries: the one below stays
    expect(index.entries).toBe(5);
    index.truncateTo(BASE - 5); // below everything
    expect(index.entries).toBe(0);
    index.append(BASE + 3, 10); // appends go on from the cut
    expect(index.lookup(BASE + 100)).toEqual({ offset: BASE + 3, position: 10 });
  });

  it('writes Kafka bytes: preallocated while active, trimmed to its entries, reread as written', () => {
    const path = join(dir, '00000000000000001000.index');
    const index = new OffsetIndex(path, BASE, 8 * 1024);
    const entries: [number, number][] = [[BASE + 1, 10], [BASE + 7, 5000], [BASE + 300, 70000]];
    for (const [o, p] of entries) index.append(o, p);
    index.flushToFile(8 * 1024, false);
    expect(fs.statSync(path).size).toBe(8 * 1024);
    expect(fs.readFileSync(path).subarray(0, 24)).toEqual(kafkaBytes(entries));
    expect(fs.readFileSync(path).subarray(24).every((b) => b === 0)).toBe(true);
    index.append(BASE + 400, 80000);
    index.flushToFile(0, true); // roll: trimmed to exactly the entries
    entries.push([BASE + 400, 80000]);
    expect(fs.readFileSync(path)).toEqual(kafkaBytes(entries));
    const reread = new OffsetIndex(path, BASE, 8 * 1024, fs.readFileSync(path));
    expect(reread.entries).toBe(4);
    expect(reread.lookup(BASE + 350)).toEqual({ offset: BASE + 300, position: 70000 });
    reread.sanityCheck();
  });

  it('a truncation reaches the file on the next flush, and an index rebuilt from scratch drops an older file', () => {
    const index = filled(6);
    const path = index.path;
    index.flushToFile(0, false);
    index.truncateTo(BASE + 20);
    index.flushToFile(0, false);
    expect(fs.readFileSync(path)).toEqual(kafkaBytes([[BASE, 0], [BASE + 10, 4096]]));
    const fresh = new OffsetIndex(path, BASE, 8 * 1024); // e.g. recovery rebuilding it, then active
    fresh.append(BASE + 1, 7);
    fresh.flushToFile(8 * 1024, false);
    // no stale entry of the older file in the preallocated tail
    expect(fs.readFileSync(path)).toEqual(Buffer.concat([kafkaBytes([[BASE + 1, 7]]), Buffer.alloc(8 * 1024 - 8)]));
  });

  it('a file with a partial last entry keeps its whole entries (Kafka rounds the length down)', () => {
    const bytes = Buffer.concat([kafkaBytes([[BASE, 0], [BASE + 10, 4096]]), Buffer.from([1, 2, 3])]);
    const index = new OffsetIndex(join(dir, 'x.index'), BASE, 8 * 1024, bytes);
    expect(index.entries).toBe(2);
    expect(index.lookup(BASE + 11)).toEqual({ offset: BASE + 10, position: 4096 });
  });

  it('sanityCheck names the file and the entry that does not follow', () => {
    const path = join(dir, '00000000000000001000.index');
    const bytes = kafkaBytes([[BASE, 0], [BASE + 10, 4096], [BASE + 10, 8192], [BASE + 30, 9000]]);
    const index = new OffsetIndex(path, BASE, 8 * 1024, bytes);
    expect(() => index.sanityCheck()).toThrow(new RegExp(`offset index ${path} entry 2 \\(1010, 8192\\) does not follow \\(1010, 4096\\)`));
    const backwards = new OffsetIndex(path, BASE, 8 * 1024, kafkaBytes([[BASE, 100], [BASE + 10, 50]]));
    expect(() => backwards.sanityCheck()).toThrow(/entry 1 \(1010, 50\)/);
  });
});
