/** retention.bytes and retention.ms delete whole closed segments, never the active one. */
import assert from 'node:assert/strict';
import { silentLogger } from '../../../core/tokens.js';
import { BASE_TS, records, type Suite } from '../context.js';

export function retention(suite: Suite): void {
  suite.test('deletes whole closed segments by retention.bytes and retention.ms, never the active one', async (s) => {
    let now = BASE_TS + 100_000;
    const log = await s.openLog(s.dir(), { 'segment.bytes': '3000', 'retention.bytes': '7000' }, silentLogger, () => now);
    for (let i = 0; i < 40; i++) await log.appendRecords(records(2, i * 2, 200));
    assert.ok(log.sizeBytes < 7000 + 3000, `${log.sizeBytes} bytes kept for retention.bytes 7000`);
    assert.ok(log.logStartOffset > 0);
    assert.equal(log.logStartOffset, log.segmentBaseOffsets()[0]);
    await assert.rejects(log.read(0, 100), { code: 'OFFSET_OUT_OF_RANGE' });
    const timeLog = await s.openLog(s.dir(), { 'segment.bytes': '3000', 'retention.ms': '60000' }, silentLogger, () => now);
    for (let i = 0; i < 20; i++) await timeLog.appendRecords(records(2, i * 2, 200));
    const segmentsBefore = timeLog.segmentCount;
    now = BASE_TS + 10 * 60_000;
    assert.equal(await timeLog.deleteOldSegments(), segmentsBefore - 1);
    assert.equal(timeLog.segmentCount, 1);
    assert.equal(timeLog.logEndOffset, 40);
  });
}
