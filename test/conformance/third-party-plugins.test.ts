/**
 * The transfer and cache suites as a third party runs them: imported from the built package
 * (dist/conformance.js) on a transfer and a cache that live in a module outside the repo.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
if (!fs.existsSync(join(dist, 'conformance.js'))) throw new Error('dist/ missing: run `npm run build` before the tests');
const moduleDir = fs.mkdtempSync(join(os.tmpdir(), 'strata-third-party-plugins-'));
const pluginsPath = join(moduleDir, 'plugins.mjs');
// a transfer and a cache of their own: the built-in buffered transfer and user-lru underneath,
// counting what they do, under their own names
fs.writeFileSync(
  pluginsPath,
  `import { builtinCaches, builtinTransfers } from ${JSON.stringify(join(dist, 'index.js'))};
export let sends = 0;
const inner = builtinTransfers.buffered();
export const countingTransfer = {
  name: 'counting-buffered',
  supports: { ...inner.supports },
  send(socket, slices, signal, onProgress) { sends++; return inner.send(socket, slices, signal, onProgress); },
};
export function makeCache() {
  const inner = builtinCaches['user-lru']({ bytesMax: 4 << 20 });
  return { name: 'small-lru', supports: { ...inner.supports }, open: (file) => inner.open(file), stats: () => inner.stats() };
}
`,
);
const { runTransferConformance, runCacheConformance } = (await import(join(dist, 'conformance.js'))) as typeof import('../../conformance.js');
const plugins = await import(pluginsPath);
await runTransferConformance({ transfer: plugins.countingTransfer });
await runCacheConformance({ cache: plugins.makeCache });
