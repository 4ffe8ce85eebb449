/**
 * durableAppend, both ways, by what the engine does (stats().syncs): an engine that claims it has
 * waited for the disk by the time each append resolves; one that does not claim it makes no sync
 * until flushed (its appends live in the page cache and are not expected to survive power loss;
 * the crash test flushes before it counts them), and then flush() does sync.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Suite } from '../context.js';

const APPENDS = 8;

export function durableAppend(suite: Suite): void {
  const { engine } = suite;
  if (engine.supports.durableAppend) {
    suite.test('durableAppend: every append has waited for a sync by the time it resolves', async (s) => {
      const file = await s.openFile(join(s.dir(), 'f.log'));
      for (let i = 0; i < APPENDS; i++) {
        const before = file.stats().syncs;
        await file.append([Buffer.alloc(4096, i)], 4096);
        const after = file.stats().syncs;
        assert.ok(after > before, `append ${i} resolved with no sync made for it (syncs ${before} -> ${after})`);
      }
    });
  } else {
    suite.test('no durableAppend claimed: appends make no sync; flush does', async (s) => {
      const file = await s.openFile(join(s.dir(), 'f.log'));
      await Promise.all(Array.from({ length: APPENDS }, (_, i) => file.append([Buffer.alloc(4096, i)], 4096)));
      for (let i = 0; i < APPENDS; i++) await file.append([Buffer.alloc(4096, i)], 4096);
      assert.equal(file.stats().syncs, 0, `${engine.name} syncs on append but does not claim durableAppend`);
      await file.flush();
      assert.ok(file.stats().syncs > 0, 'flush made no sync');
    });
  }
}
