/**
 * The log-level operations under the broker's admin APIs, as Kafka's UnifiedLog / LogManager do
 * them: records deleted below a new log start offset (DeleteRecords), a whole log deleted
 * (DeleteTopics), batches stamped with the append time (message.timestamp.type=LogAppendTime) and
 * the record with the newest timestamp (ListOffsets -3).
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogManager, TOKENS, silentLogger } from '../../core/index.js';
import { validateBatches } from '../../core/format/batch-cursor.js';
import { readBatchHeader, timestampTypeOf, validateBatch } from '../../core/format/record-batch.js';
import { buildBatch } from '../../core/format/records.js';
import { composeByName } from '../../engines/compose.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function manager(config: Record<string, string> = {}, dataDir = fs.mkdtempSync(join(os.tmpdir(), 'strata-admin-'))): Promise<LogManager> {
  if (!dirs.includes(dataDir)) dirs.push(dataDir);
  const container = await composeByName({ dataDir, engine: 'pwrite', logger: silentLogger, config });
  return container.get<LogManager>(TOKENS.LogManager);
}

/**
 * What a crash of `mgr` would leave: a copy of its data dir as it is now (the copy has no lock
 * holder; the live manager keeps its lock on the original, as a crashed process would have lost it).
 */
function crashCopy(mgr: LogManager): string {
  const copy = fs.mkdtempSync(join(os.tmpdir(), 'strata-admin-crashed-'));
  dirs.push(copy);
  fs.cpSync(mgr.dataDir, copy, { recursive: true, filter: (src) => !src.endsWith('/.lock') });
  return copy;
}

const values = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${from + i}`) }));

describe('Log.deleteRecordsBefore (DeleteRecords)', () => {
  it('moves the log start inside a segment, refuses reads below it, keeps it across a restart, and deletes whole segments below it', async () => {
    const mgr = await manager({ 'segment.bytes': '200', 'file.delete.delay.ms': '0' });
    const log = await mgr.getOrCreateLog('t', 0);
    for (let i = 0; i < 10; i++) await log.appendRecords(values(2, i * 2));
    const segmentsBefore = log.segmentCount;
    expect(segmentsBefore).toBeGreaterThan(2);
    expect(await log.deleteRecordsBefore(3)).toBe(3);
    expect(log.logStartOffset).toBe(3);
    await expect(log.read(2, 1 << 20)).rejects.toThrow(/offset 2 is outside the log's range \[3, 20\]/);
    // the batch holding offset 3 (2-3) is still there: a consumer skips what lies below its offset
    expect((await log.readBatches(3, 1 << 20)).flatMap((b) => b.records.map((r) => r.offset))[0]).toBe(2);
    // at or below the start: nothing changes; past the log end (the high watermark): out of range
    expect(await log.deleteRecordsBefore(1)).toBe(3);
    await expect(log.deleteRecordsBefore(21)).rejects.toThrow(/outside \[0, 20\]/);
    const base = log.segmentBaseOffsets();
    const cut = base[base.length - 2]!;
    expect(await log.deleteRecordsBefore(cut)).toBe(cut);
    // the segments wholly below the new start went at once
    expect(log.segmentBaseOffsets()[0]).toBe(cut);
    expect(log.segmentCount).toBe(2);
    expect(await log.deleteRecordsBefore(20)).toBe(20);
    expect(log.segmentCount).toBe(1);
    await mgr.close();
    const again = await manager({ 'segment.bytes': '200' }, mgr.dataDir);
    const reopened = await again.getOrCreateLog('t', 0);
    expect(reopened.logStartOffset).toBe(20);
    expect(reopened.logEndOffset).toBe(20);
    await again.close();
  });

  it('keeps a start inside the first segment across a crash (the checkpoint is written before it moves)', async () => {
    const mgr = await manager();
    const log = await mgr.getOrCreateLog('t', 0);
    await log.appendRecords(values(5));
    await log.deleteRecordsBefore(4);
    // no close: the checkpoint written by the move is what a crash leaves
    const again = await manager({}, crashCopy(mgr));
    expect((await again.getOrCreateLog('t', 0)).logStartOffset).toBe(4);
    await again.close();
    await mgr.close();
  });
});

describe('LogManager.deleteLog (DeleteTopics)', () => {
  it('renames the directory to -delete at once, frees the name, removes the files after file.delete.delay.ms', async () => {
    const mgr = await manager({ 'file.delete.delay.ms': '300' });
    const log = await mgr.getOrCreateLog('gone', 0);
    await log.appendRecords(values(3));
    const held = await log.read(0, 1 << 20);
    expect(await mgr.deleteLog('gone', 0)).toBe(true);
    expect(fs.existsSync(join(mgr.dataDir, 'gone-0'))).toBe(false);
    const renamed = fs.readdirSync(mgr.dataDir).filter((n) => n.endsWith('-delete'));
    expect(renamed).toHaveLength(1);
    expect(renamed[0]).toMatch(/^gone-0\.[0-9a-f]{32}-delete$/);
    expect(mgr.partitionsOnDisk()).toEqual([]);
    // a slice taken before the delete still reads (its descriptor stays open for the delay)
    expect((await log.readSlice(held.slices[0]!)).length).toBe(held.bytes);
    await expect(log.appendRecords(values(1))).rejects.toThrow(/is closed/);
    // the name is free: a new log starts empty
    const fresh = await mgr.getOrCreateLog('gone', 0);
    expect(fresh.logEndOffset).toBe(0);
    expect(fs.readFileSync(join(mgr.dataDir, 'log-start-offset-checkpoint'), 'utf8')).not.toMatch(/gone/);
    await new Promise((r) => setTimeout(r, 600));
    expect(fs.readdirSync(mgr.dataDir).filter((n) => n.endsWith('-delete'))).toEqual([]);
    expect(await mgr.deleteLog('never', 0)).toBe(false);
    await mgr.close();
  });

  it('removes a -delete directory left by a crash at the next start, and at close what is pending', async () => {
    const mgr = await manager();
    await (await mgr.getOrCreateLog('a', 0)).appendRecords(values(1));
    await mgr.deleteLog('a', 0);
    // "crash": the next manager on what the crash left sees the renamed directory
    const crashed = crashCopy(mgr);
    expect(fs.readdirSync(crashed).filter((n) => n.endsWith('-delete'))).toHaveLength(1);
    const again = await manager({}, crashed);
    expect(fs.readdirSync(crashed).filter((n) => n.endsWith('-delete'))).toEqual([]);
    await again.close();
    await mgr.close();
    const third = await manager({}, crashed);
    await (await third.getOrCreateLog('b', 0)).appendRecords(values(1));
    await third.deleteLog('b', 0);
    await third.close();
    expect(fs.readdirSync(crashed).filter((n) => n.endsWith('-delete'))).toEqual([]);
    expect(fs.existsSync(join(crashed, '.kafka_cleanshutdown'))).toBe(true);
  });
});

describe('message.timestamp.type=LogAppendTime', () => {
  it('stamps each batch with the append time and the LogAppendTime bit under a valid CRC; its records read with that time', async () => {
    const mgr = await manager();
    const log = await mgr.getOrCreateLog('lat', 0, { 'message.timestamp.type': 'LogAppendTime' });
    const sent = buildBatch([{ value: Buffer.from('a'), timestamp: 1000 }, { value: Buffer.from('b'), timestamp: 2000 }]);
    const before = Date.now();
    const info = await log.append(sent);
    expect(info.maxTimestamp).toBeGreaterThanOrEqual(before);
    const stored = await log.readSlice((await log.read(0, 1 << 20)).slices[0]!);
    expect(() => validateBatch(stored, 0)).not.toThrow(); // the CRC was recomputed
    const header = readBatchHeader(stored, 0);
    expect(timestampTypeOf(header.attributes)).toBe('LogAppendTime');
    expect(header.maxTimestamp).toBe(info.maxTimestamp);
    expect(header.baseTimestamp).toBe(1000); // Kafka leaves the first timestamp as sent
    const [batch] = await log.readBatches(0, 1 << 20);
    expect(batch!.records.map((r) => r.timestamp)).toEqual([info.maxTimestamp, info.maxTimestamp]);
    // strata produce's path (a batch the log builds) is stamped too
    const built = await log.appendRecords([{ value: Buffer.from('c'), timestamp: 5 }]);
    expect(built.maxTimestamp).toBeGreaterThanOrEqual(before);
    // CreateTime (the default) keeps the producer's
    const plain = await mgr.getOrCreateLog('ct', 0);
    expect((await plain.append(buildBatch([{ value: Buffer.from('a'), timestamp: 1000 }]))).maxTimestamp).toBe(1000);
    expect(validateBatches(sent, 1 << 20).layout.maxTimestamp).toBe(info.maxTimestamp); // rewritten in place
    await mgr.close();
  });
});

describe('Log.maxTimestampAndOffset (ListOffsets -3)', () => {
  it('finds the first record holding the newest timestamp across segments, and nothing in an empty log', async () => {
    const mgr = await manager();
    const log = await mgr.getOrCreateLog('mt', 0);
    const t0 = Date.now(); // retention.ms would delete a segment of 1970
    expect(await log.maxTimestampAndOffset()).toBeUndefined();
    await log.appendRecords([{ value: Buffer.from('a'), timestamp: t0 + 100 }, { value: Buffer.from('b'), timestamp: t0 + 900 }, { value: Buffer.from('c'), timestamp: t0 + 900 }]);
    await log.forceRoll();
    await log.appendRecords([{ value: Buffer.from('d'), timestamp: t0 + 500 }]);
    await log.appendRecords([{ value: Buffer.from('e'), timestamp: t0 + 300 }]);
    expect(log.segmentCount).toBe(2);
    expect(await log.maxTimestampAndOffset()).toEqual({ offset: 1, timestamp: t0 + 900 });
    await log.appendRecords([{ value: Buffer.from('f'), timestamp: t0 + 1000 }]);
    expect(await log.maxTimestampAndOffset()).toEqual({ offset: 5, timestamp: t0 + 1000 });
    await mgr.close();
  });
});

describe('Log.updateConfig (AlterConfigs)', () => {
  it('applies new values to the live log from the next call (retention, timestamp type, segment size) and refuses a cleanup.policy change', async () => {
    const mgr = await manager();
    const log = await mgr.getOrCreateLog('alter', 0);
    const old = Date.now() - 3 * 24 * 3600 * 1000;
    await log.appendRecords([{ value: Buffer.from('old'), timestamp: old }]);
    await log.forceRoll();
    await log.appendRecords([{ value: Buffer.from('new') }]);
    expect(await log.deleteOldSegments()).toBe(0); // retention.ms 7 days
    log.updateConfig({ ...log.config, retentionMs: 24 * 3600 * 1000, messageTimestampType: 'LogAppendTime', segmentBytes: 200 });
    expect(await log.deleteOldSegments()).toBe(1);
    expect(log.logStartOffset).toBe(1);
    const before = Date.now();
    const info = await log.appendRecords([{ value: Buffer.from('stamped'), timestamp: 5 }]);
    expect(info.maxTimestamp).toBeGreaterThanOrEqual(before);
    await log.appendRecords([{ value: Buffer.from('x'.repeat(80)) }]);
    expect(log.segmentCount).toBeGreaterThan(1); // segment.bytes 200 rolled it (a batch larger than it is refused, as in Kafka)
    expect(() => log.updateConfig({ ...log.config, cleanupPolicy: 'compact' })).toThrow(/cleanup.policy .* cannot change from delete to compact/);
    await mgr.close();
  });
});
