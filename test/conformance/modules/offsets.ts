/** Offsets assigned in place to every batch of an append; file slices of whole batches across segments. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { validateBatch } from '../../../core/format/record-batch.js';
import { buildBatch } from '../../../core/format/records.js';
import { records, type Suite } from '../context.js';

export function offsets(suite: Suite): void {
  suite.test('assigns offsets to every batch of a multi-batch append, in place', async (s) => {
    const log = await s.openLog(s.dir());
    await log.appendRecords(records(3, 0));
    const two = Buffer.concat([buildBatch(records(4, 0)), buildBatch(records(5, 0))]);
    const info = await log.append(two);
    assert.deepEqual({ firstOffset: info.firstOffset, lastOffset: info.lastOffset, batches: info.batches, records: info.records }, { firstOffset: 3, lastOffset: 11, batches: 2, records: 9 });
    const batches = await log.readBatches(3, 1 << 20);
    assert.deepEqual(batches.map((b) => b.header.baseOffset), [3, 7]);
  });

  suite.test('returns file slices of whole batches that may cross segments, starting mid-segment', async (s) => {
    const log = await s.openLog(s.dir(), { 'segment.bytes': '4096' });
    for (let i = 0; i < 40; i++) await log.appendRecords(records(2, i * 2, 300));
    assert.ok(log.segmentCount > 3, `${log.segmentCount} segments, expected more than 3`);
    const info = await log.read(13, 5000);
    assert.equal(info.firstBatchOffset, 12);
    assert.ok(info.slices.length >= 2, 'the read spans segments');
    let bytes = 0;
    for (const slice of info.slices) {
      const data = fs.readFileSync(slice.path).subarray(slice.position, slice.position + slice.length);
      let p = 0;
      while (p < data.length) p += validateBatch(data, p); // whole, valid batches only
      bytes += slice.length;
    }
    assert.equal(bytes, info.bytes);
    assert.ok(bytes <= 5000, `${bytes} bytes read for maxBytes 5000`);
    assert.ok(info.nextOffset > 13);
    const next = await log.read(info.nextOffset, 100);
    assert.equal(next.firstBatchOffset, info.nextOffset); // reads continue where the last ended
    await assert.rejects(log.read(log.logEndOffset + 1, 100), { code: 'OFFSET_OUT_OF_RANGE' });
    assert.deepEqual((await log.read(log.logEndOffset, 100)).slices, []);
  });
}
