/**
 * A full disk: appends fail with a clear error naming ENOSPC, the log refuses further appends until
 * reopened, and everything acknowledged before reads back after the reopen. Uses a real 2 MiB tmpfs
 * (needs root to mount; skipped with a message otherwise — CI runs as root).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Log, logConfigFrom, silentLogger } from '../../core/index.js';
import { fsyncGroupEngine } from '../../engines/fsync-group.js';
import { pwriteEngine } from '../../engines/pwrite.js';

const mountPoint = fs.mkdtempSync(join(os.tmpdir(), 'strata-full-'));
let mounted = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint], { stdio: 'ignore' });
  mounted = true;
} catch {
  process.stderr.write(`full-disk tests skipped: cannot mount a tmpfs at ${mountPoint} (needs root)\n`);
}

describe.skipIf(!mounted)('full disk', () => {
  afterAll(() => {
    if (mounted) execFileSync('umount', [mountPoint]);
  });

  for (const engine of [pwriteEngine, fsyncGroupEngine]) {
    it(`${engine.name}: ENOSPC is a clear error and acknowledged records survive`, async () => {
      const dir = join(mountPoint, engine.name);
      const config = logConfigFrom({ 'segment.index.bytes': '4096', 'retention.ms': '-1' });
      const log = await Log.open(dir, config, { engine, logger: silentLogger });
      const value = Buffer.alloc(20_000, 7);
      let acked = 0;
      let failure: unknown;
      for (let i = 0; i < 1000 && !failure; i++) {
        try {
          const info = await log.appendRecords([{ key: Buffer.from(String(i)), value }]);
          acked = info.lastOffset + 1;
        } catch (err) {
          failure = err;
        }
      }
      expect(failure).toMatchObject({ code: 'STORAGE_ERROR' });
      expect(String((failure as Error).message)).toMatch(/ENOSPC/);
      expect(acked).toBeGreaterThan(10);
      await expect(log.appendRecords([{ value: Buffer.from('x') }])).rejects.toMatchObject({ code: 'LOG_FAILED' });
      await log.close().catch(() => {});
      const reopened = await Log.open(dir, config, { engine, logger: silentLogger });
      expect(reopened.logEndOffset).toBe(acked);
      const batches = await reopened.readBatches(acked - 1, 1 << 20);
      expect(batches[0]!.records[0]!.key!.toString()).toBe(String(acked - 1));
      expect(batches[0]!.records[0]!.value!.equals(value)).toBe(true);
      await reopened.close().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }
});
