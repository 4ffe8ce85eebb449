/**
 * The suite as a third party runs it: imported from the built package (dist/conformance.js) on an
 * engine that lives in a module outside the repo, crash test included (fewer cycles here; the
 * built-in engines run all 20).
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
if (!fs.existsSync(join(dist, 'conformance.js'))) throw new Error('dist/ missing: run `npm run build` before the tests');
const moduleDir = fs.mkdtempSync(join(os.tmpdir(), 'strata-third-party-'));
const enginePath = join(moduleDir, 'counting-engine.mjs');
// a wrapper engine of its own: pwrite underneath, counting appends, under its own name
fs.writeFileSync(
  enginePath,
  `import { pwriteEngine } from ${JSON.stringify(join(dist, 'index.js'))};
export let appends = 0;
export default {
  name: 'counting-pwrite',
  supports: { ...pwriteEngine.supports },
  async open(path, options) {
    const file = await pwriteEngine.open(path, options);
    const append = file.append.bind(file);
    file.append = (chunks, bytes) => { appends++; return append(chunks, bytes); };
    return file;
  },
};
`,
);
const { runConformance } = (await import(join(dist, 'conformance.js'))) as typeof import('../../conformance.js');
const engine = (await import(enginePath)).default;
await runConformance({ engine, engineModule: enginePath, crashCycles: 4 });
