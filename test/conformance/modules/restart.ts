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
    // the LogManager writes Kafka's marker at the log dir root when every log closed healthy
    assert.equal(await log.close(), true, 'a clean close reports the log healthy');
    assert.ok(!fs.existsSync(join(dir, '.kafka_cleanshutdown')), 'no marker inside the partition directory');
    const logger = new CapturingLogger();
    const reopened = await s.openLog(dir, { 'segment.bytes': '5000' }, logger, undefined, { hadCleanShutdown: true });
    assert.deepEqual(logger.warnings, []);
    assert.equal(reopened.logEndOffset, 90);
    assert.deepEqual(await readAll(reopened), before);
    assert.equal((await reopened.appendRecords(records(1, 90))).firstOffset, 90);
  });
}
