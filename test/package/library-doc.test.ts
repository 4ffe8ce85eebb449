/**
 * docs/library.md's snippets run as written: each ```ts block followed by a ```text block is written
 * to a file inside the package (so `import ... from 'strata-log'` resolves to this package's dist/
 * by Node's self-reference, as it would from node_modules) and run with node and tsx (TypeScript,
 * as an embedder writes it; test/package/tarball.test.ts type-checks the same blocks); its stdout
 * must equal the ```text block right after it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';

const root = join(import.meta.dirname, '../..');
if (!existsSync(join(root, 'dist/index.js'))) throw new Error('dist/ missing: run `npm run build` before the tests');
const doc = readFileSync(join(root, 'docs/library.md'), 'utf8');
const snippets = [...doc.matchAll(/```ts\n((?:(?!```)[\s\S])*)```\n```text\n([\s\S]*?)```/g)].map((m) => ({ code: m[1]!, output: m[2]! }));
const scratch = join(root, 'tmp', `library-doc-${process.pid}`);
mkdirSync(scratch, { recursive: true });
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test('docs/library.md has its snippets, each with the output it prints', () => {
  expect(snippets.length).toBeGreaterThanOrEqual(4);
  expect(doc).toMatch(/## A data directory of partitions: `LogManager`/);
});

for (const [i, s] of snippets.entries()) {
  test(`snippet ${i + 1} prints what the doc says`, () => {
    // the snippets import repo paths from the package root; the file lives two levels below it
    const file = join(scratch, `snippet-${i + 1}.mts`);
    writeFileSync(file, s.code.replace(/from '\.\/(test\/[^']+)'/g, (_, p: string) => `from ${JSON.stringify(join(root, p))}`));
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(s.output);
    expect(r.status).toBe(0);
  });
}
