/**
 * fsync-group's GroupCommitter told by the writer when its writes have landed (the WriteFollower
 * given at open): a sync waiting behind a write in flight starts the moment the writer goes idle,
 * not when the 1 ms delay runs out. The delay's timer is frozen here (fake setTimeout), so an
 * append that needed it would never be acknowledged. Every write goes through the threadpool (no
 * inline writes), so there are writes in flight to wait behind; the file and fdatasync are real.
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test, vi } from 'vitest';
import { GroupCommitter } from '../../engines/fsync-group.js';
import { PwriteSegmentFile } from '../../engines/pwrite-file.js';

const realSetTimeout = globalThis.setTimeout;
afterEach(() => vi.useRealTimers());

test('a sync waiting behind writes in flight starts when they land, covering them, without the delay timer', async () => {
  const dir = fs.mkdtempSync(join(tmpdir(), 'strata-gc-'));
  const file = await PwriteSegmentFile.open(join(dir, 'f.log'), { preallocateBytes: 0 }, { follower: (f) => new GroupCommitter(f) });
  try {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const APPEND = 4096;
    // one turn: append 0 is written alone, 1-15 (60 KiB, below the 256 KiB for a second write in
    // flight) queue behind it and go in the next write
    const acks = Array.from({ length: 16 }, (_, i) => file.append([Buffer.alloc(APPEND, i)], APPEND));
    let guard: NodeJS.Timeout | undefined;
    // a hang guard on the real clock, not a speed target
    const hang = new Promise<never>((_, reject) => (guard = realSetTimeout(() => reject(new Error('an append waited for the frozen 1 ms timer')), 10_000)));
    await Promise.race([Promise.all(acks), hang]).finally(() => clearTimeout(guard));
    // append 0's sync waited for the second write (writes in flight), then started when it landed;
    // the 15 behind it shared the next one
    expect(file.stats()).toMatchObject({ appends: 16, writes: 2, syncs: 2 });
    expect(fs.readFileSync(join(dir, 'f.log')).equals(Buffer.concat(Array.from({ length: 16 }, (_, i) => Buffer.alloc(APPEND, i))))).toBe(true);
  } finally {
    vi.useRealTimers();
    await file.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
