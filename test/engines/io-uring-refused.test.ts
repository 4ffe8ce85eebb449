/**
 * Where the kernel refuses io_uring (here: a seccomp filter answering io_uring_setup with ENOSYS or
 * EPERM, as sandboxes and container runtimes do), the io-uring engine is "unavailable: <reason>" in
 * the registry, and opening a segment through it fails with ENGINE_UNAVAILABLE saying why.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadNative } from '../../native/index.js';

const SOURCE = join(import.meta.dirname, 'fixtures', 'deny-io-uring.c');
const dir = fs.mkdtempSync(join(tmpdir(), 'strata-uring-refused-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function build(): string | undefined {
  const out = join(dir, 'deny-io-uring');
  try {
    execFileSync('cc', ['-O1', '-Wall', '-o', out, SOURCE], { stdio: 'pipe' });
    return out;
  } catch (err) {
    console.warn(`SKIPPED io-uring refusal tests: cannot build ${SOURCE}: ${(err as Error).message}`);
    return undefined;
  }
}

/** What the registry says of io-uring, and what opening a segment through it throws, under the filter. */
const PROBE = `
import { defaultRegistry, loadEngine } from './engines/index.ts';
const why = defaultRegistry().get('engine', 'io-uring').unavailable?.();
let open;
try { await (await loadEngine('io-uring')).open(process.argv[1], { preallocateBytes: 0 }); open = { ok: true }; }
catch (e) { open = { code: e.code, message: e.message }; }
console.log(JSON.stringify({ why, open }));`;

const deny = loadNative() ? build() : undefined;

describe.skipIf(!deny)('io-uring where the kernel refuses io_uring', () => {
  test.each([
    ['ENOSYS', 38, /io_uring_setup: ENOSYS \(this kernel has no io_uring, or a seccomp filter hides it\)/],
    ['EPERM', 1, /io_uring_setup: EPERM \(refused by a seccomp filter or a security module\)/],
  ])('io_uring_setup answering %s: unavailable, with the reason', (_name, errno, reason) => {
    const out = execFileSync(deny!, [String(errno), process.execPath, '--import', 'tsx', '--input-type=module', '-e', PROBE, join(dir, 'x.log')], { encoding: 'utf8' });
    const { why, open } = JSON.parse(out.trim().split('\n').pop()!) as { why: string; open: { code?: string; message?: string } };
    expect(why).toMatch(/^unavailable: the kernel refuses io_uring here \(/);
    expect(why).toMatch(reason);
    expect(open.code).toBe('ENGINE_UNAVAILABLE');
    expect(open.message).toBe(why);
  }, 60_000);
});
