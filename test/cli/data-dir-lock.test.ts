/**
 * One writer per data dir (Kafka's `.lock` on every log dir): a second `strata serve` on the same
 * --data-dir exits non-zero with one line naming the directory and the holder's pid, and the first
 * keeps every record it acknowledged; the lock goes with a SIGKILLed holder; an embedded
 * LogManager opened twice in one process is refused too; Kafka's own lock (Java's
 * FileChannel.tryLock) and strata's exclude each other; readers say what they do.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { join, resolve } from 'node:path';
import 'reflect-metadata';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE, probeDataDirLock } from '../../core/file-lock.js';
import { openLogManager } from '../../engines/compose.js';
import { silentLogger } from '../../core/tokens.js';
import { run, tempDirsRemovedAfterAll } from '../broker/helpers.js';
import { killServes, startServe, type ServeProcess } from '../../harness/serve-process.js';

const KCAT = '/usr/bin/kcat';
const ROOT = resolve(import.meta.dirname, '../..');
const dataDir = tempDirsRemovedAfterAll('lock');
let javaChild: ChildProcess | undefined;

afterEach(() => {
  killServes();
  if (javaChild && javaChild.exitCode === null && javaChild.signalCode === null) javaChild.kill('SIGKILL');
});

/** `strata serve` as a child; resolves when it listens, or when it exits (port 0). */
const serve = (dir: string, env?: NodeJS.ProcessEnv): Promise<ServeProcess> => startServe(['--data-dir', dir, '--listen', '127.0.0.1:0'], { env });

function strata(args: string[], input = '', env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: ROOT, env, input, encoding: 'utf8', timeout: 60_000 });
}

const records = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}-${i}`);

async function produceAll(port: number, values: string[]): Promise<void> {
  const p = await run(KCAT, ['-P', '-b', `127.0.0.1:${port}`, '-t', 'shared', '-X', 'acks=all'], values.join('\n') + '\n');
  expect(p.code, p.stderr).toBe(0);
}

async function consumeAll(port: number): Promise<string[]> {
  const c = await run(KCAT, ['-C', '-b', `127.0.0.1:${port}`, '-t', 'shared', '-o', 'beginning', '-e', '-q']);
  expect(c.code, c.stderr).toBe(0);
  return c.stdout.toString().split('\n').slice(0, -1);
}

describe('the data dir lock', () => {
  it('a second strata serve on the same --data-dir is refused with one line; the first keeps every acknowledged record', async () => {
    const dir = dataDir('two-serves');
    const first = await serve(dir);
    expect(first.port).toBeGreaterThan(0);
    const sent = records(1000, 'a');
    await produceAll(first.port, sent);

    const second = await serve(dir);
    const exit = await second.exited;
    expect(second.port).toBe(0);
    expect(exit.code).not.toBe(0);
    const refusal = second.stderr().trim().split('\n');
    expect(refusal).toHaveLength(1);
    expect(refusal[0]).toBe(`strata: data dir ${dir} is locked by another process (pid ${first.child.pid}): ${join(dir, LOCK_FILE)} is held; one writer per data dir, as Kafka's log dir lock`);

    // the first goes on; nothing it acknowledged before or after the refusal is lost
    const more = records(1000, 'b');
    await produceAll(first.port, more);
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    const verify = strata(['verify', '--data-dir', dir]);
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/^ok: 1 partitions, \d+ segments, \d+ batches, 2000 records\n$/);
    const again = await serve(dir);
    expect(await consumeAll(again.port)).toEqual([...sent, ...more]);
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
  }, 120_000);

  it('is released by the kernel when the holder is SIGKILLed: a new server starts and has the records', async () => {
    const dir = dataDir('sigkill');
    const holder = await serve(dir);
    const sent = records(300, 'k');
    await produceAll(holder.port, sent);
    expect(probeDataDirLock(dir)).toEqual({ held: true, pid: holder.child.pid });
    holder.child.kill('SIGKILL');
    await holder.exited;
    // no stale lock: gone with the process
    expect(probeDataDirLock(dir)).toEqual({ held: false });
    const next = await serve(dir);
    expect(next.port, next.stderr()).toBeGreaterThan(0);
    expect(await consumeAll(next.port)).toEqual(sent);
    next.child.kill('SIGTERM');
    expect((await next.exited).code).toBe(0);
  }, 90_000);

  it('refuses an embedded LogManager opened twice in one process (the lock is per open file description)', async () => {
    const dir = dataDir('embedded');
    const first = await openLogManager({ dataDir: dir, engine: 'pwrite', logger: silentLogger });
    let refused: unknown;
    try {
      await openLogManager({ dataDir: dir, engine: 'pwrite', logger: silentLogger });
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as DataDirLockedError).holderPid).toBe(process.pid);
    expect((refused as Error).message).toBe(`data dir ${dir} is locked by this process (pid ${process.pid}: the directory is already open in it): ${join(dir, LOCK_FILE)} is held; one writer per data dir, as Kafka's log dir lock`);
    await first.close();
    const after = await openLogManager({ dataDir: dir, engine: 'pwrite', logger: silentLogger });
    await after.close();
  });

  it('produce and receive are writers too: refused while serve holds the dir', async () => {
    const dir = dataDir('writers');
    const holder = await serve(dir);
    const produce = strata(['produce', '--data-dir', dir, '--topic', 'shared'], 'x\n');
    expect(produce.status).toBe(1);
    expect(produce.stderr).toBe(`strata: data dir ${dir} is locked by another process (pid ${holder.child.pid}): ${join(dir, LOCK_FILE)} is held; one writer per data dir, as Kafka's log dir lock\n`);
    const receive = strata(['receive', '--listen', '127.0.0.1:0', '--data-dir', dir, '--topic', 'shared']);
    expect(receive.status).toBe(1);
    expect(receive.stderr).toMatch(new RegExp(`is locked by another process \\(pid ${holder.child.pid}\\)`));
    holder.child.kill('SIGTERM');
    await holder.exited;
  }, 90_000);

  it('readers: verify and dump read on with a one-line notice naming the writer; consume refuses, saying why', async () => {
    const dir = dataDir('readers');
    const holder = await serve(dir);
    await produceAll(holder.port, records(100, 'r'));
    const notice = (cmd: string) => `strata ${cmd}: a writer (pid ${holder.child.pid}) holds ${join(dir, LOCK_FILE)}; reading read-only anyway: the view may be moving (a batch being written can look torn)\n`;

    const verify = strata(['verify', '--data-dir', dir]);
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr).toBe(notice('verify'));
    // `.lock` is no partition and no stray file to verify
    expect(verify.stdout).toMatch(/^ok: 1 partitions, 1 segments, \d+ batches, 100 records\n$/);

    const dump = strata(['dump', join(dir, 'shared-0', '00000000000000000000.log')]);
    expect(dump.status, dump.stderr).toBe(0);
    expect(dump.stderr).toBe(notice('dump'));
    expect(dump.stdout).toMatch(/^Dumping .*\nLog starting offset: 0\nbaseOffset: 0 /);

    const consume = strata(['consume', '--data-dir', dir, '--topic', 'shared']);
    expect(consume.status).toBe(1);
    expect(consume.stdout).toBe('');
    expect(consume.stderr).toMatch(new RegExp(`^strata: data dir ${dir} is locked by another process \\(pid ${holder.child.pid}\\): .*; strata consume opens the logs as a writer \\(it recovers a crashed log\\), so it does not run beside one: read through the writer \\(kcat -C against strata serve\\) or stop it first\\n$`));

    holder.child.kill('SIGTERM');
    await holder.exited;
    // no writer: no notice, and consume runs
    const quiet = strata(['verify', '--data-dir', dir]);
    expect(quiet.stderr).toBe('');
    const consumed = strata(['consume', '--data-dir', dir, '--topic', 'shared']);
    expect(consumed.status, consumed.stderr).toBe(0);
    expect(consumed.stdout.split('\n').slice(0, -1)).toEqual(records(100, 'r'));
  }, 90_000);

  it("excludes Kafka's lock both ways: Java's FileChannel.tryLock on .lock (Kafka's FileLock) refuses strata, and strata's refuses it", async () => {
    const dir = dataDir('kafka-lock');
    const java = spawn('java', ['test/support/KafkaStyleLock.java', join(dir, LOCK_FILE)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    javaChild = java;
    const first = await new Promise<string>((res) => java.stdout!.once('data', (b: Buffer) => res(b.toString().trim())));
    expect(first).toMatch(/^locked \d+$/);
    const javaPid = Number(first.split(' ')[1]);
    const refused = strata(['produce', '--data-dir', dir, '--topic', 't'], 'x\n');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(`strata: data dir ${dir} is locked by another process (pid ${javaPid}): ${join(dir, LOCK_FILE)} is held; one writer per data dir, as Kafka's log dir lock\n`);
    java.stdin!.end();
    await new Promise((res) => java.once('exit', res));

    const holder = await serve(dir);
    const second = spawnSync('java', ['test/support/KafkaStyleLock.java', join(dir, LOCK_FILE)], { cwd: ROOT, input: '', encoding: 'utf8', timeout: 60_000 });
    expect(second.stdout.trim()).toBe('held');
    holder.child.kill('SIGTERM');
    await holder.exited;
  }, 120_000);

  it('without the native addon a writer refuses; STRATA_DATA_DIR_LOCK=none opens unlocked, saying so', () => {
    const dir = dataDir('no-addon');
    const env = { ...process.env, STRATA_NATIVE: '0' };
    const refused = strata(['produce', '--data-dir', dir, '--topic', 't'], 'x\n', env);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`^strata: cannot lock data dir ${dir}: unavailable: native addon not built \\(the data dir lock needs it; disabled by STRATA_NATIVE=0; fix: .*\\); STRATA_DATA_DIR_LOCK=none opens it unlocked \\(nothing then stops a second process from sharing it\\)\\n$`));
    expect(fs.existsSync(join(dir, 't-0'))).toBe(false);
    const unlocked = strata(['produce', '--data-dir', dir, '--topic', 't'], 'x\n', { ...env, STRATA_DATA_DIR_LOCK: 'none' });
    expect(unlocked.status, unlocked.stderr).toBe(0);
    expect(unlocked.stderr).toMatch(/data dir .* is open WITHOUT its lock \(STRATA_DATA_DIR_LOCK=none, no native addon\)/);
  }, 60_000);
});
