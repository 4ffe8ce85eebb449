/**
 * The io-uring engine's own behaviour beyond the conformance suite: appends accepted before a
 * close are all written (more than the groups in flight, so some are still queued when close is
 * called), a read of many MiB comes back whole, and the engine reports itself unavailable with the
 * reason when the addon is off.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ioUringEngine } from '../../engines/io-uring.js';
import { uringUnavailable } from '../../engines/io-uring-queue.js';

const MIB = 1024 * 1024;
const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(join(tmpdir(), 'strata-uring-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe.skipIf(uringUnavailable() !== undefined)('io-uring segment file', () => {
  test('close with 48 MiB of appends queued and in flight: every append completes, the file holds them in order', async () => {
    const path = join(tempDir(), 'segment.log');
    const file = await ioUringEngine.open(path, { preallocateBytes: 0 });
    // 8 MiB groups, 2 in flight: most of these are still queued in the engine when close is called
    const chunks = Array.from({ length: 48 }, () => randomBytes(MIB));
    const appended = chunks.map((c) => file.append([c], c.length));
    const closed = file.close();
    await Promise.all(appended);
    await closed;
    expect(fs.readFileSync(path).equals(Buffer.concat(chunks))).toBe(true);
    expect(file.stats().syncs).toBeLessThan(chunks.length);
  }, 60_000);

  test('1,000 reads at once (more than the ring has submission or completion entries) all come back right', async () => {
    const file = await ioUringEngine.open(join(tempDir(), 'segment.log'), { preallocateBytes: 0 });
    const data = randomBytes(4 * MIB);
    await file.append([data], data.length);
    const positions = Array.from({ length: 1000 }, (_, i) => (i * 4099) % (data.length - 4096));
    const reads = await Promise.all(positions.map((p) => file.read(p, 4096)));
    reads.forEach((r, i) => expect(r.equals(data.subarray(positions[i]!, positions[i]! + 4096)), `read ${i} at ${positions[i]}`).toBe(true));
    await file.close();
  }, 60_000);

  test('a 20 MiB read comes back whole and equal to the appends', async () => {
    const file = await ioUringEngine.open(join(tempDir(), 'segment.log'), { preallocateBytes: 32 * MIB });
    const data = randomBytes(20 * MIB);
    await Promise.all([0, 1, 2, 3].map((i) => file.append([data.subarray(i * 5 * MIB, (i + 1) * 5 * MIB)], 5 * MIB)));
    expect((await file.read(0, 32 * MIB)).equals(data)).toBe(true);
    expect((await file.read(20 * MIB - 10, 100)).equals(data.subarray(20 * MIB - 10))).toBe(true);
    await file.close();
  }, 60_000);
});

test('without the addon the engine is "unavailable: native addon not built"', () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', "import('./engines/index.ts').then((m) => console.log(m.defaultRegistry().get('engine', 'io-uring').unavailable?.()))"], {
    env: { ...process.env, STRATA_NATIVE: '0' },
    encoding: 'utf8',
  });
  expect(out).toMatch(/^unavailable: native addon not built \(the io-uring engine needs it/);
});
