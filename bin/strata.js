#!/usr/bin/env node
// The CLI lives in dist/ (built by `npm install`, which runs tsup through `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ENGINES_NODE, supportedNode } from './node-version.js';

if (!supportedNode(process.versions.node)) {
  process.stderr.write(`strata: Node ${process.versions.node} is not supported (needs ${ENGINES_NODE}); install Node 24 from https://nodejs.org\n`);
  process.exit(1);
}
const entry = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(entry)) {
  process.stderr.write('strata: not built yet; run `npm install` (or `npm run build`) in the checkout first\n');
  process.exit(1);
}
await import(entry);
