/**
 * What the kernel sees: under strace, the io-uring engine's appends, syncs and reads of a segment
 * file are io_uring_enter calls on its ring, and no pwrite64/pwritev/write/writev, fdatasync or
 * pread64 names the segment's descriptor (those run inside the kernel's io_uring workers, which
 * strace does not trace).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { uringUnavailable } from '../../engines/io-uring-queue.js';
import { hasStrace } from '../support/strace.js';

const CHILD = join(import.meta.dirname, 'fixtures', 'append-child.ts');
/** System calls that would move a segment's bytes or sync it outside the ring. */
const FILE_CALLS = ['pwrite64', 'pwritev', 'pwritev2', 'write', 'writev', 'fdatasync', 'fsync', 'pread64', 'preadv', 'preadv2', 'read'];

const strace = hasStrace();
if (!strace) console.warn('SKIPPED io-uring strace test: strace is not installed (apt-get install strace; CI installs it)');
const unavailable = uringUnavailable();
if (unavailable) console.warn(`SKIPPED io-uring strace test: ${unavailable}`);

interface Traced {
  child: { segmentFd: number; appends: number; identical: boolean; stats: { syncs: number; writes: number } };
  /** Calls naming a descriptor, after the segment file was opened. */
  calls: { name: string; fd: number; line: string }[];
  ringFds: number[];
}

/** Runs the append child under strace -f with `engine`. */
export function traceAppends(engine: string): Traced {
  const dir = mkdtempSync(join(tmpdir(), 'strata-uring-strace-'));
  try {
    const out = join(dir, 'trace.txt');
    const traceSet = ['openat', 'io_uring_setup', 'io_uring_enter', ...FILE_CALLS].join(',');
    const r = spawnSync('strace', ['-f', '-e', `trace=${traceSet}`, '-o', out, process.execPath, '--import', 'tsx', CHILD, engine, dir], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const child = JSON.parse(r.stdout.trim().split('\n').pop()!) as Traced['child'];
    const lines = readFileSync(out, 'utf8').split('\n');
    const ringFds = lines.flatMap((l) => {
      const m = /io_uring_setup\(.*\) = (\d+)$/.exec(l);
      return m ? [Number(m[1])] : [];
    });
    const opened = lines.findIndex((l) => /openat\(.*segment\.log"/.test(l));
    expect(opened, 'the trace shows the segment file being opened').toBeGreaterThanOrEqual(0);
    const calls: Traced['calls'] = [];
    for (const line of lines.slice(opened + 1)) {
      const m = /^\d+\s+(?:<\.\.\. )?(\w+)(?:\(| resumed>)(\d+)?/.exec(line);
      if (!m || m[2] === undefined) continue;
      calls.push({ name: m[1]!, fd: Number(m[2]), line });
    }
    return { child, calls, ringFds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!strace || unavailable !== undefined)('io-uring under strace', () => {
  test('appends, syncs and reads of the segment are io_uring_enter calls; no write, sync or read call names the segment fd', () => {
    const { child, calls, ringFds } = traceAppends('io-uring');
    expect(child.identical).toBe(true);
    expect(child.stats.syncs).toBeGreaterThan(0);
    const onSegment = calls.filter((c) => FILE_CALLS.includes(c.name) && c.fd === child.segmentFd);
    expect(onSegment.map((c) => c.line)).toEqual([]);
    expect(ringFds.length).toBeGreaterThan(0);
    const enters = calls.filter((c) => c.name === 'io_uring_enter' && ringFds.includes(c.fd));
    // 16 appends one at a time are 16 submissions at least (then the group, the read, the close's sync)
    expect(enters.length).toBeGreaterThanOrEqual(16);
  }, 60_000);
});
