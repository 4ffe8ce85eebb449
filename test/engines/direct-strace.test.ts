/**
 * What the kernel sees of the direct engine, under strace: its segment file opened O_DIRECT, every
 * write to it a pwrite64 of whole blocks at a block boundary (no buffered write, writev or pwritev),
 * fdatasync for durability, and a Fetch-like send through the sendfile transfer that makes no
 * sendfile from the segment (its bytes are not in the page cache: they go from user memory).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { logicalBlockBytes } from '../../engines/direct/direct-io.js';
import { loadNative } from '../../native/index.js';
import { hasStrace } from '../support/strace.js';

const CHILD = join(import.meta.dirname, 'fixtures-direct-child.ts');

const strace = hasStrace();
if (!strace) console.warn('SKIPPED direct engine strace test: strace is not installed (apt-get install strace; CI installs it)');

function tmpBlockBytes(): number {
  const dir = mkdtempSync(join(tmpdir(), 'strata-direct-block-'));
  try {
    const fd = fs.openSync(join(dir, 'probe'), 'w');
    try {
      return logicalBlockBytes(fd);
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!strace || !loadNative())('direct engine under strace', () => {
  test('O_DIRECT opens, whole-block pwrite64 at block boundaries only, fdatasync, no sendfile from the segment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-direct-strace-'));
    try {
      const out = join(dir, 'trace.txt');
      const r = spawnSync('strace', ['-f', '-e', 'trace=openat,close,pwrite64,pwritev,pwritev2,write,writev,fdatasync,sendfile', '-o', out, process.execPath, '--import', 'tsx', CHILD], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      const child = JSON.parse(r.stdout.trim().split('\n').pop()!) as { segmentFd: number; sentBytes: number; identical: boolean; readBack: boolean };
      expect(child.readBack, 'the file reads back every append, across a reopen after a partial block').toBe(true);
      expect(child.identical, 'the slice sent is the bytes appended').toBe(true);
      const all = readFileSync(out, 'utf8').split('\n');
      const opens = all.filter((l) => /openat\(.*segment\.log"/.test(l));
      expect(opens.length, 'opened, closed, reopened').toBe(2);
      for (const open of opens) expect(open).toMatch(/O_DIRECT/);
      const fd = child.segmentFd;
      // only while the descriptor is the segment's: from an open of it that returned `fd` (the
      // last open's number; the first may have had another) to its close. The number belongs to
      // other files before and after, and in between (e.g. a compile cache another thread writes)
      const lines: string[] = [];
      let inside = false;
      let openingPid: string | undefined;
      for (const l of all) {
        const open = /^(\d+)\s+openat\(.*segment\.log".*?(?:\)\s+= (-?\d+)|<unfinished \.\.\.>)/.exec(l);
        const resumed = openingPid === undefined ? null : new RegExp(`^${openingPid}\\s+<\\.\\.\\. openat resumed>.*= (-?\\d+)`).exec(l);
        if (open && open[2] !== undefined) inside = Number(open[2]) === fd;
        else if (open) openingPid = open[1];
        else if (resumed) {
          inside = Number(resumed[1]) === fd;
          openingPid = undefined;
        } else if (inside && new RegExp(`\\bclose\\(${fd}\\)`).test(l)) inside = false;
        if (inside) lines.push(l);
      }
      const block = tmpBlockBytes();
      // whole calls, and calls another thread interrupted: under -f such a call is split into
      // "PID pwrite64(FD, ..., LENGTH, POSITION <unfinished ...>" and "PID <... pwrite64 resumed>)
      // = N", and only the pid ties the second line (which has no fd) to the first
      const calls: { text: string; length: number; position: number; written: number }[] = [];
      const pending = new Map<string, { text: string; length: number; position: number }>();
      for (const l of lines) {
        const whole = new RegExp(`^(\\d+)\\s+pwrite64\\(${fd}, .*?, (\\d+), (\\d+)\\)\\s+= (\\d+)`).exec(l);
        if (whole) calls.push({ text: l, length: Number(whole[2]), position: Number(whole[3]), written: Number(whole[4]) });
        const unfinished = new RegExp(`^(\\d+)\\s+pwrite64\\(${fd}, .*?, (\\d+), (\\d+) <unfinished \\.\\.\\.>`).exec(l);
        if (unfinished) pending.set(unfinished[1]!, { text: l, length: Number(unfinished[2]), position: Number(unfinished[3]) });
        const end = /^(\d+)\s+<\.\.\. pwrite64 resumed>.*\)\s+= (-?\d+)/.exec(l);
        const started = end ? pending.get(end[1]!) : undefined;
        if (end && started) {
          pending.delete(end[1]!);
          calls.push({ ...started, text: `${started.text} ${l}`, written: Number(end[2]) });
        }
      }
      // the three appends after the reopen are awaited one by one: a write each at least
      expect(calls.length).toBeGreaterThanOrEqual(3);
      for (const c of calls) {
        expect(c.length % block, c.text).toBe(0);
        expect(c.position % block, c.text).toBe(0);
        expect(c.written, c.text).toBe(c.length);
      }
      expect(lines.filter((l) => new RegExp(`\\b(write|writev|pwritev2?)\\(${fd},`).test(l)), 'no other kind of write to the segment').toEqual([]);
      expect(lines.some((l) => new RegExp(`fdatasync\\(${fd}`).test(l))).toBe(true);
      expect(lines.filter((l) => new RegExp(`sendfile\\(\\d+, ${fd},`).test(l)), 'no sendfile from the segment').toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
