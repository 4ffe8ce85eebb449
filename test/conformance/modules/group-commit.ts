/**
 * groupCommit, both ways, by behaviour: 16 appenders, each appending one record after another, on
 * one segment file. An engine that claims group commit shares syncs (fewer syncs than appends); a
 * durable engine that does not claim it pays one sync per append.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { SegmentFile } from '../../../core/engine.js';
import type { Suite } from '../context.js';

const APPENDERS = 16;
const APPENDS_EACH = 8;
const RECORD_BYTES = 4096;

async function appendConcurrently(file: SegmentFile): Promise<void> {
  const appender = async (id: number) => {
    for (let i = 0; i < APPENDS_EACH; i++) await file.append([Buffer.alloc(RECORD_BYTES, id)], RECORD_BYTES);
  };
  await Promise.all(Array.from({ length: APPENDERS }, (_, id) => appender(id)));
}

/**
 * No sync at all for appends the engine calls durable: the false claim is durableAppend, which the
 * durable-append module names; saying groupCommit here would send the author to the wrong flag.
 */
function assertSynced(engineName: string, syncs: number, appends: number): void {
  assert.ok(syncs > 0, `${engineName} made no sync for ${appends} appends although it claims durableAppend: the false claim is durableAppend (its appends are not durable when they resolve), not groupCommit`);
}

export function groupCommit(suite: Suite): void {
  const { engine } = suite;
  if (!engine.supports.durableAppend) return; // without durable appends there are no syncs to share (durable-append.ts)
  const total = APPENDERS * APPENDS_EACH;
  if (engine.supports.groupCommit) {
    suite.test(`groupCommit: ${APPENDERS} concurrent appenders share syncs (fewer syncs than appends)`, async (s) => {
      const file = await s.openFile(join(s.dir(), 'f.log'));
      await appendConcurrently(file);
      const { appends, syncs } = file.stats();
      assert.equal(appends, total);
      assertSynced(engine.name, syncs, appends);
      assert.ok(syncs < appends, `${syncs} syncs for ${appends} concurrent appends: no sync was shared`);
    });
  } else {
    suite.test(`no groupCommit claimed: ${APPENDERS} concurrent appenders pay one sync each`, async (s) => {
      const file = await s.openFile(join(s.dir(), 'f.log'));
      await appendConcurrently(file);
      const { appends, syncs } = file.stats();
      assert.equal(appends, total);
      assertSynced(engine.name, syncs, appends);
      assert.ok(syncs >= appends, `${syncs} syncs for ${appends} appends: ${engine.name} shares syncs but does not claim groupCommit`);
    });
  }
}
