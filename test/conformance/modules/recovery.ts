/** Recovery after an unclean shutdown: a torn tail and a corrupted batch are cut, and the log says so. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { join } from 'node:path';
import { buildBatch } from '../../../core/format/records.js';
import { CapturingLogger, readAll, records, type Suite } from '../context.js';

export function recovery(suite: Suite): void {
  suite.test('recovers a torn tail after an unclean shutdown, saying what was cut', async (s) => {
    const dir = s.dir();
    const log = await s.openLog(dir);
    for (let i = 0; i < 20; i++) await log.appendRecords(records(2, i * 2));
    await log.flush();
    const file = join(dir, '00000000000000000000.log');
    const validBytes = log.sizeBytes;
    // a torn write, where the next append goes: at the end of the valid bytes. An engine may hold
    // zeroed space past them (mmap grows its file in steps), where a torn batch reads as whole
    // but fails its CRC, and the cut includes that space.
    const reserved = fs.statSync(file).size > validBytes;
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, buildBatch(records(5, 0)).subarray(0, 100), 0, 100, validBytes);
    fs.closeSync(fd);
    const logger = new CapturingLogger();
    const reopened = await s.openLog(dir, {}, logger); // no marker: recovery
    const said = logger.lines.join('\n');
    assert.match(said, reserved ? new RegExp(`cut \\d+ bytes at position ${validBytes}: CRC mismatch`) : /cut 100 bytes at position \d+: .*(partial|past the end)/);
    assert.equal(fs.statSync(file).size, validBytes);
    assert.equal(reopened.logEndOffset, 40);
    assert.equal((await reopened.appendRecords(records(1, 40))).firstOffset, 40);
    assert.equal((await readAll(reopened)).length, 41);
  });

  suite.test('recovers from a corrupted batch by truncating at it', async (s) => {
    const dir = s.dir();
    const log = await s.openLog(dir);
    const positions: number[] = [];
    for (let i = 0; i < 10; i++) {
      positions.push(log.sizeBytes);
      await log.appendRecords(records(2, i * 2));
    }
    await log.flush();
    const file = join(dir, '00000000000000000000.log');
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from([0xde, 0xad]), 0, 2, positions[6]! + 80); // inside batch 6's records
    fs.closeSync(fd);
    const logger = new CapturingLogger();
    const reopened = await s.openLog(dir, {}, logger);
    assert.match(logger.lines.join('\n'), new RegExp(`position ${positions[6]}: CRC mismatch`));
    assert.equal(reopened.logEndOffset, 12);
    assert.deepEqual((await readAll(reopened)).map((r) => r.offset), Array.from({ length: 12 }, (_, i) => i));
  });
}
