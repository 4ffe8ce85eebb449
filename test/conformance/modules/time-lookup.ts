/** offsetForTimestamp through the time index, with Kafka's -1 (latest) and -2 (earliest). */
import assert from 'node:assert/strict';
import { BASE_TS, records, type Suite } from '../context.js';

export function timeLookup(suite: Suite): void {
  suite.test('looks up offsets by timestamp through the time index', async (s) => {
    const log = await s.openLog(s.dir(), { 'index.interval.bytes': '100' });
    for (let i = 0; i < 30; i++) await log.appendRecords(records(2, i * 2));
    assert.deepEqual(await log.offsetForTimestamp(BASE_TS + 25), { offset: 25, timestamp: BASE_TS + 25 });
    assert.deepEqual(await log.offsetForTimestamp(BASE_TS - 5), { offset: 0, timestamp: BASE_TS });
    assert.equal(await log.offsetForTimestamp(BASE_TS + 1000), undefined);
    assert.equal((await log.offsetForTimestamp(-1))?.offset, 60);
    assert.equal((await log.offsetForTimestamp(-2))?.offset, 0);
  });
}
