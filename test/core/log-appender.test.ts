/**
 * LogAppender on its own, over real segment files (pwrite engine, temp dir): offsets written into
 * the stored batches, rolls by segment.bytes and by segment.ms (the batches' timestamps, as Kafka's
 * shouldRoll), flush.messages moving the recovery point, and an unusable log refusing before any
 * byte is written.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { noneCache } from '../../core/cache.js';
import { logConfigFrom } from '../../core/config/log-config.js';
import { StrataError } from '../../core/errors.js';
import { validateBatches } from '../../core/format/batch-cursor.js';
import { buildBatch } from '../../core/format/records.js';
import { AppendSequencer } from '../../core/log/append-sequencer.js';
import { LogAppender, type LogAppendInfo } from '../../core/log/log-appender.js';
import { LogSegment } from '../../core/log/log-segment.js';
import { LogSegments } from '../../core/log/segments.js';
import { silentLogger } from '../../core/tokens.js';
import { pwriteEngine } from '../../engines/pwrite.js';

const T0 = 1_700_000_000_000;
let dir: string;
let segments: LogSegments;

beforeEach(() => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'strata-appender-'));
});
afterEach(async () => {
  for (const s of segments?.all ?? []) await s.close().catch(() => {});
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Harness {
  appender: LogAppender;
  sequencer: AppendSequencer;
  rolls: number;
  usable: { ok: boolean };
  append(records: number, timestamp?: number, valueBytes?: number): ReturnType<LogAppender['appendChunks']>;
}

async function harness(props: Record<string, string> = {}): Promise<Harness> {
  const config = logConfigFrom({ 'retention.ms': '-1', ...props });
  const deps = { engine: pwriteEngine, cache: noneCache, logger: silentLogger };
  segments = new LogSegments([await LogSegment.open(dir, 0, config, deps, true, false)]);
  const sequencer = new AppendSequencer(0);
  const usable = { ok: true };
  const h: Harness = {
    appender: undefined as unknown as LogAppender,
    sequencer,
    rolls: 0,
    usable,
    append(records, timestamp = T0, valueBytes = 100) {
      const v = validateBatches(buildBatch(Array.from({ length: records }, (_, i) => ({ value: Buffer.alloc(valueBytes, i), timestamp: timestamp + i })), { timestamp }), 1 << 20);
      return h.appender.appendChunks([v.buffer], v.buffer.length, v.layout, 'assign');
    },
  };
  const checkUsable = () => {
    if (!usable.ok) throw new StrataError('LOG_CLOSED', `log ${dir} is closed`);
  };
  h.appender = new LogAppender(dir, config, segments, sequencer, deps, () => T0, checkUsable, async () => void h.rolls++, 0);
  return h;
}

describe('LogAppender', () => {
  it('assigns offsets into the stored batches and reports the append', async () => {
    const h = await harness();
    const a = await h.append(3);
    const b = await h.append(2, T0 + 50);
    expect(a).toMatchObject({ firstOffset: 0, lastOffset: 2, records: 3, batches: 1 });
    expect(b).toMatchObject({ firstOffset: 3, lastOffset: 4, records: 2, batches: 1, maxTimestamp: T0 + 51 });
    const file = fs.readFileSync(segments.active.file.path);
    expect(file.readBigInt64BE(0)).toBe(0n);
    expect(file.readBigInt64BE(a.bytes)).toBe(3n);
    expect(h.sequencer.logEndOffset).toBe(5);
  });

  it('rolls before an append the active segment cannot take (segment.bytes), at the next offset', async () => {
    const h = await harness({ 'segment.bytes': '2048' });
    const infos: LogAppendInfo[] = [];
    for (let i = 0; i < 6; i++) infos.push(await h.append(5, T0 + i, 100)); // ~600 bytes each
    const bases = segments.all.map((s) => s.baseOffset);
    expect(bases.length).toBeGreaterThan(1);
    expect(h.rolls).toBe(bases.length - 1);
    for (const s of segments.all) expect(s.sizeBytes).toBeLessThanOrEqual(2048);
    // every segment starts where an append started: no batch split across segments
    expect(bases.every((base) => infos.some((info) => info.firstOffset === base))).toBe(true);
    const onDisk = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
    expect(onDisk).toEqual(bases.map((b) => `${String(b).padStart(20, '0')}.log`));
  });

  it("rolls by segment.ms on the batches' timestamps (Kafka's shouldRoll), not before", async () => {
    const h = await harness({ 'segment.ms': '1000' });
    await h.append(1, T0);
    await h.append(1, T0 + 1000); // exactly segment.ms after the first batch: no roll yet
    expect(segments.count).toBe(1);
    await h.append(1, T0 + 1001);
    expect(segments.all.map((s) => s.baseOffset)).toEqual([0, 2]);
    expect(h.rolls).toBe(1);
  });

  it('flush.messages moves the recovery point once that many records were appended', async () => {
    const h = await harness({ 'flush.messages': '5' });
    await h.append(3);
    expect(h.appender.recoveryPoint).toBe(0);
    await h.append(2);
    expect(h.appender.recoveryPoint).toBe(5);
  });

  it('an unusable log (closed, failed) refuses an append before writing anything', async () => {
    const h = await harness();
    await h.append(5);
    const sizeBefore = segments.active.sizeBytes;
    h.usable.ok = false;
    await expect(h.append(5)).rejects.toMatchObject({ code: 'LOG_CLOSED' });
    expect(segments.count).toBe(1);
    expect(segments.active.sizeBytes).toBe(sizeBefore);
    expect(h.sequencer.logEndOffset).toBe(5);
  });
});
