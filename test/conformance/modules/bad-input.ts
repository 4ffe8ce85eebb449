/** Oversized, corrupt and torn batches are refused with clear errors; nothing appended is lost. */
import assert from 'node:assert/strict';
import { buildBatch } from '../../../core/format/records.js';
import { readAll, records, type Suite } from '../context.js';

export function badInput(suite: Suite): void {
  suite.test('rejects oversized and corrupt batches with clear errors and loses nothing', async (s) => {
    const log = await s.openLog(s.dir(), { 'message.max.bytes': '2000' });
    await log.appendRecords(records(3, 0));
    await assert.rejects(log.appendRecords(records(1, 0, 5000)), { code: 'RECORD_TOO_LARGE' });
    const bad = buildBatch(records(2, 0));
    bad[bad.length - 1] ^= 0xff;
    await assert.rejects(log.append(bad), /CRC mismatch/);
    const torn = buildBatch(records(2, 0)).subarray(0, 50);
    await assert.rejects(log.append(torn), /batch/);
    assert.equal(log.logEndOffset, 3);
    assert.equal((await readAll(log)).length, 3);
  });
}
