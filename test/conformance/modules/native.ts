/**
 * native, both ways, in a child process with STRATA_NATIVE=0 (the addon treated as not built): an
 * engine that claims it needs the addon refuses to open with ENGINE_UNAVAILABLE naming the addon;
 * one that does not claim it works without it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { childScript, type Suite } from '../context.js';

const run = promisify(execFile);

export function native(suite: Suite): void {
  const { engine, options } = suite;
  if (!options.engineModule) {
    process.stderr.write(`conformance ${engine.name}: native test skipped (no engineModule: a child process cannot load the engine)\n`);
    return;
  }
  const name = engine.supports.native
    ? 'native: without the addon, opening fails with ENGINE_UNAVAILABLE naming it'
    : 'no native claimed: works without the addon';
  suite.test(name, async (s) => {
    const { script, nodeArgs } = childScript('native-probe');
    const { stdout } = await run(process.execPath, [...nodeArgs, script, options.engineModule!, s.dir()], { env: { ...process.env, STRATA_NATIVE: '0' } });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as { ok: boolean; code?: string; message?: string };
    if (engine.supports.native) {
      assert.equal(result.ok, false, `${engine.name} claims native but worked without the addon`);
      assert.equal(result.code, 'ENGINE_UNAVAILABLE', result.message);
      assert.match(result.message!, /native addon/);
    } else {
      assert.deepEqual(result, { ok: true }, `${engine.name} does not claim native but failed without the addon`);
    }
  });
}
