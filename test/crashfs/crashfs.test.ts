/**
 * crashfs itself: what survives a power cut and what does not. Data: only what fsync, fdatasync,
 * an O_DSYNC write or msync made durable. Names: an ordered journal, durable up to a directory
 * fsync, or up to the change that made a file when that file is synced (not with --strict-dirs).
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNative } from '../../native/index.js';
import { CrashFs } from './crashfs.js';
import { crashFsFixture } from './fixture.js';

const fx = crashFsFixture('strata-crashfs-');
const { skip, base } = fx;
let n = 0;

async function fresh(flags: string[] = []): Promise<string> {
  n++;
  fx.mounted = await CrashFs.mount(join(base, `backing${n}`), join(base, `mnt${n}`), flags);
  return fx.mounted.mountpoint;
}

/** Cut, then reboot: a new daemon over what reached the backing directory. */
async function powerCut(tornSeed?: number): Promise<string> {
  fx.mounted!.cut(tornSeed);
  fx.mounted = await fx.mounted!.remount();
  return fx.mounted.mountpoint;
}

function writeFile(path: string, text: string, sync: 'none' | 'fsync' | 'fdatasync' | 'dsync' = 'none'): void {
  const fd = fs.openSync(path, fs.constants.O_CREAT | fs.constants.O_WRONLY | (sync === 'dsync' ? fs.constants.O_DSYNC : 0));
  fs.writeSync(fd, text);
  if (sync === 'fsync') fs.fsyncSync(fd);
  if (sync === 'fdatasync') fs.fdatasyncSync(fd);
  fs.closeSync(fd);
}

function syncDir(path: string): void {
  const fd = fs.openSync(path, 'r');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
}

const read = (path: string) => (fs.existsSync(path) ? fs.readFileSync(path, 'utf8') : undefined);

describe.skipIf(skip)('crashfs', () => {
  it('keeps written data visible until the cut, and only synced data after it', async () => {
    let mnt = await fresh();
    writeFile(join(mnt, 'lost'), 'volatile');
    writeFile(join(mnt, 'synced'), 'durable', 'fsync');
    writeFile(join(mnt, 'datasynced'), 'durable', 'fdatasync');
    writeFile(join(mnt, 'dsync'), 'durable', 'dsync');
    writeFile(join(mnt, 'never-named'), 'volatile');
    fs.appendFileSync(join(mnt, 'synced'), ' + volatile tail');
    expect(read(join(mnt, 'lost'))).toBe('volatile');
    expect(fs.statSync(join(mnt, 'synced')).size).toBe('durable + volatile tail'.length);
    // nothing unsynced has reached the disk: the backing file is empty
    expect(fs.statSync(join(fx.mounted!.backing, 'lost')).size).toBe(0);
    const before = fx.mounted!.stats();
    expect(before).toMatchObject({ fsyncs: 1, fdatasyncs: expect.any(Number), dsync_writes: 1 });
    expect(before.dirty_bytes).toBeGreaterThan(0);
    mnt = await powerCut();
    expect(read(join(mnt, 'synced'))).toBe('durable');
    expect(read(join(mnt, 'datasynced'))).toBe('durable');
    expect(read(join(mnt, 'dsync'))).toBe('durable');
    // the file's name was made durable by the later fsyncs (ordered journal), its bytes were not
    expect(read(join(mnt, 'lost'))).toBe('');
    expect(fs.existsSync(join(mnt, 'never-named'))).toBe(false);
  });

  it('fails every call after the cut with EIO, and counts them', async () => {
    const mnt = await fresh();
    writeFile(join(mnt, 'f'), 'x', 'fsync');
    fx.mounted!.cut();
    expect(() => fs.readFileSync(join(mnt, 'f'))).toThrow(/EIO/);
    expect(() => writeFile(join(mnt, 'g'), 'y')).toThrow(/EIO/);
    expect(fx.mounted!.stats()).toMatchObject({ cuts: 1, eio_after_cut: expect.any(Number) });
    expect(fx.mounted!.stats().eio_after_cut).toBeGreaterThanOrEqual(2);
  });

  it('undoes names not made durable: create, mkdir, rename over a file, unlink', async () => {
    let mnt = await fresh();
    writeFile(join(mnt, 'old'), 'old', 'fsync');
    writeFile(join(mnt, 'kept'), 'kept', 'fsync');
    syncDir(mnt);
    fs.mkdirSync(join(mnt, 'dir'));
    writeFile(join(mnt, 'new'), 'new');
    fs.renameSync(join(mnt, 'new'), join(mnt, 'old'));
    fs.unlinkSync(join(mnt, 'kept'));
    expect(fx.mounted!.stats().pending_ops).toBe(4);
    mnt = await powerCut();
    expect(read(join(mnt, 'old'))).toBe('old');
    expect(read(join(mnt, 'kept'))).toBe('kept');
    expect(fs.existsSync(join(mnt, 'dir'))).toBe(false);
    expect(fs.existsSync(join(mnt, 'new'))).toBe(false);
    expect(fs.readdirSync(mnt).sort()).toEqual(['kept', 'old']);
  });

  it('a directory fsync makes every name change durable; a file fsync the ones that made it', async () => {
    let mnt = await fresh();
    writeFile(join(mnt, 'a'), 'a');
    fs.renameSync(join(mnt, 'a'), join(mnt, 'b'));
    fs.mkdirSync(join(mnt, 'd'));
    syncDir(mnt);
    writeFile(join(mnt, 'c'), 'c', 'fsync'); // its own creation comes along
    writeFile(join(mnt, 'e'), 'e'); // after c: not durable
    mnt = await powerCut();
    expect(fs.readdirSync(mnt).sort()).toEqual(['b', 'c', 'd']);
    expect(read(join(mnt, 'c'))).toBe('c');
  });

  it('with --strict-dirs only a directory fsync keeps a new name', async () => {
    let mnt = await fresh(['--strict-dirs']);
    writeFile(join(mnt, 'c'), 'c', 'fsync');
    mnt = await powerCut();
    expect(fs.existsSync(join(mnt, 'c'))).toBe(false);
    writeFile(join(mnt, 'c'), 'c', 'fsync');
    syncDir(mnt);
    mnt = await powerCut();
    expect(read(join(mnt, 'c'))).toBe('c');
  });

  it('truncate and fallocate change the size durably only with a sync', async () => {
    let mnt = await fresh();
    const path = join(mnt, 'f');
    writeFile(path, 'x'.repeat(10_000), 'fsync');
    fs.truncateSync(path, 100);
    // extending again reads zeros, not the old bytes still in the backing file
    fs.truncateSync(path, 5000);
    expect(fs.readFileSync(path).subarray(100).equals(Buffer.alloc(4900))).toBe(true);
    const native = loadNative();
    const g = join(mnt, 'g');
    writeFile(g, '', 'fsync');
    if (native) {
      const fd = fs.openSync(g, 'r+');
      native.fallocate(fd, 0, 65536);
      expect(fs.fstatSync(fd).size).toBe(65536);
      fs.closeSync(fd);
    }
    mnt = await powerCut();
    expect(read(join(mnt, 'f'))).toBe('x'.repeat(10_000));
    expect(fs.statSync(join(mnt, 'g')).size).toBe(0);
    const fd = fs.openSync(join(mnt, 'f'), 'r+');
    fs.ftruncateSync(fd, 100);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    mnt = await powerCut();
    expect(read(join(mnt, 'f'))).toBe('x'.repeat(100));
  });

  it.skipIf(!loadNative())('msync(MS_SYNC) of a shared mapping reaches the daemon as a sync', async () => {
    const native = loadNative()!;
    let mnt = await fresh();
    const path = join(mnt, 'mapped');
    const fd = fs.openSync(path, fs.constants.O_CREAT | fs.constants.O_RDWR);
    native.fallocate(fd, 0, 3 * 4096);
    const map = native.mmap(fd, 0, 3 * 4096, true);
    const bytes = new Uint8Array(map);
    bytes.set(Buffer.from('synced'), 0);
    native.msync(map, 0, 4096, true);
    bytes.set(Buffer.from('not synced'), 8192);
    native.munmap(map);
    fs.closeSync(fd);
    expect(fx.mounted!.stats().fdatasyncs + fx.mounted!.stats().fsyncs).toBe(1);
    mnt = await powerCut();
    const back = fs.readFileSync(join(mnt, 'mapped'));
    expect(back.length).toBe(3 * 4096);
    expect(back.subarray(0, 6).toString()).toBe('synced');
    expect(back.subarray(8192).equals(Buffer.alloc(4096))).toBe(true);
  });

  it('a torn cut lets some dirty pages through and drops the others', async () => {
    let mnt = await fresh();
    const page = (i: number) => Buffer.alloc(4096, 1 + (i % 250));
    const fd = fs.openSync(join(mnt, 'f'), fs.constants.O_CREAT | fs.constants.O_WRONLY);
    fs.fsyncSync(fd);
    for (let i = 0; i < 64; i++) fs.writeSync(fd, page(i), 0, 4096, i * 4096);
    fs.closeSync(fd);
    fx.mounted!.cut(42);
    const stats = fx.mounted!.stats();
    fx.mounted = await fx.mounted!.remount();
    mnt = fx.mounted.mountpoint;
    const back = fs.readFileSync(join(mnt, 'f'));
    let through = 0;
    for (let i = 0; i * 4096 < back.length; i++) {
      const got = back.subarray(i * 4096, (i + 1) * 4096);
      // each page is either all there or all zeros (never part of one, never another page's)
      if (got.equals(page(i))) through++;
      else expect(got.equals(Buffer.alloc(got.length))).toBe(true);
    }
    expect(through).toBeGreaterThan(0);
    expect(through).toBeLessThan(64);
    expect(stats.torn_bytes).toBe(through * 4096);
  });
});
