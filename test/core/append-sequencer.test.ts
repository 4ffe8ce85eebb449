/**
 * AppendSequencer and LogSegments on their own, over real segments (pwrite engine, temp dir):
 * offsets assigned into the batch headers or checked ('keep'), acknowledgements strictly in offset
 * order whatever order the writes land in, one failure failing everything behind it, the bound on
 * appends in flight, and the segment list's floor lookups and copy-on-write snapshots.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { noneCache } from '../../core/cache.js';
import { logConfigFrom } from '../../core/config/log-config.js';
import { APPEND_LANDED } from '../../core/engine.js';
import { validateBatches } from '../../core/format/batch-cursor.js';
import { readInt64 } from '../../core/format/int64.js';
import { buildBatch } from '../../core/format/records.js';
import { AppendSequencer, APPENDS_IN_FLIGHT_MAX } from '../../core/log/append-sequencer.js';
import { LogSegment } from '../../core/log/log-segment.js';
import { LogSegments } from '../../core/log/segments.js';
import { silentLogger } from '../../core/tokens.js';
import { pwriteEngine } from '../../engines/pwrite.js';

let dir: string;
const opened: LogSegment[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'strata-sequencer-'));
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close().catch(() => {});
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Bytes on the segment's file, so the sequencer's commits stay within what was written. */
async function writeBytes(seg: LogSegment, bytes: number): Promise<void> {
  await seg.append(seg.baseOffset, T0, seg.baseOffset, [Buffer.alloc(bytes)], bytes);
}

async function segment(base: number): Promise<LogSegment> {
  const s = await LogSegment.open(dir, base, logConfigFrom({}), { engine: pwriteEngine, cache: noneCache, logger: silentLogger }, true, false);
  opened.push(s);
  return s;
}

const T0 = 1_700_000_000_000;
const batches = (...counts: number[]) =>
  validateBatches(Buffer.concat(counts.map((n, b) => buildBatch(Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${i}`), timestamp: T0 + b * 100 + i })), { timestamp: T0 }))), 1 << 20);

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('AppendSequencer.place', () => {
  it("'assign' writes consecutive base offsets into the headers and names the newest timestamp's offset", () => {
    const seq = new AppendSequencer(100);
    const { buffer, layout } = batches(3, 2, 4);
    const placement = seq.place(buffer, layout, 'assign');
    expect(placement).toEqual({ firstOffset: 100, lastOffset: 108, offsetOfMaxTimestamp: 108 });
    expect(layout.positions.map((p) => readInt64(buffer, p))).toEqual([100, 103, 105]);
    expect(seq.nextOffset).toBe(100); // until written()
    seq.written(placement);
    expect(seq.place(batches(1).buffer, batches(1).layout, 'assign').firstOffset).toBe(109);
  });

  it("'keep' takes offsets at or after the log end and refuses ones below it or a gap inside one append", () => {
    const seq = new AppendSequencer(50);
    const below = batches(2); // base offset 0 as built
    expect(() => seq.place(below.buffer, below.layout, 'keep')).toThrow(/batch base offset 0 is below the log end offset 50/);
    const gap = batches(2, 2);
    gap.buffer.writeBigInt64BE(60n, gap.layout.positions[0]!);
    gap.buffer.writeBigInt64BE(70n, gap.layout.positions[1]!);
    expect(() => seq.place(gap.buffer, gap.layout, 'keep')).toThrow(/batch base offset 70 does not follow 61 \(a gap inside one append needs cleanup.policy=compact\)/);
    expect(new AppendSequencer(50, false).place(gap.buffer, gap.layout, 'keep')).toMatchObject({ firstOffset: 60, lastOffset: 71 });
    const overlap = batches(2, 2);
    overlap.buffer.writeBigInt64BE(60n, overlap.layout.positions[0]!);
    overlap.buffer.writeBigInt64BE(61n, overlap.layout.positions[1]!);
    expect(() => new AppendSequencer(50, false).place(overlap.buffer, overlap.layout, 'keep')).toThrow(/does not follow 61/);
  });
});

describe('AppendSequencer.acknowledge', () => {
  it('acknowledges in offset order: a later write landing first waits for the earlier one', async () => {
    const seg = await segment(0);
    await writeBytes(seg, 250);
    const committed: number[] = [];
    const seq = new AppendSequencer(0, true, (end) => committed.push(end));
    const first = deferred();
    const second = deferred();
    const order: string[] = [];
    const a = seq.acknowledge(first.promise, seg, 100, 9)!.then(() => order.push('a'));
    const b = seq.acknowledge(second.promise, seg, 250, 19)!.then(() => order.push('b'));
    second.resolve();
    await tick();
    expect(order).toEqual([]);
    expect(seq.logEndOffset).toBe(0);
    expect(seg.committedBytes).toBe(0);
    first.resolve();
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b']);
    expect(seq.logEndOffset).toBe(20);
    expect(seg.committedBytes).toBe(250);
    expect(committed).toEqual([10, 20]);
  });

  it('a failed write fails every append behind it, landed or not, and the flag stays', async () => {
    const seg = await segment(0);
    await writeBytes(seg, 300);
    const seq = new AppendSequencer(0);
    const first = deferred();
    const second = deferred();
    const a = seq.acknowledge(first.promise, seg, 100, 9)!;
    const b = seq.acknowledge(second.promise, seg, 200, 19)!;
    second.resolve();
    first.reject(new Error('EIO on write'));
    await expect(a).rejects.toThrow('EIO on write');
    await expect(b).rejects.toThrow('EIO on write');
    expect(seq.failure?.message).toBe('EIO on write');
    expect(seq.logEndOffset).toBe(0);
    await expect(seq.acknowledge(Promise.resolve(), seg, 300, 29)!).rejects.toThrow('EIO on write');
    await expect(seq.settle()).resolves.toBeUndefined(); // settle never rejects
  });

  it('APPEND_LANDED is acknowledged in the call, unless an earlier caller has not heard yet', async () => {
    const seg = await segment(0);
    await writeBytes(seg, 20);
    const seq = new AppendSequencer(0);
    expect(seq.acknowledge(APPEND_LANDED, seg, 10, 0)).toBeUndefined();
    expect(seq.logEndOffset).toBe(1);
    seq.beginFinishing();
    const queued = seq.acknowledge(APPEND_LANDED, seg, 20, 1);
    expect(queued).toBeInstanceOf(Promise);
    seq.endFinishing();
    await queued;
    expect(seq.logEndOffset).toBe(2);
  });
});

describe('AppendSequencer slots', () => {
  it(`bounds appends in flight at ${APPENDS_IN_FLIGHT_MAX} and hands freed slots to waiters in call order`, async () => {
    const seq = new AppendSequencer(0);
    for (let i = 0; i < APPENDS_IN_FLIGHT_MAX; i++) expect(seq.tryTakeSlot()).toBe(true);
    expect(seq.tryTakeSlot()).toBe(false);
    const got: number[] = [];
    const waiters = [1, 2, 3].map((n) => seq.waitForSlot().then(() => got.push(n)));
    seq.releaseSlot();
    seq.releaseSlot();
    await tick();
    expect(got).toEqual([1, 2]);
    seq.releaseSlot();
    await Promise.all(waiters);
    expect(got).toEqual([1, 2, 3]);
    expect(seq.tryTakeSlot()).toBe(false); // the waiters hold the freed slots
  });
});

describe('LogSegments', () => {
  it('floor finds the segment of an offset: below the first, on a base, between, past the last', async () => {
    const list = new LogSegments([await segment(0), await segment(100), await segment(250)]);
    expect(list.floor(0).baseOffset).toBe(0);
    expect(list.floor(99).baseOffset).toBe(0);
    expect(list.floor(100).baseOffset).toBe(100);
    expect(list.floor(249).baseOffset).toBe(100);
    expect(list.floor(1_000_000).baseOffset).toBe(250);
    expect(list.active.baseOffset).toBe(250);
    expect(list.snapshot().floorIndex(-5)).toBe(0);
  });

  it('a snapshot keeps its list while segments are added and removed, with the active one\'s committed bytes of its moment', async () => {
    const a = await segment(0);
    const list = new LogSegments([a]);
    // 900 bytes written, 500 of them committed when the snapshot is taken
    await a.append(0, T0, 0, [Buffer.alloc(900)], 900);
    a.commitTo(500);
    const snap = list.snapshot();
    a.commitTo(900);
    list.push(await segment(40));
    expect(snap.list.map((s) => s.baseOffset)).toEqual([0]);
    expect(snap.committedBytes(0)).toBe(500);
    expect(list.all.map((s) => s.baseOffset)).toEqual([0, 40]);
    expect(Object.isFrozen(list.all)).toBe(true);
  });

  it('refuses a segment out of base offset order and never removes the active one by retention', async () => {
    const list = new LogSegments([await segment(10)]);
    await expect(segment(5).then((s) => list.push(s))).rejects.toThrow(/base offset order/);
    expect(() => list.shiftOldest()).toThrow(/active segment is never deleted/);
    list.push(await segment(20));
    list.push(await segment(30));
    expect(list.shiftOldest().baseOffset).toBe(10);
    expect(list.removeAfter(20).map((s) => s.baseOffset)).toEqual([30]);
    expect(list.popActive().baseOffset).toBe(20);
    expect(() => list.active).toThrow(/always has an active segment/);
  });
});
