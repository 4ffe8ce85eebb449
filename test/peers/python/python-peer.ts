/**
 * The Python interpreter of the Python client peers (test/peers/python/.venv, made by install.sh
 * from requirements.txt: confluent-kafka, kafka-python). A test that needs it fails with the fix
 * in its message when the venv is missing, rather than skipping.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The venv's python3; throws naming install.sh when it was not made. */
export function peerPython(): string {
  const python = join(here, '.venv', 'bin', 'python3');
  if (!existsSync(python)) {
    throw new Error(`the Python client peers are not installed: run bash ${join(here, 'install.sh')}`);
  }
  return python;
}
