/** Concurrent appends get consecutive offsets and are acknowledged in offset order. */
import assert from 'node:assert/strict';
import { readAll, records, type Suite } from '../context.js';

export function ordering(suite: Suite): void {
  suite.test('gives concurrent appends consecutive offsets and acknowledges them in order', async (s) => {
    const log = await s.openLog(s.dir(), { 'segment.bytes': '20000' });
    const acked: number[] = [];
    const infos = await Promise.all(
      Array.from({ length: 64 }, (_, i) => log.appendRecords(records(3, i * 3)).then((info) => (acked.push(info.firstOffset), info))),
    );
    assert.deepEqual(infos.map((i) => i.firstOffset).sort((a, b) => a - b), Array.from({ length: 64 }, (_, i) => i * 3));
    assert.deepEqual(acked, [...acked].sort((a, b) => a - b));
    assert.equal((await readAll(log)).length, 192);
  });
}
