/** A clean close and reopen keeps everything and honours the clean-shutdown marker. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { join } from 'node:path';
import { CapturingLogger, readAll, records, type Suite } from '../context.js';

export function restart(suite: Suite): void {
  suite.test('keeps everything across a clean close and reopen (clean-shutdown marker honoured)', async (s) => {
    const dir = s.dir();
    const log = await s.openLog(dir, { 'segment.bytes': '5000' });
    for (let i = 0; i < 30; i++) await log.appendRecords(records(3, i * 3));
    const before = await readAll(log);
    await log.close();
    assert.ok(fs.existsSync(join(dir, '.kafka_cleanshutdown')), 'clean close writes .kafka_cleanshutdown');
    const logger = new CapturingLogger();
    const reopened = await s.openLog(dir, { 'segment.bytes': '5000' }, logger);
    assert.ok(!fs.existsSync(join(dir, '.kafka_cleanshutdown')), 'the marker is consumed on open');
    assert.deepEqual(logger.warnings, []);
    assert.equal(reopened.logEndOffset, 90);
    assert.deepEqual(await readAll(reopened), before);
    assert.equal((await reopened.appendRecords(records(1, 90))).firstOffset, 90);
  });
}
