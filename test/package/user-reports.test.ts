/**
 * Smaller things a new user and an engine author ran into, each fixed and checked here: an engine
 * missing pieces is told what, by name, when it is registered or opens a file; a `.ts` engine module
 * is told how to load it; bench cells of an engine loaded by path carry the engine's name; `produce`
 * with empty input creates nothing; the conformance suite blames durableAppend when that claim is
 * the false one; report.md leads with a summary and the results, in tables of a few columns.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { logConfigFrom } from '../../core/config/log-config.js';
import type { SegmentFile, StorageEngine } from '../../core/engine.js';
import { Log } from '../../core/log/log.js';
import { ComponentRegistry } from '../../core/registry.js';
import { silentLogger } from '../../core/tokens.js';
import { registerEngine } from '../../engines/index.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import type { BenchResults } from '../../harness/results.js';
import { runConformance } from '../conformance/suite.js';

const root = join(import.meta.dirname, '../..');
if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('dist/ missing: run `npm run build` before the tests');
const dir = mkdtempSync(join(tmpdir(), 'strata-user-reports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The built CLI, as a user runs it (plain node: no TypeScript loader). */
function strata(args: string[], input = '') {
  const r = spawnSync(process.execPath, [join(root, 'bin/strata.js'), ...args], { cwd: dir, input, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: 'true' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('an engine is checked when it is registered', () => {
  test('a missing supports flag and open are named', () => {
    const bad = { name: 'half', supports: { durableAppend: false, preallocate: false, native: false } } as unknown as StorageEngine;
    expect(() => registerEngine(new ComponentRegistry(), bad, 'test')).toThrow(/engine "half" from test is not a StorageEngine \(core\/engine\.ts\): missing open \(a function\), supports\.groupCommit \(a boolean\)/);
  });

  test('a SegmentFile without trim and close is named when the log opens it, not "this.file.close is not a function"', async () => {
    const lacking: StorageEngine = {
      name: 'lacking',
      supports: pwriteEngine.supports,
      async open(path, options) {
        const file = await pwriteEngine.open(path, options);
        return { path: file.path, fd: file.fd, sizeBytes: 0, append: file.append.bind(file), read: file.read.bind(file), flush: file.flush.bind(file), truncate: file.truncate.bind(file), stats: file.stats.bind(file) } as unknown as SegmentFile;
      },
    };
    const err = await Log.open(join(dir, 'lacking-0'), logConfigFrom({}), { engine: lacking, logger: silentLogger }).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/engine "lacking" opened .*00000000000000000000\.log as a SegmentFile without trim\(\), close\(\) \(core\/engine\.ts: SegmentFile\)/);
  });
});

test('a .ts engine module: loaded where Node strips types, else told to compile it or use tsx', () => {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  const source = readFileSync(join(root, 'test/package/fixtures/tiny-engine.mjs'), 'utf8');
  writeFileSync(join(dir, 'ts-engine.ts'), source);
  const r = strata(['produce', '--data-dir', join(dir, 'ts-data'), '--topic', 't', '--engine', './ts-engine.ts'], 'a\n');
  if ((process.features as { typescript?: string | false }).typescript) {
    expect(r, r.stderr).toMatchObject({ code: 0 });
  } else {
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot load engine module "\.\/ts-engine\.ts": Node [\d.]+ does not run TypeScript by itself\. Compile it to \.js, or load strata with tsx: NODE_OPTIONS="--import tsx" npx --no-install strata/);
  }
});

test('bench cells of an engine loaded by path are named by the engine, the path in a note', () => {
  copyFileSync(join(root, 'test/package/fixtures/tiny-engine.mjs'), join(dir, 'tiny-engine.mjs'));
  const out = join(dir, 'bench-tiny');
  const r = strata(['bench', '--workload', join(root, 'harness/workloads/quick.yaml'), '--engine', './tiny-engine.mjs', '--transfer', 'buffered', '--codec', 'none', '--records', '300',
    '--consumers', '0', '--repetitions', '1', '--no-baselines', '--no-charts', '--progress', 'plain', '--data-dir', dir, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as BenchResults;
  expect(results.cells.map((c) => [c.id, c.engine, c.status])).toEqual([['tiny/buffered/none/none/r1024/b100', 'tiny', 'ok']]);
  expect(results.cells[0]!.notes).toContain('engine tiny loaded from ./tiny-engine.mjs');
});

test('produce with empty input writes nothing and creates no topic', () => {
  const data = join(dir, 'empty-data');
  mkdirSync(data);
  const r = strata(['produce', '--data-dir', data, '--topic', 'never', '--partition', '0'], '');
  expect(r).toMatchObject({ code: 0, stdout: 'wrote 0 records: stdin was empty (never-0 not created)\n' });
  expect(readdirSync(data)).toEqual([]);
});

test('the group-commit module blames durableAppend when an engine claiming it never syncs', async () => {
  const liar: StorageEngine = { name: 'liar', supports: { ...pwriteEngine.supports, durableAppend: true, groupCommit: false }, open: (p, o) => pwriteEngine.open(p, o) };
  const tests: { name: string; fn: () => Promise<void> | void }[] = [];
  await runConformance({ engine: liar, modules: ['group-commit'], test: { test: (name, fn) => void tests.push({ name, fn }) } });
  expect(tests).toHaveLength(1);
  const failure = await Promise.resolve(tests[0]!.fn()).then(() => undefined, (e: Error) => e.message);
  expect(failure).toMatch(/liar made no sync for 128 appends although it claims durableAppend: the false claim is durableAppend/);
  expect(failure).not.toMatch(/does not claim groupCommit/);
});

test('report.md: summary first, then the results, then environment and baselines; tables of 9 columns at most', () => {
  const out = join(dir, 'bench-report');
  const r = strata(['bench', '--workload', join(root, 'harness/workloads/quick.yaml'), '--engine', 'pwrite', '--transfer', 'buffered', '--codec', 'none,lz4', '--records', '2000',
    '--repetitions', '1', '--baseline-seconds', '1', '--no-charts', '--progress', 'plain', '--data-dir', dir, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  const report = readFileSync(join(out, 'report.md'), 'utf8');
  const at = (heading: string) => report.indexOf(`\n## ${heading}`);
  expect(at('Summary')).toBeGreaterThan(0);
  expect(at('Summary')).toBeLessThan(at('Produce'));
  expect(at('Produce')).toBeLessThan(at('Consume'));
  expect(at('Consume')).toBeLessThan(at('Environment'));
  expect(at('Environment')).toBeLessThan(at('Baselines'));
  const summary = report.slice(at('Summary'), report.indexOf('\n## ', at('Summary') + 1));
  expect(summary).toMatch(/- 2 cells: 2 ok, 0 skipped, 0 failed/);
  expect(summary).toMatch(/- fastest produce: `pwrite\/buffered\/none\/(none|lz4)\/r1024\/b100`, [\d,.]+ records\/s/);
  expect(summary).toMatch(/- fastest warm read: `pwrite\/buffered/);
  const widths = report.split('\n').filter((l) => /^\|---/.test(l)).map((l) => l.split('|').length - 2);
  expect(widths.length).toBeGreaterThan(5);
  expect(Math.max(...widths)).toBeLessThanOrEqual(9);
});
