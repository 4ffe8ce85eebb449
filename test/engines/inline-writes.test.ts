/**
 * pwrite, fsync-per-write and fsync-group write an append that finds the segment's writer idle
 * inline, on the calling thread: its bytes are in the segment file when append() returns. pwrite and
 * fsync-per-write (an O_DSYNC write) then acknowledge at once; fsync-group still waits for an
 * fdatasync that started after the write.
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { logConfigFrom } from '../../core/config/log-config.js';
import type { StorageEngine } from '../../core/engine.js';
import { buildBatch } from '../../core/format/records.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { fsyncGroupEngine } from '../../engines/fsync-group.js';
import { fsyncPerWriteEngine } from '../../engines/fsync-per-write.js';
import { pwriteEngine } from '../../engines/pwrite.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(join(tmpdir(), 'strata-inline-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const segmentBytes = (logDir: string) => fs.statSync(join(logDir, '00000000000000000000.log')).size;

const cases: [StorageEngine, boolean][] = [
  [pwriteEngine, true],
  [fsyncPerWriteEngine, true], // its O_DSYNC write returned: durable already
  [fsyncGroupEngine, false],
];
for (const [engine, ackedAtOnce] of cases) {
  test(`${engine.name}: an idle append's bytes are in the file when append() returns`, async () => {
    const logDir = join(dir, 't-0');
    const log = await Log.open(logDir, logConfigFrom({ 'retention.ms': '-1' }), { engine, logger: silentLogger });
    try {
      const batch = buildBatch([{ value: Buffer.from('inline') }]);
      const appended = log.append(batch);
      expect(segmentBytes(logDir)).toBe(batch.length); // no await yet
      expect(log.logEndOffset).toBe(ackedAtOnce ? 1 : 0);
      await appended;
      expect(log.logEndOffset).toBe(1);
    } finally {
      await log.close();
    }
  });
}
