/**
 * `strata serve` with no flags creates a topic on a producer's Metadata request, as Kafka does with
 * its default auto.create.topics.enable=true: real kcat produces to a new topic and reads it back.
 * `--no-auto-create-topics` turns it off (kcat then fails on the unknown topic).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, test } from 'vitest';
import { run } from '../broker/helpers.js';

const KCAT = '/usr/bin/kcat';
const root = join(import.meta.dirname, '../..');
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function serve(extra: string[]): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-autocreate-'));
  dirs.push(dataDir);
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), 'serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', ...extra], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /serving Kafka protocol on 127\.0\.0\.1:(\d+)/.exec(err);
    if (m) return Number(m[1]);
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`strata serve did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('kcat -P to a new topic works against `strata serve` with no flags (auto.create.topics.enable=true)', async () => {
  const port = await serve([]);
  const sent = Array.from({ length: 20 }, (_, i) => `new-topic-${i}`);
  const p = await run(KCAT, ['-P', '-b', `127.0.0.1:${port}`, '-t', 'brand-new', '-X', 'acks=1'], sent.join('\n') + '\n');
  expect(p.stderr).not.toMatch(/Unknown topic/);
  expect(p.code).toBe(0);
  const c = await run(KCAT, ['-C', '-b', `127.0.0.1:${port}`, '-t', 'brand-new', '-o', 'beginning', '-e', '-q']);
  expect(c.code).toBe(0);
  expect(c.stdout.toString().split('\n').slice(0, -1)).toEqual(sent);
});

test('--no-auto-create-topics: kcat -P to an unknown topic is refused', async () => {
  const port = await serve(['--no-auto-create-topics']);
  const p = await run(KCAT, ['-P', '-b', `127.0.0.1:${port}`, '-t', 'never-made', '-X', 'acks=1', '-X', 'message.timeout.ms=2000'], 'x\n');
  expect(p.code).not.toBe(0);
  // librdkafka waits for the topic to appear, then gives up on the message
  expect(p.stderr).toMatch(/Delivery failed|Unknown topic/);
});
