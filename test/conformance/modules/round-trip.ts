/** Keys, values, headers and timestamps come back as appended, with consecutive offsets. */
import assert from 'node:assert/strict';
import { BASE_TS, readAll, records, type Suite } from '../context.js';

export function roundTrip(suite: Suite): void {
  suite.test('round-trips keys, values, headers and timestamps with consecutive offsets', async (s) => {
    const log = await s.openLog(s.dir());
    for (let i = 0; i < 10; i++) {
      const info = await log.appendRecords(records(7, i * 7));
      assert.equal(info.firstOffset, i * 7);
      assert.equal(info.lastOffset, i * 7 + 6);
    }
    assert.equal(log.logEndOffset, 70);
    const all = await readAll(log);
    assert.deepEqual(all.map((r) => r.offset), Array.from({ length: 70 }, (_, i) => i));
    assert.equal(all[33]!.key, 'key-33');
    assert.ok(all[33]!.value.equals(Buffer.alloc(100, 33)), 'record 33 reads back its value');
    const [batch] = await log.readBatches(33, 1);
    assert.deepEqual(batch!.records[5]!.headers, [{ key: 'h', value: Buffer.from('33') }]);
    assert.equal(batch!.records[5]!.timestamp, BASE_TS + 33);
  });
}
