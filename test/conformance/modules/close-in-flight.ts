/**
 * Closed and closing (abstract-level's traits): an operation issued while a close is in flight
 * either completes or fails with a clear closed error (LOG_CLOSED), never hangs and never leaves
 * the file other than the appends in call order; once closed, every operation fails as closed.
 * Run on the engine's SegmentFile and through the Log.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { join } from 'node:path';
import type { LogAppendInfo } from '../../../core/log/log.js';
import { readAll, records, type Suite } from '../context.js';

/** Generous: an operation that has not settled by then hangs. */
const HANG_GUARD_MS = 20_000;

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** The outcome of `run`, a synchronous throw included. */
async function settle<T>(run: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return { ok: false, error };
  }
}

async function withinGuard<T>(what: string, all: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${HANG_GUARD_MS} ms (hung)`)), HANG_GUARD_MS);
  });
  try {
    return await Promise.race([all, hang]);
  } finally {
    clearTimeout(timer);
  }
}

function assertClosedError(what: string, error: unknown): void {
  const e = error as { code?: unknown; message?: unknown };
  assert.equal(e?.code, 'LOG_CLOSED', `${what} failed with ${String(e?.code)}: ${String(e?.message ?? error)}, not a closed error (LOG_CLOSED)`);
}

function assertCompletedOrClosed(what: string, outcome: Settled<unknown>): void {
  if (!outcome.ok) assertClosedError(what, outcome.error);
}

const chunk = (n: number, fill: number) => Buffer.alloc(n, fill);

export function closeInFlight(suite: Suite): void {
  suite.test('SegmentFile: appends, a read and a flush issued around close complete or fail as closed; the file holds whole appends in order', async (s) => {
    const path = join(s.dir(), '00000000000000000000.log');
    const file = await s.openFile(path, { preallocateBytes: 1 << 20 });
    const first = chunk(1000, 0xee);
    await file.append([first], first.length);
    const appends = Array.from({ length: 32 }, (_, i) => chunk(4096 + i, i + 1));
    const pending = appends.slice(0, 24).map((c) => settle(() => file.append([c], c.length)));
    const read = settle(() => file.read(0, first.length));
    const flush = settle(() => file.flush());
    const closing = settle(() => file.close());
    // issued while the close is in flight
    const late = appends.slice(24).map((c) => settle(() => file.append([c], c.length)));
    const lateRead = settle(() => file.read(0, first.length));
    const lateFlush = settle(() => file.flush());
    const [outcomes, readOutcome, flushOutcome, closeOutcome, lateOutcomes, lateReadOutcome, lateFlushOutcome] = await withinGuard(
      'operations around close',
      Promise.all([Promise.all(pending), read, flush, closing, Promise.all(late), lateRead, lateFlush]),
    );
    assert.ok(closeOutcome.ok, `close failed: ${String(!closeOutcome.ok && closeOutcome.error)}`);
    const all = [...outcomes, ...lateOutcomes];
    all.forEach((o, i) => assertCompletedOrClosed(`append ${i}`, o));
    assertCompletedOrClosed('read', readOutcome);
    if (readOutcome.ok) assert.ok(readOutcome.value.equals(first), 'a read completed around close returns the file bytes');
    assertCompletedOrClosed('read issued while closing', lateReadOutcome);
    if (lateReadOutcome.ok) assert.ok(lateReadOutcome.value.equals(first), 'a read completed while closing returns the file bytes');
    assertCompletedOrClosed('flush', flushOutcome);
    assertCompletedOrClosed('flush issued while closing', lateFlushOutcome);
    // completed appends are a prefix of the calls: a completed append after a failed one is a hole
    const completed = all.findIndex((o) => !o.ok);
    const completedCount = completed < 0 ? all.length : completed;
    assert.ok(all.slice(completedCount).every((o) => !o.ok), `an append completed after append ${completedCount} failed as closed`);
    // the file holds the first bytes and whole appends in call order, at least every completed one
    const onDisk = fs.readFileSync(path);
    let expectedBytes = first.length;
    let wholeAppends = 0;
    while (wholeAppends < appends.length && expectedBytes + appends[wholeAppends]!.length <= onDisk.length) expectedBytes += appends[wholeAppends++]!.length;
    assert.equal(onDisk.length, expectedBytes, `the closed file is ${onDisk.length} bytes: not the first bytes and whole appends (${wholeAppends} fit in ${expectedBytes})`);
    assert.ok(wholeAppends >= completedCount, `the closed file holds ${wholeAppends} appends, ${completedCount} completed`);
    assert.ok(onDisk.equals(Buffer.concat([first, ...appends.slice(0, wholeAppends)])), 'the closed file holds the appends in call order');
    // once closed: every operation fails as closed, close again is a no-op
    for (const [what, run] of [
      ['append', () => file.append([chunk(10, 1)], 10)],
      ['read', () => file.read(0, 10)],
      ['flush', () => file.flush()],
      ['truncate', () => file.truncate(0)],
    ] as const) {
      const outcome = await withinGuard(`${what} after close`, settle<unknown>(run));
      assert.ok(!outcome.ok, `${what} after close completed`);
      assertClosedError(`${what} after close`, outcome.error);
    }
    await withinGuard('a second close', file.close());
    assert.equal(fs.statSync(path).size, expectedBytes, 'calls after close changed the file');
  });

  suite.test('Log: appends, a read and a flush issued around close complete or fail as closed; every acknowledged record is there after a reopen', async (s) => {
    const dir = s.dir();
    const log = await s.openLog(dir, { 'segment.bytes': String(16 * 1024) });
    await log.appendRecords(records(5, 0));
    const perAppend = 3;
    const count = 30;
    const pending = Array.from({ length: count }, (_, i) => settle(() => log.appendRecords(records(perAppend, 5 + i * perAppend))));
    const read = settle(() => log.readBatches(0, 1 << 20));
    const flush = settle(() => log.flush());
    const closing = settle(() => log.close());
    const late = settle(() => log.appendRecords(records(1, 5 + count * perAppend)));
    const lateRead = settle(() => log.readBatches(0, 1 << 20));
    const [outcomes, readOutcome, flushOutcome, closeOutcome, lateOutcome, lateReadOutcome] = await withinGuard(
      'log operations around close',
      Promise.all([Promise.all(pending), read, flush, closing, late, lateRead]),
    );
    assert.ok(closeOutcome.ok, `close failed: ${String(!closeOutcome.ok && closeOutcome.error)}`);
    outcomes.forEach((o, i) => assertCompletedOrClosed(`append ${i}`, o));
    assertCompletedOrClosed('read', readOutcome);
    assertCompletedOrClosed('flush', flushOutcome);
    assertCompletedOrClosed('append issued while closing', lateOutcome);
    assertCompletedOrClosed('read issued while closing', lateReadOutcome);
    if (readOutcome.ok) assert.ok(readOutcome.value.length > 0 && readOutcome.value[0]!.header.baseOffset === 0, 'a read completed around close starts at offset 0');
    const acknowledged = outcomes.flatMap((o) => (o.ok ? [o.value as LogAppendInfo] : []));
    if (lateOutcome.ok) acknowledged.push(lateOutcome.value);
    for (const [what, run] of [
      ['append', () => log.appendRecords(records(1, 0))],
      ['read', () => log.readBatches(0, 1024)],
      ['flush', () => log.flush()],
    ] as const) {
      const outcome = await withinGuard(`${what} after close`, settle<unknown>(run));
      assert.ok(!outcome.ok, `${what} on a closed log completed`);
      assertClosedError(`${what} after close`, outcome.error);
    }
    // reopened: consecutive offsets, the records as appended, every acknowledged one there
    const reopened = await s.openLog(dir, { 'segment.bytes': String(16 * 1024) });
    const back = await readAll(reopened);
    assert.deepEqual(back.map((r) => r.offset), Array.from({ length: back.length }, (_, i) => i), 'offsets are consecutive after the reopen');
    back.forEach((r) => assert.equal(r.key, `key-${r.offset}`, `record ${r.offset} is not the one appended at that offset`));
    for (const info of acknowledged) {
      assert.ok(info.lastOffset < back.length, `acknowledged offsets ${info.firstOffset}..${info.lastOffset} are gone after the reopen (log end ${back.length})`);
    }
  });
}
