/**
 * package-lock.json is complete: `npm install` on a fresh clone leaves it as it is (an incomplete lock,
 * e.g. without the root package's peerDependencies or with an old engines field, is rewritten and
 * shows up as a change in `git status`). npm works on copies of package.json and the lock in an
 * empty directory, with --package-lock-only: it resolves the tree and writes the lock, nothing else.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, test } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'strata-lock-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test('npm install does not rewrite package-lock.json', async () => {
  for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(root, f), join(work, f));
  const before = readFileSync(join(work, 'package-lock.json'), 'utf8');
  await run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: work, timeout: 300_000, maxBuffer: 16 << 20 });
  const after = readFileSync(join(work, 'package-lock.json'), 'utf8');
  // the first differing line names what the lock lacks
  const a = before.split('\n');
  const b = after.split('\n');
  const i = b.findIndex((line, k) => line !== a[k]);
  expect(i < 0 ? null : `line ${i + 1}: ${b.slice(Math.max(0, i - 3), i + 4).join('\n')}`).toBeNull();
});
