/**
 * The set-up every crashfs test file shares: crashfs built once, the mount of each test unmounted
 * after it (even when it failed), the temporary directory removed at the end. Assign a test's
 * mount (and its remounts) to `fx.mounted`.
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { buildCrashFs, type CrashFs, crashFsSkipReason } from './crashfs.js';

export interface CrashFsFixture {
  /** Why crashfs cannot run here (undefined when it can): pass to describe.skipIf. */
  readonly skip: string | undefined;
  /** A temporary directory of this test file, for backing and mount directories. */
  readonly base: string;
  mounted: CrashFs | undefined;
}

export function crashFsFixture(prefix: string): CrashFsFixture {
  const fx: CrashFsFixture = { skip: crashFsSkipReason(), base: fs.mkdtempSync(join(tmpdir(), prefix)), mounted: undefined };
  beforeAll(() => {
    if (!fx.skip) buildCrashFs();
  });
  afterEach(async () => {
    await fx.mounted?.forceUnmount();
    fx.mounted = undefined;
  });
  afterAll(() => fs.rmSync(fx.base, { recursive: true, force: true }));
  return fx;
}
