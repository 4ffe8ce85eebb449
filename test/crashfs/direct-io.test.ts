/**
 * O_DIRECT on crashfs: it accepts direct opens and keeps a direct write volatile until an
 * fdatasync, like any write; with --refuse-direct it refuses them as file systems without direct
 * I/O do (EINVAL), and the direct engine then says it is unavailable there.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { directEngine } from '../../engines/direct/direct.js';
import { loadNative } from '../../native/index.js';
import { CrashFs } from './crashfs.js';
import { crashFsFixture } from './fixture.js';

const fx = crashFsFixture('strata-crashfs-direct-');

async function mount(name: string, flags: string[] = []): Promise<string> {
  fx.mounted = await CrashFs.mount(join(fx.base, `backing-${name}`), join(fx.base, `mnt-${name}`), flags);
  return fx.mounted.mountpoint;
}

describe.skipIf(fx.skip ?? (!loadNative() && 'native addon not built'))('O_DIRECT on crashfs', () => {
  it('accepts direct appends; only the synced ones survive a cut', async () => {
    const dir = await mount('accept');
    const path = join(dir, '00000000000000000000.log');
    const file = await directEngine.open(path, { preallocateBytes: 0 });
    await file.append([Buffer.alloc(1000, 1)], 1000); // acknowledged after its fdatasync
    const unsynced = Buffer.alloc(4096, 2);
    // a direct write crashfs has seen but nobody synced
    fs.writeSync(file.fd, Buffer.from(loadNative()!.alignedBuffer!(4096, 4096)).fill(2), 0, 4096, 8192);
    expect(fx.mounted!.stats().dirty_bytes).toBeGreaterThan(0);
    fx.mounted!.cut();
    await file.close().catch(() => {}); // every call fails with EIO after the cut
    fx.mounted = await fx.mounted!.remount();
    const after = fs.readFileSync(path);
    expect(after.subarray(0, 1000).equals(Buffer.alloc(1000, 1))).toBe(true);
    expect(after.includes(unsynced.subarray(0, 16))).toBe(false);
  });

  it('with --refuse-direct the direct engine is unavailable there, naming the file', async () => {
    const dir = await mount('refuse', ['--refuse-direct']);
    const path = join(dir, '00000000000000000000.log');
    await expect(directEngine.open(path, { preallocateBytes: 0 })).rejects.toMatchObject({
      code: 'ENGINE_UNAVAILABLE',
      message: expect.stringMatching(/^unavailable: the file system of .*00000000000000000000\.log refuses O_DIRECT opens/),
    });
    expect(fs.existsSync(path), 'nothing created by the refused open').toBe(false);
  });
});
