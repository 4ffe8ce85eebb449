/** The `supports` manifest is well formed and consistent with itself. */
import assert from 'node:assert/strict';
import type { Suite } from '../context.js';

const FLAGS = ['durableAppend', 'groupCommit', 'preallocate', 'native'] as const;

export function manifest(suite: Suite): void {
  suite.test('names itself and states every supports flag as a boolean', async () => {
    const { engine } = suite;
    assert.equal(typeof engine.name, 'string');
    assert.ok(engine.name.length > 0, 'the engine has a name');
    for (const flag of FLAGS) assert.equal(typeof engine.supports[flag], 'boolean', `supports.${flag} of ${engine.name}`);
    // group commit shares syncs among durable appends: without durable appends there is nothing to share
    assert.ok(!engine.supports.groupCommit || engine.supports.durableAppend, `${engine.name} claims groupCommit without durableAppend`);
  });
}
