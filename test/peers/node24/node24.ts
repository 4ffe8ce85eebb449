/**
 * Node 24 from the npm registry's `node` package (test/peers/node24, installed by install.sh) and
 * the client peers that need it. A test that needs it fails with the fix when it is missing.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE24_DIR = dirname(fileURLToPath(import.meta.url));

/** The Node 24 binary; throws naming install.sh when it was not installed. */
export function node24(): string {
  const bin = join(NODE24_DIR, 'node_modules', '.bin', 'node');
  if (!existsSync(bin)) throw new Error(`Node 24 is not installed: run bash ${join(NODE24_DIR, 'install.sh')}`);
  return bin;
}
