/**
 * `strata users add` and `strata serve --listeners SASL_PLAINTEXT://…` as an operator uses them:
 * the password goes in on stdin and only its salted SCRAM form is written; the broker started
 * from the CLI with that file lets kcat in with SCRAM-SHA-512 and refuses a wrong password.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../broker/helpers.js';

const bin = fileURLToPath(new URL('../../bin/strata.js', import.meta.url));
const dist = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const KCAT = '/usr/bin/kcat';

function strata(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('strata users', () => {
  let dir: string;
  let serve: ChildProcess | undefined;
  beforeAll(() => {
    if (!fs.existsSync(dist)) throw new Error('dist/ missing: run `npm run build` (npm install does it) before the CLI tests');
    dir = fs.mkdtempSync(join(os.tmpdir(), 'strata-users-'));
  });
  afterAll(() => {
    serve?.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('add writes a salted hash, never the password; list shows it; bad input is one line', () => {
    const file = join(dir, 'users.json');
    const add = strata(['users', 'add', 'alice', '--credentials', file, '--mechanism', 'SCRAM-SHA-512', '--iterations', '8192'], 'correct horse battery\n');
    expect(add).toMatchObject({ code: 0, stdout: `user alice: SCRAM-SHA-512 (8192 iterations) in ${file}\n` });
    expect(fs.readFileSync(file, 'utf8')).not.toContain('correct horse');
    expect(strata(['users', 'list', '--credentials', file]).stdout).toBe('alice\tSCRAM-SHA-512(8192)\n');
    expect(strata(['users', 'add', 'bob', '--credentials', file, '--mechanism', 'PLAIN'], 'x\n').stderr).toMatch(/^strata: --mechanism "PLAIN": not a SCRAM mechanism/);
    expect(strata(['users', 'add', 'bob', '--credentials', file], '').stderr).toMatch(/^strata: stdin: no password/);
    expect(strata(['users', 'add', 'bob', '--credentials', file, '--iterations', '100'], 'x\n').stderr).toMatch(/^strata: --iterations must be an integer from 4096 to 16384/);
  });

  it.skipIf(!fs.existsSync(KCAT))('serve --listeners SASL_PLAINTEXT:// with that file: kcat in with SCRAM-SHA-512, a wrong password refused', { timeout: 60_000 }, async () => {
    const file = join(dir, 'users.json');
    serve = spawn(process.execPath, [bin, 'serve', '--data-dir', join(dir, 'data'), '--listeners', 'SASL_PLAINTEXT://127.0.0.1:0', '--config', `sasl.credentials.file=${file}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const port = await new Promise<number>((resolve, reject) => {
      serve!.stderr!.on('data', (b: Buffer) => {
        log += b.toString();
        const m = /serving Kafka protocol on 127\.0\.0\.1:(\d+)/.exec(log);
        if (m) resolve(Number(m[1]));
      });
      serve!.on('exit', (code) => reject(new Error(`serve exited ${code}: ${log}`)));
    });
    const sasl = (password: string) => ['-b', `127.0.0.1:${port}`, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=alice', '-X', `sasl.password=${password}`];
    const p = await run(KCAT, [...sasl('correct horse battery'), '-P', '-t', 'cli-sasl'], 'a\nb\nc\n');
    expect(p.code, p.stderr).toBe(0);
    const c = await run(KCAT, [...sasl('correct horse battery'), '-C', '-t', 'cli-sasl', '-e', '-q', '-o', 'beginning']);
    expect(c.stdout.toString()).toBe('a\nb\nc\n');
    const wrong = await run(KCAT, [...sasl('wrong'), '-L', '-m', '5'], undefined, 30_000);
    expect(wrong.stderr).toMatch(/SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512/);
    expect(log).not.toContain('with no authentication');
  });
});
