/**
 * The built suite (dist/conformance.js) without vitest: in a project whose node_modules holds
 * strata's dependencies but not vitest, runConformance() with no test functions fails with the
 * message naming both fixes, and with node:test's functions injected it runs and passes under
 * `node --test`. The project is real files: dist/ copied (Node resolves a symlinked package from
 * its real path, which would find this repo's vitest) and every dependency but vitest linked.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const dist = join(repo, 'dist');
if (!fs.existsSync(join(dist, 'conformance.js'))) throw new Error('dist/ missing: run `npm run build` before the tests');

let project: string;
beforeAll(() => {
  project = fs.mkdtempSync(join(os.tmpdir(), 'strata-no-vitest-'));
  fs.cpSync(dist, join(project, 'dist'), { recursive: true });
  fs.writeFileSync(join(project, 'package.json'), JSON.stringify({ type: 'module' }));
  fs.mkdirSync(join(project, 'node_modules'));
  for (const entry of fs.readdirSync(join(repo, 'node_modules'))) {
    if (entry === 'vitest' || entry === '@vitest' || entry.startsWith('.')) continue;
    fs.symlinkSync(join(repo, 'node_modules', entry), join(project, 'node_modules', entry));
  }
});
afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

test('without vitest and without test functions: an error naming both fixes', async () => {
  const script = `import { pwriteEngine } from './dist/index.js';
import { runConformance } from './dist/conformance.js';
try { await runConformance({ engine: pwriteEngine }); console.log('registered'); }
catch (err) { console.log(err.message); }`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project });
  expect(stdout).toMatch(/vitest is not installed\. Either install vitest \(`npm install --save-dev vitest`\) or pass your runner's: runConformance\(\{ engine, test: \{ test, describe \} \}\)/);
});

test("under node:test, with its functions injected, the suite's modules run and pass", async () => {
  const file = join(project, 'engine.test.mjs');
  fs.writeFileSync(
    file,
    `import { describe, test } from 'node:test';
import { pwriteEngine } from './dist/index.js';
import { runConformance } from './dist/conformance.js';
await runConformance({
  engine: pwriteEngine,
  engineModule: 'pwrite',
  modules: ['manifest', 'segment-file', 'durable-append', 'native', 'round-trip', 'recovery'],
  test: { describe, test: (name, fn, timeoutMs) => test(name, { timeout: timeoutMs }, fn) },
});
`,
  );
  const { stdout } = await run(process.execPath, ['--test', '--test-reporter=tap', file], { cwd: project });
  // 1 manifest + 8 segment-file + 1 durable-append + 1 native + 1 round-trip + 2 recovery
  expect(stdout).toMatch(/^# pass 14$/m);
  expect(stdout).toMatch(/^# fail 0$/m);
  expect(stdout).toMatch(/engine conformance: pwrite/);
});
