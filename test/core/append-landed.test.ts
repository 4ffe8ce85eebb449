/**
 * Appends that land in the call: an engine that wrote an append's bytes before returning (the
 * -blocking engines, mmap, and the inline writers while idle) lets the Log acknowledge the append at
 * once instead of after a round of promise callbacks (core/engine.ts, APPEND_LANDED). Tested by what
 * a caller sees: the append is visible (log end offset, reads) as soon as append() returns; the
 * shortcut never overtakes an earlier append still waiting for its engine; and an engine whose write
 * is still in the threadpool is acknowledged only when the write completes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { logConfigFrom } from '../../core/config/log-config.js';
import type { StorageEngine } from '../../core/engine.js';
import { buildBatch } from '../../core/format/records.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { fsyncPerWriteBlockingEngine } from '../../engines/fsync-per-write-blocking.js';
import { mmapEngine } from '../../engines/mmap.js';
import { pwriteBlockingEngine } from '../../engines/pwrite-blocking.js';
import { fsyncPerWriteEngine } from '../../engines/fsync-per-write.js';
import { PwriteSegmentFile } from '../../engines/pwrite-file.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { wrapAppend } from '../support/wrap-append.js';
import { loadNative } from '../../native/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'strata-landed-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const config = () => logConfigFrom({ 'retention.ms': '-1' });
const batchOf = (value: string) => buildBatch([{ value: Buffer.from(value) }]);

// pwrite and fsync-per-write land their appends too while the writer is idle (inline writes)
const landedEngines: StorageEngine[] = [pwriteEngine, pwriteBlockingEngine, fsyncPerWriteEngine, fsyncPerWriteBlockingEngine, ...(loadNative() ? [mmapEngine] : [])];

for (const engine of landedEngines) {
  test(`${engine.name}: an append is acknowledged and readable as soon as append() returns`, async () => {
    const log = await Log.open(join(dir, 't-0'), config(), { engine, logger: silentLogger });
    try {
      const appended = log.append(batchOf('first'));
      // no await yet: the Log acknowledged the append in the call itself
      expect(log.logEndOffset).toBe(1);
      await expect(appended).resolves.toMatchObject({ firstOffset: 0, lastOffset: 0 });
      const second = log.append(batchOf('second'));
      expect(log.logEndOffset).toBe(2);
      await second;
      const batches = await log.readBatches(0, 1 << 20);
      expect(batches.flatMap((b) => b.records.map((r) => r.value?.toString()))).toEqual(['first', 'second']);
    } finally {
      await log.close();
    }
  });
}

test('an engine returning some other resolved promise goes the general way: acknowledged a step later', async () => {
  const engine = wrapAppend(pwriteBlockingEngine, (append) => (chunks, bytes) => append(chunks, bytes).then(() => undefined));
  const log = await Log.open(join(dir, 't-0'), config(), { engine, logger: silentLogger });
  try {
    const appended = log.append(batchOf('only'));
    expect(log.logEndOffset).toBe(0);
    await appended;
    expect(log.logEndOffset).toBe(1);
  } finally {
    await log.close();
  }
});

test('a landed append behind one still in its engine waits for it, and callers hear them in offset order', async () => {
  // the first append's acknowledgement is held back by its engine; the second lands in the call
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let calls = 0;
  const engine = wrapAppend(pwriteBlockingEngine, (append) => (chunks, bytes) => {
    const written = append(chunks, bytes);
    return calls++ === 0 ? written.then(() => held) : written;
  });
  const logDir = join(dir, 't-0');
  const log = await Log.open(logDir, config(), { engine, logger: silentLogger });
  try {
    const heard: number[] = [];
    const first = log.append(batchOf('held')).then((info) => heard.push(info.firstOffset));
    const second = log.append(batchOf('landed')).then((info) => heard.push(info.firstOffset));
    // both appends' bytes are in the file already (no await yet), yet neither is acknowledged
    const segment = readFileSync(join(logDir, '00000000000000000000.log'));
    expect(segment.length).toBe(batchOf('held').length + batchOf('landed').length);
    expect(log.logEndOffset).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.logEndOffset).toBe(0);
    expect(heard).toEqual([]);
    release();
    await Promise.all([first, second]);
    expect(heard).toEqual([0, 1]);
    expect(log.logEndOffset).toBe(2);
  } finally {
    release(); // so close() does not wait forever for the held write when an expectation failed
    await log.close();
  }
});

test('a writer without inline writes (every write in the threadpool) is acknowledged when its write completes', async () => {
  const threadpoolOnly: StorageEngine = { ...pwriteEngine, name: 'threadpool-only', open: (path, options) => PwriteSegmentFile.open(path, options) };
  const log = await Log.open(join(dir, 't-0'), config(), { engine: threadpoolOnly, logger: silentLogger });
  try {
    const appended = log.append(batchOf('x'));
    // the write is in the threadpool: its completion cannot have reached this thread yet
    expect(log.logEndOffset).toBe(0);
    await expect(appended).resolves.toMatchObject({ firstOffset: 0 });
    expect(log.logEndOffset).toBe(1);
  } finally {
    await log.close();
  }
});

test('a landed append made after an earlier one was acknowledged, but before its caller heard, is heard second', async () => {
  // the first append's engine promise is `firstWritten` itself (its bytes are written in the call);
  // the second append is made by a callback on that promise registered after the Log's own, so it
  // runs after the Log acknowledged the first append but before the first append's promise settles
  let resolveFirst!: () => void;
  const firstWritten = new Promise<void>((resolve) => (resolveFirst = resolve));
  let calls = 0;
  const engine = wrapAppend(pwriteBlockingEngine, (append) => (chunks, bytes) => {
    const written = append(chunks, bytes);
    return calls++ === 0 ? firstWritten : written;
  });
  const log = await Log.open(join(dir, 't-0'), config(), { engine, logger: silentLogger });
  try {
    const heard: number[] = [];
    const first = log.append(batchOf('first')).then((info) => heard.push(info.firstOffset));
    let second: Promise<number> | undefined;
    const madeSecond = firstWritten.then(() => {
      expect(log.logEndOffset).toBe(1); // the Log's callback ran first: the first append is acknowledged
      second = log.append(batchOf('second')).then((info) => heard.push(info.firstOffset));
    });
    resolveFirst();
    await madeSecond;
    await Promise.all([first, second]);
    expect(heard).toEqual([0, 1]);
  } finally {
    resolveFirst();
    await log.close();
  }
});
