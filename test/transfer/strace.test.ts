/**
 * What the kernel sees: under strace, the sendfile transfer moves the payload with sendfile(2) and
 * never preads it into user space; the buffered transfer preads it and writes it to the socket.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadNative } from '../../native/index.js';
import { hasStrace } from '../support/strace.js';

const CHILD = join(import.meta.dirname, 'fixtures', 'transfer-child.ts');
const PAYLOAD_BYTES = 4 << 20;

const strace = hasStrace();
if (!strace) console.warn('SKIPPED strace tests: strace is not installed (apt-get install strace; CI installs it)');

interface Trace {
  child: { segmentFd: number; socketFd: number; sentBytes: number; identical: boolean };
  /** Syscalls on the segment and socket fds after the segment file was opened. */
  calls: { name: string; fd: number; line: string }[];
  trace: string;
}

function traced(transfer: string): Trace {
  const dir = mkdtempSync(join(tmpdir(), 'strata-strace-'));
  try {
    const out = join(dir, 'trace.txt');
    const r = spawnSync(
      'strace',
      ['-f', '-e', 'trace=openat,sendfile,pread64,preadv2,read,write,writev', '-o', out, process.execPath, '--import', 'tsx', CHILD, transfer, String(PAYLOAD_BYTES)],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const child = JSON.parse(r.stdout.trim().split('\n').pop()!) as Trace['child'];
    const lines = readFileSync(out, 'utf8').split('\n');
    // (with -f a call can be split into "<unfinished ...>" and "<... resumed>" lines)
    const opened = lines.findIndex((l) => /openat\(.*segment\.log"/.test(l));
    expect(opened, 'the trace shows the segment file being opened').toBeGreaterThanOrEqual(0);
    const calls: Trace['calls'] = [];
    for (const line of lines.slice(opened + 1)) {
      const m = /^\d+\s+(sendfile|pread64|preadv2|read|write|writev)\((\d+), (\d+)?/.exec(line);
      if (!m) continue;
      const name = m[1]!;
      // sendfile(out, in, ...): the file is the second argument
      const fd = name === 'sendfile' ? Number(m[3]) : Number(m[2]);
      calls.push({ name, fd, line });
      if (name === 'sendfile') calls.push({ name: 'sendfile-out', fd: Number(m[2]), line });
    }
    return { child, calls, trace: lines.join('\n') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!strace)('syscalls under strace', () => {
  test('buffered: the payload is pread64 from the segment and written to the socket', () => {
    const { child, calls, trace } = traced('buffered');
    expect(child.identical).toBe(true);
    expect(child.sentBytes).toBe(PAYLOAD_BYTES - 4096);
    // cached pages are read on the event loop's thread (preadv2 RWF_NOWAIT), the rest by pread64 in the pool
    const preads = calls.filter((c) => (c.name === 'pread64' || c.name === 'preadv2') && c.fd === child.segmentFd);
    expect(preads.length).toBeGreaterThanOrEqual(4); // 4 MiB in 1 MiB chunks
    // the first read starts at the slice's position (the result may be on a "resumed" line)
    const firstRead = /^\d+\s+(pread64\(\d+, .*, 4096\)|preadv2\(\d+, .*, 4096, RWF_NOWAIT\)) = \d+/;
    // under -f a call another thread interrupts is split: its output arguments (the iovec, then the
    // position) come on the "<... resumed>" line, for preadv2 as for pread64
    const resumedRead = /<\.\.\. (pread64|preadv2) resumed>.*, 4096(, RWF_NOWAIT)?\) = \d+/;
    expect(calls.some((c) => firstRead.test(c.line)) || resumedRead.test(trace), trace.slice(0, 4000)).toBe(true);
    expect(calls.filter((c) => (c.name === 'write' || c.name === 'writev') && c.fd === child.socketFd).length).toBeGreaterThan(0);
    expect(calls.filter((c) => c.name === 'sendfile').length).toBe(0);
  }, 60_000);

  test.skipIf(!loadNative())('sendfile: the payload goes by sendfile(2), never pread into user space', () => {
    const { child, calls } = traced('sendfile');
    expect(child.identical).toBe(true);
    expect(child.sentBytes).toBe(PAYLOAD_BYTES - 4096);
    const sendfiles = calls.filter((c) => c.name === 'sendfile' && c.fd === child.segmentFd);
    expect(sendfiles.length).toBeGreaterThan(0);
    // from a dup of the socket, not the socket fd Node watches
    expect(calls.some((c) => c.name === 'sendfile-out' && c.fd !== child.socketFd)).toBe(true);
    expect(calls.filter((c) => (c.name === 'pread64' || c.name === 'preadv2' || c.name === 'read') && c.fd === child.segmentFd)).toEqual([]);
  }, 60_000);
});
