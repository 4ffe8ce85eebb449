/**
 * The bare C senders of the transfer benchmark (native/src/c_sender.c): both loops must deliver
 * the files' exact bytes, in order, and report what they sent; the benchmark's ratios mean
 * nothing if the baseline sends something else. Compiled here with gcc, as the benchmark does
 * when the addon build did not make it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
let work: string;
let binary: string;
let files: string[];
let expected: Buffer;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'strata-c-sender-'));
  binary = join(work, 'c_sender');
  execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', binary, join(ROOT, 'native/src/c_sender.c')]);
  // sizes that are not multiples of any chunk, and an empty file between them
  const parts = [randomBytes(3 * 1024 * 1024 + 17), Buffer.alloc(0), randomBytes(777_777)];
  files = parts.map((p, i) => join(work, `0000${i}.log`));
  parts.forEach((p, i) => writeFileSync(files[i]!, p));
  expected = Buffer.concat(parts);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A sink that hashes what one connection sends, then closes (as discard_sink does). */
async function sink(): Promise<{ port: number; received: Promise<{ bytes: number; sha256: string }> }> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const received = new Promise<{ bytes: number; sha256: string }>((resolve, reject) => {
    server.once('connection', (socket) => {
      const hash = createHash('sha256');
      let bytes = 0;
      socket.on('data', (c: Buffer) => {
        hash.update(c);
        bytes += c.length;
      });
      socket.on('error', reject);
      socket.on('end', () => {
        socket.end();
        server.close();
        resolve({ bytes, sha256: hash.digest('hex') });
      });
    });
  });
  return { port: (server.address() as net.AddressInfo).port, received };
}

describe('c_sender', () => {
  for (const [mode, chunk] of [['sendfile', 2 << 20], ['rw', 128 << 10], ['rw', 1000]] as const) {
    it(`${mode} (${chunk} bytes per call) sends every file's bytes in order and reports them`, async () => {
      const s = await sink();
      const { stdout } = await run(binary, [mode, String(s.port), String(chunk), ...files]);
      const got = await s.received;
      expect(got.bytes).toBe(expected.length);
      expect(got.sha256).toBe(createHash('sha256').update(expected).digest('hex'));
      const m = /^bytes=(\d+) seconds=([\d.]+) user_seconds=([\d.]+) system_seconds=([\d.]+)\n$/.exec(stdout);
      expect(m, stdout).not.toBeNull();
      expect(Number(m![1])).toBe(expected.length);
      expect(Number(m![2])).toBeGreaterThan(0);
    });
  }

  it('names a missing file and a bad argument', async () => {
    const s = await sink();
    const missing = join(work, 'nope.log');
    await expect(run(binary, ['sendfile', String(s.port), '65536', missing])).rejects.toMatchObject({ stderr: expect.stringContaining(`open ${missing} at byte 0: No such file or directory`) });
    await expect(run(binary, ['rw', '0', '65536', files[0]!])).rejects.toMatchObject({ stderr: expect.stringContaining('PORT "0" is not a port number') });
    await expect(run(binary, ['splice', '1', '65536', files[0]!])).rejects.toMatchObject({ stderr: expect.stringContaining('usage: c_sender sendfile|rw') });
  });
});
