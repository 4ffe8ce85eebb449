/**
 * native/install.mjs on a copy of native/ (so this checkout's build is untouched): it finds Node's
 * headers itself when npm's nodedir points nowhere (a ~/.npmrc from another machine), and a build
 * that cannot succeed says so on stderr, leaves the marker, and the "unavailable" errors quote the
 * reason and the same fix (native/build-fix.json) everywhere.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import buildFix from '../../native/build-fix.json' with { type: 'json' };

const root = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'strata-native-install-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A package skeleton: native/ copied, node_modules linked (binding.gyp resolves node-addon-api). */
function skeleton(name: string): string {
  const dir = join(work, name);
  cpSync(join(root, 'native'), join(dir, 'native'), { recursive: true, filter: (src) => !/\/native\/build(\/|$)/.test(src) });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return join(dir, 'native');
}

function install(nativeDir: string, env: Record<string, string>, strict = false) {
  return spawnSync(process.execPath, [join(nativeDir, 'install.mjs'), ...(strict ? ['--strict'] : [])], { encoding: 'utf8', timeout: 600_000, env: { ...process.env, ...env } });
}

test('builds when npm\'s nodedir names a directory that does not exist', () => {
  const dir = skeleton('bad-nodedir');
  const r = install(dir, { npm_config_nodedir: '/nonexistent' });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^strata: native addon built \(/);
  for (const f of ['strata_native.node', 'strata_baseline', 'discard_sink']) expect(existsSync(join(dir, 'build/Release', f)), f).toBe(true);
  expect(existsSync(join(dir, 'build/strata-build-failed.txt'))).toBe(false);
});

test('a failed build: one line on stderr naming the fix, a marker, exit 0 (exit 1 with --strict), and the same fix from strata', () => {
  const dir = skeleton('no-compiler');
  const noCompiler = { CC: '/bin/false', CXX: '/bin/false' };
  const r = install(dir, noCompiler);
  expect(r.status).toBe(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^strata: native addon not built \(.+\); fix: /);
  expect(lines[0]).toContain(buildFix.fix);
  const marker = readFileSync(join(dir, 'build/strata-build-failed.txt'), 'utf8');
  expect(marker).toMatch(/exited with status 1|Error/);
  expect(install(dir, noCompiler, true).status).toBe(1);

  // what needs the addon now quotes the marker and the same fix
  const script = "import { requireNative } from './native/index.ts'; try { requireNative('the mmap engine'); } catch (e) { console.log(e.message); }";
  const q = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, STRATA_NATIVE_DIR: dir } });
  expect(q.stdout).toMatch(/^unavailable: native addon not built \(the mmap engine needs it; its build at npm install failed: /);
  expect(q.stdout).toContain(`fix: ${buildFix.fix}`);
});

test('docs/native.md quotes the same fix', () => {
  expect(readFileSync(join(root, 'docs/native.md'), 'utf8')).toContain(buildFix.fix);
});
