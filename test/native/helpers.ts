/** Shared by the native tests: the addon (these tests fail, loudly, when it was not built) and temp dirs. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadNative, type NativeAddon } from '../../native/index.js';

export function nativeAddon(): NativeAddon {
  const native = loadNative();
  if (!native) throw new Error('native addon not built: run `npm run build:native` (the test suite needs it)');
  return native;
}

/** A fresh directory under the OS temp dir (the same ext4 filesystem as the work tree here). */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `strata-${prefix}-`));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Expects `fn` to throw an error whose `code` is `code` (and, for errno errors, syscall set). */
export function errorOf(fn: () => unknown): NodeJS.ErrnoException {
  try {
    fn();
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
  throw new Error('expected an error, none was thrown');
}

/** Bytes with a position-dependent pattern, so misplaced copies show. */
export function patterned(length: number, seed = 0): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = (i * 31 + seed * 7 + (i >>> 8)) & 0xff;
  return b;
}
