/**
 * What a new user trips on, fixed (issue 14): each case runs the real CLI in a child process.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { etaText, plainProgress, repetitionLine } from '../../harness/progress.js';

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'strata-cli-fixes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function strata(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), ...args], { cwd: root, input, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: 'true' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const quick = join(root, 'harness/workloads/quick.yaml');
/** A bench as small as it gets: one cell, no consumer, no baselines. */
const tiny = ['bench', '--workload', quick, '--engine', 'pwrite', '--transfer', 'buffered', '--codec', 'none', '--records', '300', '--consumers', '0', '--no-baselines', '--no-charts', '--progress', 'plain'];

test('--version prints the package version', () => {
  const r = strata(['--version']);
  expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
});

test('verify of a data dir that does not exist exits 1 with one line', () => {
  const r = strata(['verify', '--data-dir', '/nonexistent']);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe('strata: data dir /nonexistent does not exist or is not a directory\n');
});

test('consume --from past the log end says the offset is out of range and exits 1 (like kcat)', () => {
  const data = join(dir, 'consume');
  expect(strata(['produce', '--data-dir', data, '--topic', 't'], 'a\nb\nc\n').code).toBe(0);
  const past = strata(['consume', '--data-dir', data, '--topic', 't', '--from', '10']);
  expect(past.code).toBe(1);
  expect(past.stderr).toBe('strata: --from 10 is out of range for t-0: offsets 0 to 3 (the log end)\n');
  // the log end itself is a valid position with nothing after it yet, as in Kafka
  expect(strata(['consume', '--data-dir', data, '--topic', 't', '--from', '3'])).toMatchObject({ code: 0, stdout: '' });
  expect(strata(['consume', '--data-dir', data, '--topic', 't', '--from', '1']).stdout).toBe('b\nc\n');
});

describe('strata bench', () => {
  test('a run whose every cell is skipped exits 1', () => {
    const r = strata([...tiny, '--engine', 'no-such-engine', '--data-dir', dir, '--out', join(dir, 'skipped')]);
    expect(r.stdout).toMatch(/1 cells: 0 ok, 1 skipped, 0 failed/);
    expect(r.stderr).toMatch(/strata bench: no cell ran \(1 skipped, 0 failed\)/);
    expect(r.code).toBe(1);
  });

  test('a --config typo is blamed on --config, not on the workload file', () => {
    const key = strata([...tiny, '--config', 'flush.mesages=1', '--data-dir', dir, '--out', join(dir, 'typo')]);
    expect(key.code).toBe(1);
    expect(key.stderr).toMatch(/^strata: --config flush\.mesages=1: unknown config key "flush\.mesages"/);
    expect(key.stderr).not.toMatch(/quick\.yaml/);
    const value = strata([...tiny, '--config', 'flush.messages=1,lots', '--data-dir', dir, '--out', join(dir, 'typo2')]);
    expect(value.code).toBe(1);
    expect(value.stderr).toMatch(/^strata: --config flush\.messages=1,lots: flush\.messages/);
  });

  test('report.md has a legend for the cell ids; progress shows ETA, MB/s and latency', () => {
    const out = join(dir, 'legend');
    const r = strata([...tiny, '--repetitions', '2', '--data-dir', dir, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\[1\/2\] pwrite\/buffered\/none\/none\/r1024\/b100 rep 1\/2: [\d,]+ records\/s \([\d,.]+ MB\/s\), append p50 [\d,.]+ us, p99 [\d,.]+ us, max [\d,.]+ us; ETA \d+s/);
    expect(r.stderr).toMatch(/\[2\/2\] .*; done/);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/Cell ids read `engine\/transfer\/cache\/codec\/r<record bytes>\/b<records per batch>\[\/config key=value\.\.\.\]`/);
  });

  test('--replay says which data dir it runs on, and compare names a data dir change and warns under 3 repetitions', () => {
    const a = join(dir, 'run-a');
    const disk = join(dir, 'disk-a');
    mkdirSync(disk);
    expect(strata([...tiny, '--repetitions', '2', '--data-dir', disk, '--out', a]).code).toBe(0);
    // with no --data-dir the replay runs where the replayed run ran, and says so
    const same = strata(['bench', '--replay', join(a, 'results.json'), '--no-baselines', '--no-charts', '--progress', 'none', '--out', join(dir, 'run-same')]);
    expect(same.code).toBe(0);
    expect(same.stderr).toContain(`strata bench: replay: data dir ${disk}, as in the replayed run`);
    // elsewhere: said at the replay and by compare
    const other = join(dir, 'disk-b');
    mkdirSync(other);
    const b = join(dir, 'run-b');
    const moved = strata(['bench', '--replay', join(a, 'results.json'), '--data-dir', other, '--no-baselines', '--no-charts', '--progress', 'none', '--out', b]);
    expect(moved.code).toBe(0);
    expect(moved.stderr).toContain(`strata bench: replay: data dir ${other} (the replayed run used ${disk})`);
    const c = strata(['compare', join(a, 'results.json'), join(b, 'results.json')]);
    expect(c.code).toBe(0);
    expect(c.stdout).toContain(`dataDir: ${disk} -> ${other}`);
    expect(c.stdout).toMatch(/^warning: A has 2 repetition\(s\) per cell and B 2: with fewer than 3 the min-max ranges cannot tell noise from change/m);
    expect(c.stdout).toMatch(/figures compared: .*\(not conclusive: fewer than 3 repetitions\)/);
  });
});

test('progress: ETA from the pace so far; one line per repetition like kafka-producer-perf-test', () => {
  expect(etaText(10_000, 1, 4)).toBe('ETA 30s');
  expect(etaText(50_000, 1, 4)).toBe('ETA 2m30s');
  expect(etaText(1, 4, 4)).toBe('done');
  let t = 0;
  const lines: string[] = [];
  const p = plainProgress((l) => lines.push(l), () => t);
  p.start(3);
  t = 2000;
  p.advance(1, 'a');
  expect(lines).toEqual(['[1/3] a; ETA 4s']);
  expect(repetitionLine('c', 1, 3, { 'produce.recordsPerSec': 123456.7, 'produce.mbPerSec': 126.4, 'produce.appendLatency.usP50': 7.25, 'produce.appendLatency.usP99': 40, 'produce.appendLatency.usMax': 900 }))
    .toBe('c rep 1/3: 123,457 records/s (126.40 MB/s), append p50 7.3 us, p99 40.0 us, max 900.0 us');
});
