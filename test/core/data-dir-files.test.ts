/**
 * Files in a data dir are not trusted: a `.log` or `.index` that is a symbolic link is refused,
 * naming it, and the file it points at is never cut or written (recovery once truncated it to 0);
 * a FIFO or a socket named like a segment is refused at once, never waited on; a checkpoint linked
 * to /dev/zero is not read; a symbolic link to a partition directory is followed, as Kafka does.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import 'reflect-metadata';
import { afterEach, describe, expect, it } from 'vitest';
import { openLogManager } from '../../engines/compose.js';
import { silentLogger } from '../../core/tokens.js';
import { tempDirsRemovedAfterAll } from '../broker/helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SEGMENT = '00000000000000000000.log';
const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});
const dataDir = tempDirsRemovedAfterAll('files');

/** The CLI, killed after 20 s: a command that waits on a FIFO fails the test instead of hanging it. */
function strata(args: string[], input = '') {
  return spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: ROOT, input, encoding: 'utf8', timeout: 20_000 });
}

/** A data dir with topic t-0 holding `n` records, closed cleanly. */
function withRecords(tag: string, n = 50): string {
  const dir = dataDir(tag);
  const r = strata(['produce', '--data-dir', dir, '--topic', 't'], Array.from({ length: n }, (_, i) => `v${i}`).join('\n') + '\n');
  expect(r.status, r.stderr).toBe(0);
  return dir;
}

/** A file outside the data dir that a link in it points at. */
function victim(tag: string): { path: string; bytes: Buffer } {
  const d = dataDir(`${tag}-victim`);
  const path = join(d, 'precious.txt');
  const bytes = Buffer.from('not a Kafka segment: recovery would find no valid batch here and cut it all\n'.repeat(40));
  fs.writeFileSync(path, bytes);
  return { path, bytes };
}

describe('files in a data dir are not trusted', () => {
  it('a .log symlinked to another file: startup refuses it, naming it, and never cuts the file it points at', () => {
    const dir = withRecords('log-link');
    const v = victim('log-link');
    const segment = join(dir, 't-0', SEGMENT);
    fs.rmSync(segment);
    fs.symlinkSync(v.path, segment);
    fs.rmSync(join(dir, '.kafka_cleanshutdown')); // an unclean start: the segment is recovered
    const r = strata(['produce', '--data-dir', dir, '--topic', 't'], 'more\n');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`strata: ${segment} is a symbolic link, not a regular file: refused (strata does not follow symbolic links or read anything but regular files in a data dir)\n`);
    expect(fs.readFileSync(v.path)).toEqual(v.bytes);
    const verify = strata(['verify', '--data-dir', dir]);
    expect(verify.status).toBe(1);
    expect(verify.stderr).toContain(`${segment} is a symbolic link, not a regular file`);
    expect(fs.readFileSync(v.path)).toEqual(v.bytes);
  }, 60_000);

  it('an .index symlinked to another file is never written through', () => {
    const dir = withRecords('index-link');
    const v = victim('index-link');
    const index = join(dir, 't-0', '00000000000000000000.index');
    fs.rmSync(index, { force: true });
    fs.symlinkSync(v.path, index);
    fs.rmSync(join(dir, '.kafka_cleanshutdown'));
    const r = strata(['produce', '--data-dir', dir, '--topic', 't'], 'more\n');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^strata: ${index} is a symbolic link, not a regular file: refused`));
    expect(fs.readFileSync(v.path)).toEqual(v.bytes);
  }, 60_000);

  it('a FIFO named like a segment is refused at once by produce, verify and dump (no hang)', () => {
    const dir = withRecords('fifo');
    const segment = join(dir, 't-0', '00000000000000000050.log'); // a later segment: the last one is where appends go
    execFileSync('mkfifo', [segment]);
    const produce = strata(['produce', '--data-dir', dir, '--topic', 't'], 'more\n');
    expect(produce.signal).toBe(null);
    expect(produce.status).toBe(1);
    expect(produce.stderr).toMatch(new RegExp(`^strata: ${segment} is a FIFO, not a regular file: refused`));
    const verify = strata(['verify', '--data-dir', dir]);
    expect(verify.signal).toBe(null);
    expect(verify.status).toBe(1);
    expect(verify.stderr).toContain(`${segment} is a FIFO, not a regular file`);
    const dump = strata(['dump', segment]);
    expect(dump.signal).toBe(null);
    expect(dump.status).toBe(1);
    expect(dump.stderr).toContain(`${segment} is a FIFO, not a regular file`);
  }, 90_000);

  it('a socket named like a segment is refused, naming it', async () => {
    const dir = withRecords('socket');
    const segment = join(dir, 't-0', '00000000000000000050.log');
    const server = net.createServer();
    servers.push(server);
    await new Promise<void>((res) => server.listen(segment, res));
    const produce = strata(['produce', '--data-dir', dir, '--topic', 't'], 'more\n');
    expect(produce.signal).toBe(null);
    expect(produce.status).toBe(1);
    expect(produce.stderr).toMatch(new RegExp(`^strata: ${segment} is a socket, not a regular file: refused`));
    const verify = strata(['verify', '--data-dir', dir]);
    expect(verify.status).toBe(1);
    expect(verify.stderr).toContain(`${segment} is a socket, not a regular file`);
  }, 60_000);

  it('a checkpoint symlinked to /dev/zero is not read: a warning naming it, and every log recovered', async () => {
    const dir = withRecords('checkpoint');
    const checkpoint = join(dir, 'recovery-point-offset-checkpoint');
    fs.rmSync(checkpoint);
    fs.symlinkSync('/dev/zero', checkpoint);
    const warnings: string[] = [];
    const manager = await openLogManager({ dataDir: dir, engine: 'pwrite', logger: { ...silentLogger, warn: (m) => warnings.push(m) } });
    try {
      const log = await manager.getOrCreateLog('t', 0);
      expect(log.logEndOffset).toBe(50);
    } finally {
      await manager.close();
    }
    expect(warnings[0]).toBe(`${checkpoint} is a symbolic link, not a regular file: refused (strata does not follow symbolic links or read anything but regular files in a data dir); recovering every log in ${dir} from its first segment`);
  }, 30_000);

  it("the broker's own files (topics, producer ids, offsets) linked to /dev/zero: serve refuses at once, naming the file", () => {
    for (const name of ['strata-topics.json', 'strata-producer-ids.json', 'strata-consumer-offsets.json']) {
      const dir = dataDir(`broker-file-${name}`);
      fs.symlinkSync('/dev/zero', join(dir, name));
      const r = strata(['serve', '--data-dir', dir, '--listen', '127.0.0.1:0']);
      expect(r.signal, name).toBe(null);
      expect(r.status, name).toBe(1);
      expect(r.stderr).toBe(`strata: ${join(dir, name)} is a symbolic link, not a regular file: refused (strata does not follow symbolic links or read anything but regular files in a data dir)\n`);
    }
  }, 90_000);

  it('a symbolic link to a partition directory is followed, as Kafka follows it', async () => {
    const elsewhere = withRecords('moved');
    const dir = dataDir('partition-link');
    fs.symlinkSync(join(elsewhere, 't-0'), join(dir, 't-0'));
    const manager = await openLogManager({ dataDir: dir, engine: 'pwrite', logger: silentLogger });
    try {
      expect(manager.partitionsOnDisk()).toEqual([{ topic: 't', partition: 0 }]);
      const logs = await manager.loadLogs();
      expect(logs.map((l) => l.logEndOffset)).toEqual([50]);
    } finally {
      await manager.close();
    }
    const verify = strata(['verify', '--data-dir', dir]);
    expect(verify.stdout).toMatch(/^ok: 1 partitions, 1 segments, \d+ batches, 50 records\n$/);
  }, 30_000);
});
