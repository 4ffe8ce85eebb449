/**
 * For broker authors embedding the Log: truncateTo (a follower cutting back to its leader, Kafka's
 * UnifiedLog.truncateTo) and the high-watermark hook (told every new log end, in order).
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logConfigFrom } from '../../core/config/log-config.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { pwriteEngine } from '../../engines/pwrite.js';

const dir = () => join(fs.mkdtempSync(join(os.tmpdir(), 'strata-trunc-')), 't-0');
const config = logConfigFrom({ 'segment.bytes': '4096', 'retention.ms': '-1', 'file.delete.delay.ms': '0' });
const batchOf = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${from + i}`.padEnd(120, '.')) }));

async function values(log: Log): Promise<string[]> {
  const out: string[] = [];
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    const batches = await log.readBatches(offset, 1 << 20);
    for (const b of batches) for (const r of b.records) if (r.offset >= offset) out.push(r.value!.toString().replace(/\.+$/, ''));
    const last = batches[batches.length - 1]!;
    offset = last.header.baseOffset + last.header.lastOffsetDelta + 1;
  }
  return out;
}

describe('Log.truncateTo', () => {
  it('cuts the batch holding the offset and everything after it, across segments; appends continue from there', async () => {
    const log = await Log.open(dir(), config, { engine: pwriteEngine, logger: silentLogger });
    for (let i = 0; i < 40; i++) await log.appendRecords(batchOf(5, i * 5));
    expect(log.segmentCount).toBeGreaterThan(3);
    // offset 52 lies in the batch 50..54: that batch goes too, the log ends at 50
    expect(await log.truncateTo(52)).toBe(50);
    expect(log.logEndOffset).toBe(50);
    expect(log.segmentBaseOffsets().every((b) => b <= 50)).toBe(true);
    expect(await values(log)).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
    expect((await log.appendRecords(batchOf(2, 1000))).firstOffset).toBe(50);
    expect((await values(log)).slice(-2)).toEqual(['v1000', 'v1001']);
    // an offset at or past the end changes nothing; below the start is refused
    expect(await log.truncateTo(10_000)).toBe(52);
    await expect(log.truncateTo(-1)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    await log.close();
  });

  it('survives a reopen: the cut bytes are gone from the files, not only from memory', async () => {
    const d = dir();
    let log = await Log.open(d, config, { engine: pwriteEngine, logger: silentLogger });
    for (let i = 0; i < 30; i++) await log.appendRecords(batchOf(5, i * 5));
    await log.truncateTo(77);
    await log.close();
    log = await Log.open(d, config, { engine: pwriteEngine, logger: silentLogger });
    expect(log.logEndOffset).toBe(75);
    expect(await values(log)).toHaveLength(75);
    await log.close();
  });
});

describe('the high-watermark hook', () => {
  it('is told each new log end in order, as appends are acknowledged and on truncation', async () => {
    const seen: number[] = [];
    const log = await Log.open(dir(), config, { engine: pwriteEngine, logger: silentLogger, onHighWatermark: (l, end) => seen.push(end) });
    await Promise.all(Array.from({ length: 20 }, (_, i) => log.appendRecords(batchOf(3, i * 3))));
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * 3));
    expect(seen.at(-1)).toBe(log.logEndOffset);
    await log.truncateTo(30);
    expect(seen.at(-1)).toBe(30);
    await log.close();
  });
});
