/**
 * `strata serve --engine direct` with the default transfer (sendfile): kcat produces with
 * acks=all and reads every record back, before and after a restart (then from the disk, the batch
 * cache empty), and the server says its Fetches go from user memory.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../native/index.js';

const hasKcat = (() => {
  try {
    execFileSync('kcat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasKcat) console.warn('SKIPPED direct engine serve test: kcat is not installed (apt-get install kcat; CI installs it)');

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function serve(dataDir: string): Promise<{ port: number; log: () => string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--engine', 'direct', '--auto-create-topics'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /serving Kafka protocol on 127\.0\.0\.1:(\d+)/.exec(err);
    if (m) return { port: Number(m[1]), log: () => err, stop: () => (child.kill('SIGTERM'), exited) };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`strata serve did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const consume = (port: number): string[] => execFileSync('kcat', ['-C', '-b', `127.0.0.1:${port}`, '-t', 'd', '-o', 'beginning', '-e', '-q'], { encoding: 'utf8', timeout: 30_000 }).split('\n').filter((l) => l !== '');

describe.skipIf(!hasKcat || !loadNative())('strata serve --engine direct', () => {
  it('kcat produces with acks=all and reads every record back, also after a restart', async () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'strata-direct-serve-'));
    dirs.push(dir);
    const values = Array.from({ length: 3000 }, (_, i) => `record-${i}-${'x'.repeat(i % 300)}`);
    const first = await serve(join(dir, 'data'));
    expect(first.log()).toMatch(/engine direct: its segments are O_DIRECT, so Fetches are sent from user memory/);
    execFileSync('kcat', ['-P', '-b', `127.0.0.1:${first.port}`, '-t', 'd', '-X', 'acks=all'], { input: values.join('\n') + '\n', timeout: 30_000 });
    expect(consume(first.port)).toEqual(values);
    await first.stop();
    const second = await serve(join(dir, 'data'));
    expect(consume(second.port)).toEqual(values);
    await second.stop();
  }, 120_000);
});
