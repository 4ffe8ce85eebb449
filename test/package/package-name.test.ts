/**
 * The package is installed and imported by its own name everywhere the docs tell a user to type it.
 * The registry's `strata` is another project's package ("a modular, streaming HTTP server"), so
 * `npm install strata` or a bare `npx strata …` (which fetches and runs that package outside a
 * checkout) would give people someone else's code; the command stays `strata` (bin).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };

const root = join(import.meta.dirname, '../..');
const texts = [
  'README.md',
  ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
  ...readdirSync(join(root, 'test/package/fixtures')).map((f) => `test/package/fixtures/${f}`),
].map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
const subpaths = Object.keys(pkg.exports).map((k) => k.replace(/^\.\/?/, ''));

describe(`the package name ${pkg.name}`, () => {
  test('is not the registry\'s "strata", and the command is still strata', () => {
    expect(pkg.name).not.toBe('strata');
    expect(Object.keys(pkg.bin)).toEqual(['strata']);
  });

  test('every import, require and npm install of strata in the docs names this package', () => {
    const wrong: string[] = [];
    for (const { path, text } of texts) {
      for (const m of text.matchAll(/(?:from |require\(|import\()['"](strata[^'"]*)['"]/g)) {
        const [name, ...rest] = m[1]!.split('/');
        if (name !== pkg.name || (rest.length > 0 && !subpaths.includes(rest.join('/')))) wrong.push(`${path}: ${m[0]}`);
      }
      for (const m of text.matchAll(/npm (?:install|i) ((?:@[\w-]+\/)?strata[\w-]*)/g)) if (m[1] !== pkg.name) wrong.push(`${path}: ${m[0]}`);
    }
    expect(wrong).toEqual([]);
  });

  test('npx runs the strata command of this package only (--no-install)', () => {
    const bare = texts.flatMap(({ path, text }) => [...text.matchAll(/npx (?!--no-install )(strata\b.*)/g)].map((m) => `${path}: ${m[0]}`));
    expect(bare).toEqual([]);
  });
});
