/** Offset index entries by Kafka's rule (index.interval.bytes), checked byte for byte. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { join } from 'node:path';
import { records, type Suite } from '../context.js';

export function indexEntries(suite: Suite): void {
  suite.test("writes offset index entries by Kafka's rule and finds offsets through them", async (s) => {
    const dir = s.dir();
    const log = await s.openLog(dir, { 'index.interval.bytes': '4096' });
    const sizes: number[] = [];
    for (let i = 0; i < 50; i++) sizes.push((await log.appendRecords(records(3, i * 3, 400))).bytes);
    for (const target of [0, 1, 44, 77, 149]) {
      const [b] = await log.readBatches(target, 1);
      assert.equal(b!.header.baseOffset, Math.floor(target / 3) * 3, `the batch holding offset ${target}`);
    }
    // an active segment's index reaches its file on roll or close (a flush syncs the data only)
    await log.close();
    // expected entries: after more than 4096 bytes since the last entry, the set's last offset
    // with its start position; never for the first append
    const expected: [number, number][] = [];
    let since = 0;
    let position = 0;
    sizes.forEach((size, i) => {
      if (since > 4096) {
        expected.push([i * 3 + 2, position]);
        since = 0;
      }
      since += size;
      position += size;
    });
    const index = fs.readFileSync(join(dir, '00000000000000000000.index'));
    const actual: [number, number][] = [];
    for (let p = 0; p + 8 <= index.length; p += 8) {
      const entry: [number, number] = [index.readUInt32BE(p), index.readUInt32BE(p + 4)];
      if (entry[0] === 0 && entry[1] === 0) break; // preallocated tail
      actual.push(entry);
    }
    assert.deepEqual(actual, expected);
  });
}
