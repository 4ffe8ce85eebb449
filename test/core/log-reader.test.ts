/**
 * LogReader on its own, over real segment files (written once by a Log, then opened as segments):
 * slices of whole batches across segments, a start inside a batch, the byte limit with and
 * without minOneBatch, the range checks, damage named by file and position, and time lookups.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { noneCache } from '../../core/cache.js';
import { CodecRegistry } from '../../core/codec.js';
import { logConfigFrom } from '../../core/config/log-config.js';
import { LogReader } from '../../core/log/log-reader.js';
import { LogSegment } from '../../core/log/log-segment.js';
import { Log } from '../../core/log/log.js';
import { LogSegments } from '../../core/log/segments.js';
import { silentLogger } from '../../core/tokens.js';
import { pwriteEngine } from '../../engines/pwrite.js';

const T0 = 1_700_000_000_000;
const BATCHES = 30;
const PER_BATCH = 10;
const END = BATCHES * PER_BATCH;
const config = logConfigFrom({ 'segment.bytes': String(8 * 1024), 'retention.ms': '-1', 'index.interval.bytes': '1024' });

let dir: string;
let list: LogSegment[];
let reader: LogReader;
let segments: LogSegments;

beforeEach(async () => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'strata-log-reader-'));
  const log = await Log.open(dir, config, { engine: pwriteEngine, logger: silentLogger });
  for (let b = 0; b < BATCHES; b++) {
    await log.appendRecords(Array.from({ length: PER_BATCH }, (_, i) => ({ key: Buffer.from(`k${b * PER_BATCH + i}`), value: Buffer.alloc(100, i), timestamp: T0 + (b * PER_BATCH + i) * 10 })));
  }
  await log.close();
  const bases = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => Number(f.slice(0, -4))).sort((a, b) => a - b);
  expect(bases.length).toBeGreaterThan(2); // the reads below cross segments
  list = [];
  for (const [i, base] of bases.entries()) {
    const segment = await LogSegment.open(dir, base, config, { engine: pwriteEngine, cache: noneCache, logger: silentLogger }, i === bases.length - 1, true);
    list.push(segment);
    await segment.loadState(); // as the loader does after a clean shutdown
  }
  segments = new LogSegments(list);
  reader = new LogReader(segments, new CodecRegistry(), config);
});
afterEach(async () => {
  for (const s of list) await s.close().catch(() => {});
  fs.rmSync(dir, { recursive: true, force: true });
});

const read = (start: number, maxBytes: number, minOneBatch = true, end = END) => reader.read(segments.snapshot(), 0, end, start, maxBytes, { minOneBatch });

describe('LogReader', () => {
  it('reads every batch from offset 0 across segments: whole batches, consecutive offsets, nextOffset at the end', async () => {
    const info = await read(0, 1 << 20);
    expect(info.slices.length).toBe(list.length);
    expect(info.bytes).toBe(list.reduce((n, s) => n + s.sizeBytes, 0));
    expect(info.firstBatchOffset).toBe(0);
    expect(info.nextOffset).toBe(END);
    const batches = await reader.decode(info, 0);
    expect(batches.flatMap((b) => b.records.map((r) => r.offset))).toEqual(Array.from({ length: END }, (_, i) => i));
  });

  it('a start inside a batch returns that batch first; reads continue from nextOffset without gaps or repeats', async () => {
    const seen: number[] = [];
    let offset = 137;
    const first = await read(offset, 3000);
    expect(first.firstBatchOffset).toBe(130);
    while (offset < END) {
      const info = await read(offset, 3000);
      expect(info.nextOffset).toBeGreaterThan(offset);
      for (const b of await reader.decode(info, offset)) for (const r of b.records) if (r.offset >= offset) seen.push(r.offset);
      offset = info.nextOffset;
    }
    expect(seen).toEqual(Array.from({ length: END - 137 }, (_, i) => 137 + i));
  });

  it('maxBytes below one batch: one whole batch with minOneBatch, nothing without', async () => {
    const one = await read(50, 10);
    expect(one.slices).toHaveLength(1);
    expect(await reader.decode(one, 50)).toHaveLength(1);
    expect(one.nextOffset).toBe(60);
    const none = await read(50, 10, false);
    expect(none.slices).toHaveLength(0);
    expect(none.nextOffset).toBe(50);
  });

  it('refuses offsets outside [logStart, logEnd], and at the log end returns nothing', async () => {
    await expect(read(END + 1, 1000)).rejects.toThrow(`offset ${END + 1} is outside the log's range [0, ${END}]`);
    await expect(reader.read(segments.snapshot(), 100, END, 99, 1000, {})).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    const atEnd = await read(END, 1000);
    expect(atEnd.slices).toHaveLength(0);
    expect(atEnd.nextOffset).toBe(END);
  });

  it('an acknowledged offset the files no longer hold is refused, naming the segment file', async () => {
    await expect(read(END, 1000, true, END + 5)).rejects.toThrow(new RegExp(`${list[list.length - 1]!.file.path}: no batch holds offset ${END}`));
  });

  it('a base offset flipped outside the CRC is refused by decode, naming the file and position', async () => {
    const target = list[1]!;
    const info = await read(target.baseOffset, 1 << 20);
    const slice = info.slices[0]!;
    expect(slice.path).toBe(target.file.path);
    // the second batch of the segment claims offsets far away; its CRC does not cover them
    const position = (await reader.decode({ ...info, slices: [slice] }, target.baseOffset))[0]!.sizeBytes;
    const fd = fs.openSync(target.file.path, 'r+');
    const bad = Buffer.alloc(8);
    bad.writeBigInt64BE(9999n);
    fs.writeSync(fd, bad, 0, 8, slice.position + position);
    fs.closeSync(fd);
    await expect(reader.decode({ ...info, slices: [slice] }, target.baseOffset)).rejects.toThrow(new RegExp(`${target.file.path}: batch at position ${slice.position + position}: base offset 9999`));
  });

  it('finds offsets by timestamp: before the first, exact, between, after the last', async () => {
    const snap = segments.snapshot();
    expect(await reader.offsetForTimestamp(snap, 0, END, T0 - 100)).toEqual({ offset: 0, timestamp: T0 });
    expect(await reader.offsetForTimestamp(snap, 0, END, T0 + 1230)).toEqual({ offset: 123, timestamp: T0 + 1230 });
    expect(await reader.offsetForTimestamp(snap, 0, END, T0 + 1235)).toEqual({ offset: 124, timestamp: T0 + 1240 });
    expect(await reader.offsetForTimestamp(snap, 0, END, T0 + END * 10)).toBeUndefined();
    expect(await reader.maxTimestampAndOffset(snap, 0, END)).toEqual({ offset: END - 1, timestamp: T0 + (END - 1) * 10 });
  });
});
