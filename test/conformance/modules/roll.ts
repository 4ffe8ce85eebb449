/** Kafka's roll rules: segment.bytes, segment.ms, a full index, an offset gap. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { join } from 'node:path';
import { buildBatch } from '../../../core/format/records.js';
import { BASE_TS, readAll, records, type Suite } from '../context.js';

export function roll(suite: Suite): void {
  suite.test('rolls on segment.bytes, trimming the closed segment and its indexes', async (s) => {
    const dir = s.dir();
    const log = await s.openLog(dir, { 'segment.bytes': '10000', 'index.interval.bytes': '1000', 'segment.index.bytes': '4096' });
    for (let i = 0; i < 60; i++) await log.appendRecords(records(4, i * 4, 200));
    const bases = log.segmentBaseOffsets();
    assert.ok(bases.length > 3, `${bases.length} segments, expected more than 3`);
    for (const base of bases.slice(0, -1)) {
      const prefix = join(dir, String(base).padStart(20, '0'));
      assert.ok(fs.statSync(`${prefix}.log`).size <= 10000, `${prefix}.log over segment.bytes`);
      assert.equal(fs.statSync(`${prefix}.index`).size % 8, 0);
      assert.ok(fs.statSync(`${prefix}.index`).size < 4096, `${prefix}.index not trimmed on roll`);
      assert.equal(fs.statSync(`${prefix}.timeindex`).size % 12, 0);
    }
    const active = join(dir, String(bases[bases.length - 1]).padStart(20, '0'));
    assert.equal(fs.statSync(`${active}.index`).size, 4096); // preallocated while active
    assert.equal((await readAll(log)).length, 240);
  });

  suite.test('rolls on segment.ms, on a full index and on an offset gap', async (s) => {
    const log = await s.openLog(s.dir(), { 'segment.ms': '1000', 'segment.index.bytes': '24', 'index.interval.bytes': '0' });
    await log.appendRecords(records(1, 0), { timestamp: BASE_TS });
    await log.appendRecords([{ value: Buffer.from('a'), timestamp: BASE_TS + 500 }]);
    assert.equal(log.segmentCount, 1);
    await log.appendRecords([{ value: Buffer.from('b'), timestamp: BASE_TS + 1501 }]);
    assert.deepEqual(log.segmentBaseOffsets(), [0, 2]); // segment.ms
    for (let i = 0; i < 4; i++) await log.appendRecords([{ value: Buffer.from('c'), timestamp: BASE_TS + 1502 + i }]);
    // a 24-byte time index holds 2 entries: full after offsets 3 and 4, so offset 5 rolls
    assert.deepEqual(log.segmentBaseOffsets(), [0, 2, 5]);
    const gapLog = await s.openLog(s.dir());
    await gapLog.append(buildBatch(records(2, 0), { baseOffset: 0 }), { offsets: 'keep' });
    await gapLog.append(buildBatch(records(2, 0), { baseOffset: 1000 }), { offsets: 'keep' });
    assert.deepEqual(gapLog.segmentBaseOffsets(), [0, 1000]);
    await assert.rejects(gapLog.append(buildBatch(records(1, 0), { baseOffset: 5 }), { offsets: 'keep' }), { code: 'INVALID_ARGUMENT' });
  });
}
