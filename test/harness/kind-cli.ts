/**
 * A workload kind's run through the built CLI, as a user runs it: the workload file written into a
 * fresh temp directory, `strata bench --workload FILE --data-dir DIR --out DIR/out`, and
 * `strata compare` of what it wrote with itself (every figure "within noise").
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../harness/fingerprint.js';

export interface KindCliRun {
  /** The temp directory (data dir and cwd); the caller removes it. */
  dir: string;
  /** Where results.json and report.md are. */
  out: string;
  /** What `strata bench` printed. */
  stdout: string;
  /** `strata compare` of results.json with itself: its stdout. */
  compareWithItself(): Promise<string>;
}

export async function benchWorkloadCli(name: string, yaml: string, timeoutMs: number): Promise<KindCliRun> {
  const dir = mkdtempSync(join(tmpdir(), `strata-${name}-cli-`));
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  const strata = (args: string[]) => promisify(execFile)(process.execPath, [join(repoRoot(), 'bin/strata.js'), ...args], { cwd: dir, timeout: timeoutMs });
  const out = join(dir, 'out');
  const { stdout } = await strata(['bench', '--workload', file, '--data-dir', dir, '--out', out, '--progress', 'none']);
  const results = join(out, 'results.json');
  return { dir, out, stdout, compareWithItself: async () => (await strata(['compare', results, results])).stdout };
}
