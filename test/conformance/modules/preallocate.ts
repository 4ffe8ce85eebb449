/**
 * preallocate, both ways. Claimed: the file is reserved to preallocateBytes ahead of the data,
 * trimmed on trim/close, and the Log's preallocate=true recovers the reserved zeros as the end of
 * data. Not claimed: opening with preallocateBytes reserves nothing (or is refused with an error).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { join } from 'node:path';
import type { SegmentFile } from '../../../core/engine.js';
import { CapturingLogger, records, type Suite } from '../context.js';

const RESERVE_BYTES = 64 * 1024;

export function preallocate(suite: Suite): void {
  if (!suite.engine.supports.preallocate) {
    suite.test('no preallocate claimed: preallocateBytes reserves no space (or is refused)', async (s) => {
      const path = join(s.dir(), 'f.log');
      let file: SegmentFile;
      try {
        file = await s.openFile(path, { preallocateBytes: RESERVE_BYTES });
      } catch (err) {
        assert.ok(err instanceof Error && err.message.length > 0, 'a refusal is an Error that says why');
        return;
      }
      assert.ok(fs.statSync(path).size < RESERVE_BYTES, `${suite.engine.name} reserved ${fs.statSync(path).size} bytes but does not claim preallocate`);
      await file.append([Buffer.alloc(100, 1)], 100);
      await file.close();
      assert.equal(fs.statSync(path).size, 100);
    });
    return;
  }

  suite.test('preallocate: reserves preallocateBytes ahead of the data, gives it back on trim', async (s) => {
    const path = join(s.dir(), 'f.log');
    const file = await s.openFile(path, { preallocateBytes: RESERVE_BYTES });
    assert.equal(fs.statSync(path).size, RESERVE_BYTES, `${suite.engine.name} claims preallocate but did not reserve preallocateBytes`);
    assert.equal(file.sizeBytes, 0);
    await file.append([Buffer.alloc(100, 1)], 100);
    assert.equal(fs.statSync(path).size, RESERVE_BYTES, 'an append inside the reservation does not grow the file');
    await file.truncate(50); // recovery cuts, then reserves again
    assert.equal(fs.statSync(path).size, RESERVE_BYTES);
    await file.trim();
    assert.equal(fs.statSync(path).size, 50);
  });

  suite.test('preallocate: the Log preallocates the active segment, recovers past the reserved zeros, trims on close', async (s) => {
    const dir = s.dir();
    const props = { preallocate: 'true', 'segment.bytes': String(RESERVE_BYTES) };
    const log = await s.openLog(dir, props);
    await log.appendRecords(records(10, 0));
    const file = join(dir, '00000000000000000000.log');
    assert.equal(fs.statSync(file).size, RESERVE_BYTES);
    await log.flush();
    // an unclean reopen sees the reservation's zeros as the end of data, not as damage
    const logger = new CapturingLogger();
    const reopened = await s.openLog(dir, props, logger);
    assert.deepEqual(logger.warnings, []);
    assert.equal(reopened.logEndOffset, 10);
    await reopened.appendRecords(records(10, 10));
    await reopened.close();
    assert.equal(fs.statSync(file).size, reopened.sizeBytes);
  });
}
