/**
 * `strata compare` over every committed results.json under results/: each is read and compared
 * with itself (every figure noise), or refused with a message that names the file and says what
 * it is. And results/ holds no run of a dirty tree.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareResults, loadResults } from '../../harness/compare.js';
import { repoRoot } from '../../harness/fingerprint.js';

const RESULTS = join(repoRoot(), 'results');

function resultsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? resultsFiles(join(dir, e.name)) : e.name === 'results.json' ? [join(dir, e.name)] : []));
}

const files = resultsFiles(RESULTS);

describe('results/: every results.json', () => {
  it('there are some (the walk finds the committed runs)', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files.map((f) => [relative(repoRoot(), f), f]))('%s: compare reads it, or refuses it by name', (_name, file) => {
    let results;
    try {
      results = loadResults(file);
    } catch (err) {
      const message = (err as Error).message;
      expect(message.startsWith(`${file}: `)).toBe(true);
      expect(message).toMatch(/old `npm run bench:vs-kafka` script|not a results file of strata bench|results schema version/);
      return;
    }
    expect(results.fingerprint.git?.dirty, 'a run of a dirty tree is not a result').not.toBe(true);
    const c = compareResults(results, results);
    expect(c.deltas.every((d) => d.verdict === 'noise' && d.deltaPercent === 0)).toBe(true);
    expect(c.onlyInA).toEqual([]);
  });
});
