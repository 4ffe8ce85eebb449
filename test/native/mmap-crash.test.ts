/**
 * Crash safety of the mmap engine with real processes: a child appending through mmap is SIGKILLed
 * between (or during) msyncs; the file must then hold a valid prefix of what was appended, with
 * every batch the child saw flushed intact, and the engine must carry on from the recovered end.
 * Plus the SIGBUS guarantee: the engine never touches a mapped page past the end of its file.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodeBatchSync } from '../../core/format/records.js';
import { scanValidBatches } from '../../core/log/file-records.js';
import { mmapEngine } from '../../engines/mmap.js';
import { crashRecord } from './fixtures/crash-records.js';
import { nativeAddon, removeDir, tempDir } from './helpers.js';

nativeAddon();
const root = path.resolve(import.meta.dirname, '../..');
const fixtures = path.join(import.meta.dirname, 'fixtures');
let dir: string;

beforeAll(() => {
  dir = tempDir('mmap-crash');
});
afterAll(() => removeDir(dir));

interface Synced {
  bytes: number;
  lastOffset: number;
}

/** Runs the appender until it reported `syncs` flushes, lets it run `extraMs` more, SIGKILLs it. */
async function appendThenKill(file: string, preallocateBytes: number, syncs: number, extraMs: number): Promise<{ last: Synced; signal: string | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(fixtures, 'mmap-crash-child.ts'), file, String(preallocateBytes)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last: Synced = { bytes: 0, lastOffset: -1 };
  let seen = 0;
  let pending = '';
  const exited = new Promise<string | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`appender exited by itself (code ${code}) after ${seen} flushes`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const [word, bytes, lastOffset] = pending.slice(0, nl).split(' ');
        pending = pending.slice(nl + 1);
        if (word !== 'synced') continue;
        last = { bytes: Number(bytes), lastOffset: Number(lastOffset) };
        if (++seen === syncs) setTimeout(() => (child.kill('SIGKILL'), resolve()), extraMs);
      }
    });
  });
  const signal = await exited;
  return { last, signal };
}

describe('mmap engine crash safety', () => {
  for (const [name, preallocateBytes] of [
    ['preallocated', 4 * 1024 * 1024],
    ['growing', 0],
  ] as const) {
    test(`SIGKILL between msyncs (${name}): a valid prefix holding every flushed batch`, async () => {
      const file = path.join(dir, `${name}.log`);
      for (const [round, extraMs] of [0, 3, 17].entries()) {
        const { last, signal } = await appendThenKill(file, preallocateBytes, 20 + round * 5, extraMs);
        expect(signal).toBe('SIGKILL');
        expect(last.bytes).toBeGreaterThan(0);

        // recovery as the log does it: validate batch by batch, cut at the first bad one
        const seg = await mmapEngine.open(file, { preallocateBytes });
        let expectedOffset = 0;
        const scan = await scanValidBatches(seg, 0, seg.sizeBytes, 1 << 20, 0, (_batch, bytes) => {
          const batch = decodeBatchSync(bytes, 0);
          for (const record of batch.records) {
            expect(record.offset).toBe(expectedOffset);
            const want = crashRecord(record.offset);
            expect(record.key!.equals(want.key!)).toBe(true);
            expect(record.value!.equals(want.value!)).toBe(true);
            expectedOffset++;
          }
        });
        expect(scan.validBytes).toBeGreaterThanOrEqual(last.bytes);
        expect(expectedOffset - 1).toBeGreaterThanOrEqual(last.lastOffset);
        // what is cut is either the zeroed reservation or a torn last batch, never a hole before it
        if (scan.stopReason && !scan.stoppedAtZeros) expect(scan.stopReason).toMatch(/partial|torn|CRC|crc|past/i);
        await seg.truncate(scan.validBytes);
        expect(seg.sizeBytes).toBe(scan.validBytes);
        await seg.close();
        expect(fs.statSync(file).size).toBe(scan.validBytes);
        // the next round's child starts from offset 0 again: begin with an empty file
        fs.rmSync(file);
      }
    }, 60_000);
  }

  test('never touches a mapped page past the end of the file (no SIGBUS) across truncate, trim, growth and reopen', () => {
    const file = path.join(dir, 'sigbus.log');
    const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(fixtures, 'mmap-sigbus-child.ts'), file], { cwd: root, encoding: 'utf8' });
    expect(child.signal).toBeNull(); // SIGBUS would show here
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout.trim())).toEqual({
      afterTruncateRead: 1000,
      pastEndRead: 0,
      farRead: 0,
      fileAfterTrim: 5000,
      afterTrimRead: 5000,
      afterGrowRead: 10,
      closedFile: 5000 + 3 * 4096,
      reopenRead: 1,
      oneByteRead: 1,
      finalSize: 2,
      finalFile: 2,
    });
  }, 30_000);
});
