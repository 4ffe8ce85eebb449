/**
 * SegmentFile.truncate's contract: the shorter size is durable when the promise resolves. Without
 * it, a recovery that cut a segment's tail, followed by a roll that found nothing to trim, left the
 * long size to come back after the next power cut; that recovery then counted the zeros as damage
 * in a closed segment and deleted every later one, acknowledged appends with them (the mmap
 * power-cut test lost five that way, cycle 103 of 400).
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEngine } from '../../engines/index.js';
import { loadNative } from '../../native/index.js';
import { CrashFs } from './crashfs.js';
import { crashFsFixture } from './fixture.js';

const fx = crashFsFixture('strata-truncate-cut-');
const { skip, base } = fx;

const FILE_BYTES = 64 * 1024;
const CUT_BYTES = 1000;

describe.skipIf(skip)('SegmentFile.truncate survives a power cut', () => {
  for (const name of ['pwrite', 'fsync-group', 'fsync-per-write', 'mmap']) {
    for (const preallocateBytes of [0, 1 << 20]) {
      it.skipIf(name === 'mmap' && !loadNative())(`${name}, preallocate ${preallocateBytes}: the cut size is what comes back`, async () => {
        fx.mounted = await CrashFs.mount(join(base, `${name}-${preallocateBytes}-b`), join(base, `${name}-${preallocateBytes}-m`));
        const path = join(fx.mounted.mountpoint, '00000000000000000000.log');
        const engine = await loadEngine(name);
        const file = await engine.open(path, { preallocateBytes });
        const data = Buffer.alloc(FILE_BYTES, 0x5a);
        await file.append([data], data.length);
        await file.flush();
        await file.trim(); // the long size is durable now: what a crashed writer leaves behind
        await file.truncate(CUT_BYTES);
        fx.mounted.cut();
        await file.close().catch(() => undefined); // everything fails after the cut
        fx.mounted = await fx.mounted.remount();
        const after = fs.readFileSync(path);
        // a reservation after the cut may survive, but only as zeros: never the cut bytes
        expect(after.length === CUT_BYTES || after.subarray(CUT_BYTES).every((b) => b === 0), `size ${after.length}`).toBe(true);
        expect(after.subarray(0, CUT_BYTES).equals(data.subarray(0, CUT_BYTES))).toBe(true);
      });
    }
  }
});
