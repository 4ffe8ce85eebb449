/**
 * ProducerStateManager without a broker: Kafka's checks (duplicates of the last 5 batches,
 * out-of-order sequences, fenced epochs, unknown producers), the snapshot file's exact bytes, and
 * the state surviving a restart from a snapshot and from the log's batches alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogManager, TOKENS, silentLogger } from '../../core/index.js';
import { crc32c } from '../../core/format/crc32c.js';
import { buildBatch } from '../../core/format/records.js';
import { logBatchHeaders } from '../../core/log/log-batch-headers.js';
import type { Log } from '../../core/log/log.js';
import type { ProducerBatch } from '../../core/log/producer-state-entry.js';
import { ProducerStateManager } from '../../core/log/producer-state-manager.js';
import { validateRecords } from '../../core/log/log-validator.js';
import { CodecRegistry } from '../../core/codec.js';
import { CorruptSnapshotError, SNAPSHOT_BYTES_MAX, decodeSnapshot, encodeSnapshot, listSnapshotOffsets, producerSnapshotPath, readSnapshotFile } from '../../core/log/producer-snapshot-file.js';
import { composeByName } from '../../engines/compose.js';

const NOW = 1_700_000_000_000;

function batch(producerId: number, producerEpoch: number, baseSequence: number, records = 1, relativeOffset = 0): ProducerBatch {
  return { producerId, producerEpoch, baseSequence, lastOffsetDelta: records - 1, maxTimestamp: NOW, relativeOffset };
}

/** prepare + onPlaced at `offset`, as the Log does at placement; returns the check. */
function place(m: ProducerStateManager, b: ProducerBatch[], offset: number) {
  const check = m.prepare(b);
  if (check.kind === 'append') m.onPlaced(check, offset);
  return check;
}

function tempDir(): string {
  return fs.mkdtempSync(join(os.tmpdir(), 'strata-psm-'));
}

describe('ProducerStateManager checks', () => {
  it('answers a retry of any of the last 5 batches with its original offsets, and forgets older ones', () => {
    const m = new ProducerStateManager(tempDir());
    for (let i = 0; i < 6; i++) expect(place(m, [batch(7, 0, i * 2, 2)], 100 + i * 2).kind).toBe('append');
    // batches 1..5 are retained (offsets 102..111); batch 0 (seq 0-1) is no longer
    expect(m.prepare([batch(7, 0, 2, 2)])).toEqual({ kind: 'duplicate', firstOffset: 102, lastOffset: 103, timestamp: NOW });
    expect(m.prepare([batch(7, 0, 10, 2)])).toEqual({ kind: 'duplicate', firstOffset: 110, lastOffset: 111, timestamp: NOW });
    expect(m.prepare([batch(7, 0, 0, 2)])).toMatchObject({ kind: 'rejected', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    // same sequence start, different range: not the same batch
    expect(m.prepare([batch(7, 0, 10, 1)])).toMatchObject({ kind: 'rejected', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(m.prepare([batch(7, 0, 12, 3)]).kind).toBe('append');
  });

  it('rejects gaps and repeats with OUT_OF_ORDER_SEQUENCE_NUMBER, naming producer and sequences', () => {
    const m = new ProducerStateManager(tempDir(), { name: 'T-0' });
    place(m, [batch(3, 0, 0, 5)], 0);
    const gap = m.prepare([batch(3, 0, 6)]);
    expect(gap).toEqual({ kind: 'rejected', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message: 'out of order sequence number for producer 3 in T-0: 6 (incoming seq. number), 4 (current end sequence number)' });
    // within one append, the second batch must follow the first
    expect(m.prepare([batch(3, 0, 5, 2), batch(3, 0, 8, 1, 2)])).toMatchObject({ kind: 'rejected', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(m.prepare([batch(3, 0, 5, 2), batch(3, 0, 7, 1, 2)]).kind).toBe('append');
    // sequences wrap at 2^31 - 1
    const w = new ProducerStateManager(tempDir());
    place(w, [batch(4, 0, 0x7fff_fffe, 2)], 0);
    expect(w.prepare([batch(4, 0, 0)]).kind).toBe('append');
  });

  it('fences older epochs with INVALID_PRODUCER_EPOCH; a new epoch starts at sequence 0', () => {
    const m = new ProducerStateManager(tempDir());
    place(m, [batch(9, 2, 0, 3)], 0);
    expect(m.prepare([batch(9, 1, 3)])).toMatchObject({ kind: 'rejected', error: 'INVALID_PRODUCER_EPOCH' });
    expect(m.prepare([batch(9, 3, 5)])).toMatchObject({ kind: 'rejected', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message: expect.stringContaining('new epoch') });
    expect(place(m, [batch(9, 3, 0)], 3).kind).toBe('append');
    // the old epoch's batches are forgotten with it: its retry is now fenced, not a duplicate
    expect(m.prepare([batch(9, 2, 0, 3)])).toMatchObject({ kind: 'rejected', error: 'INVALID_PRODUCER_EPOCH' });
    expect(m.lastEntry(9)).toMatchObject({ producerEpoch: 3, lastSeq: 0, lastDataOffset: 3 });
  });

  it('accepts an unknown producer at any sequence (Kafka since KIP-360), and a missing sequence is INVALID_RECORD', () => {
    const m = new ProducerStateManager(tempDir());
    expect(place(m, [batch(11, 5, 42)], 0).kind).toBe('append');
    expect(m.prepare([batch(11, 5, 44)]).kind).toBe('rejected');
    expect(m.prepare([batch(12, 0, -1)])).toMatchObject({ kind: 'rejected', error: 'INVALID_RECORD' });
  });

  it('reads producer fields and relative offsets from a buffer of batches, skipping batches without a producer id', async () => {
    const buf = Buffer.concat([
      buildBatch([{ value: Buffer.from('a') }, { value: Buffer.from('b') }], { producerId: 5, producerEpoch: 1, baseSequence: 10, timestamp: NOW }),
      buildBatch([{ value: Buffer.from('c') }], { timestamp: NOW }),
      buildBatch([{ value: Buffer.from('d') }], { producerId: 5, producerEpoch: 1, baseSequence: 12, timestamp: NOW }),
    ]);
    expect((await validateRecords(buf, { codecs: new CodecRegistry(), messageMaxBytes: 1 << 20 })).producerBatches).toEqual([
      { producerId: 5, producerEpoch: 1, baseSequence: 10, lastOffsetDelta: 1, maxTimestamp: NOW, relativeOffset: 0 },
      { producerId: 5, producerEpoch: 1, baseSequence: 12, lastOffsetDelta: 0, maxTimestamp: NOW, relativeOffset: 3 },
    ]);
  });
});

describe('producer snapshot files', () => {
  it("writes Kafka's ProducerSnapshot v1 layout: version, CRC-32C of the rest, 46-byte entries", () => {
    const entry = { producerId: 0x0102030405, epoch: 7, lastSequence: 99, lastOffset: 1234, offsetDelta: 4, timestamp: NOW, coordinatorEpoch: -1, currentTxnFirstOffset: -1 };
    const buf = encodeSnapshot([entry]);
    const expected = Buffer.alloc(10 + 46);
    expected.writeInt16BE(1, 0);
    expected.writeInt32BE(1, 6);
    expected.writeBigInt64BE(0x0102030405n, 10);
    expected.writeInt16BE(7, 18);
    expected.writeInt32BE(99, 20);
    expected.writeBigInt64BE(1234n, 24);
    expected.writeInt32BE(4, 32);
    expected.writeBigInt64BE(BigInt(NOW), 36);
    expected.writeInt32BE(-1, 44);
    expected.writeBigInt64BE(-1n, 48);
    expected.writeUInt32BE(crc32c(expected.subarray(6)), 2);
    expect(buf.equals(expected)).toBe(true);
    expect(decodeSnapshot(buf)).toEqual([entry]);
    expect(decodeSnapshot(encodeSnapshot([]))).toEqual([]);
  });

  it('refuses a damaged file naming it: bad CRC, wrong version, truncated', () => {
    const buf = encodeSnapshot([{ producerId: 1, epoch: 0, lastSequence: 0, lastOffset: 0, offsetDelta: 0, timestamp: NOW, coordinatorEpoch: -1, currentTxnFirstOffset: -1 }]);
    const flipped = Buffer.from(buf);
    flipped[30]! ^= 1;
    expect(() => decodeSnapshot(flipped, '/d/x.snapshot')).toThrow(/producer snapshot \/d\/x.snapshot: CRC is no longer valid/);
    const version = Buffer.from(buf);
    version.writeInt16BE(2, 0);
    expect(() => decodeSnapshot(version, 'v')).toThrow(CorruptSnapshotError);
    expect(() => decodeSnapshot(buf.subarray(0, buf.length - 1), 't')).toThrow(/1 entries need 56 bytes, the file has 55/);
  });
});

async function openLog(dataDir: string): Promise<{ log: Log; manager: LogManager }> {
  const container = await composeByName({ dataDir, engine: 'pwrite', logger: silentLogger, config: { 'segment.bytes': '1024' } });
  const manager = container.get<LogManager>(TOKENS.LogManager);
  return { log: await manager.getOrCreateLog('t', 0), manager };
}

function sourceOf(log: Log) {
  return { logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset, segmentBaseOffsets: log.segmentBaseOffsets(), batchHeaders: (from: number) => logBatchHeaders(log, from) };
}

/** A new log holding 30 idempotent batches of producer 21 (sequences 0..59), placed through the log's own ProducerStateManager `m`. */
async function producerLog() {
  const dir = tempDir();
  const { log, manager } = await openLog(dir);
  for (let i = 0; i < 30; i++) {
    const buf = buildBatch([{ value: Buffer.alloc(40, i) }, { value: Buffer.alloc(40, i) }], { producerId: 21, producerEpoch: 0, baseSequence: i * 2, timestamp: Date.now() });
    const info = await log.append(buf);
    expect(info.duplicate).toBeUndefined();
  }
  const m = log.producerState.manager!;
  return { dir, log, manager, m };
}

/** The snapshot `m` takes at the log end; its path. */
function snapshotAtEnd(log: Log, m: ProducerStateManager): string {
  m.updateMapEndOffset(log.logEndOffset);
  return m.takeSnapshot()!;
}

/** A second manager on `log`, loaded; the warnings it logged. */
async function reload(log: Log): Promise<{ m2: ProducerStateManager; warnings: string[] }> {
  const warnings: string[] = [];
  const m2 = new ProducerStateManager(log.dir, { logger: { info: () => {}, warn: (l) => warnings.push(l), error: () => {} } });
  await m2.load(sourceOf(log));
  return { m2, warnings };
}

describe('producer state across a restart', () => {
  it('is rebuilt from a snapshot at the log end after a clean close', async () => {
    const { dir, log, manager, m } = await producerLog();
    const path = snapshotAtEnd(log, m);
    expect(path).toBe(producerSnapshotPath(log.dir, 60));
    expect(readSnapshotFile(path)).toMatchObject([{ producerId: 21, epoch: 0, lastSequence: 59, lastOffset: 59, offsetDelta: 1 }]);
    await manager.close();

    const again = await openLog(dir);
    const m2 = new ProducerStateManager(again.log.dir);
    // the batches are gone from the reader's view: only the snapshot can know producer 21
    await m2.load({ ...sourceOf(again.log), batchHeaders: () => (async function* () {})() });
    expect(m2.prepare([{ producerId: 21, producerEpoch: 0, baseSequence: 58, lastOffsetDelta: 1, maxTimestamp: 0, relativeOffset: 0 }])).toMatchObject({ kind: 'duplicate', firstOffset: 58, lastOffset: 59 });
    expect(m2.prepare([{ producerId: 21, producerEpoch: 0, baseSequence: 61, lastOffsetDelta: 0, maxTimestamp: 0, relativeOffset: 0 }])).toMatchObject({ kind: 'rejected', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    await again.manager.close();
  });

  it('is rebuilt from the log batches after the newest snapshot when there is no snapshot at the end', async () => {
    const { dir, log, manager } = await producerLog();
    expect(log.segmentBaseOffsets().length).toBeGreaterThan(2);
    // a snapshot at an earlier segment base, then a crash (no snapshot at the end)
    const base = log.segmentBaseOffsets()[1]!;
    // the log took a snapshot at every roll, at the new segment's base offset (as Kafka does)
    expect(listSnapshotOffsets(log.dir)).toEqual(log.segmentBaseOffsets().slice(1));
    await manager.close();
    // a crash after the snapshot at `base`: the later ones are gone
    for (const offset of listSnapshotOffsets(log.dir)) if (offset !== base) fs.rmSync(producerSnapshotPath(log.dir, offset));

    const again = await openLog(dir);
    const m2 = new ProducerStateManager(again.log.dir);
    await m2.load(sourceOf(again.log));
    expect(m2.lastEntry(21)).toMatchObject({ producerEpoch: 0, lastSeq: 59, lastDataOffset: 59 });
    expect(m2.lastEntry(21)!.batchMetadata.length).toBe(5);
    expect(m2.prepare([{ producerId: 21, producerEpoch: 0, baseSequence: 52, lastOffsetDelta: 1, maxTimestamp: 0, relativeOffset: 0 }])).toMatchObject({ kind: 'duplicate', firstOffset: 52 });
    // the load replayed batches, so it wrote a snapshot at the log end for the next open
    expect(listSnapshotOffsets(again.log.dir)).toEqual([base, 60]);
    await again.manager.close();
  });

  it('drops a corrupt snapshot with a log line and falls back to the log', async () => {
    const { log, manager, m } = await producerLog();
    const path = snapshotAtEnd(log, m);
    const bytes = fs.readFileSync(path);
    bytes[20]! ^= 0xff;
    fs.writeFileSync(path, bytes);
    const { m2, warnings } = await reload(log);
    expect(warnings[0]).toMatch(/producer snapshot .*00000000000000000060\.snapshot: CRC is no longer valid .*; deleting it/);
    expect(m2.lastEntry(21)).toMatchObject({ lastSeq: 59 });
    await manager.close();
  });

  it('a snapshot larger than any snapshot can be is refused before it is read, as corrupt (deleted, state from the log)', async () => {
    const { log, manager, m } = await producerLog();
    const path = snapshotAtEnd(log, m);
    // sparse: no disk used, but a whole-file read would allocate it all
    fs.truncateSync(path, SNAPSHOT_BYTES_MAX + 1);
    const { m2, warnings } = await reload(log);
    expect(warnings[0]).toBe(`producer snapshot ${path}: ${path} is ${SNAPSHOT_BYTES_MAX + 1} bytes, more than the ${SNAPSHOT_BYTES_MAX} bytes such a file can hold: refused; deleting it`);
    expect(m2.lastEntry(21)).toMatchObject({ lastSeq: 59 });
    await manager.close();
  });
});
