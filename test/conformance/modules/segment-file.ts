/**
 * The SegmentFile contract itself, through engine.open (not the Log): positions, reads capped at
 * the valid bytes, the exposed descriptor, flush, truncate, trim, close, sizes after a reopen, and
 * stats() counting what was appended.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { join } from 'node:path';
import { bytesOf, type Suite } from '../context.js';

const chunk = (n: number, fill: number) => Buffer.alloc(n, fill);

/** The open flags of our descriptor `fd`, as the kernel reports them (octal in /proc). */
function fdFlags(fd: number): number {
  const line = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n').find((l) => l.startsWith('flags:'));
  assert.ok(line, `/proc/self/fdinfo/${fd} has no flags line`);
  return parseInt(line.slice('flags:'.length).trim(), 8);
}

function openedDirect(fd: number): boolean {
  return (fdFlags(fd) & fs.constants.O_DIRECT) !== 0;
}

export function segmentFile(suite: Suite): void {
  suite.test('opens an empty file at size 0 and exposes its descriptor and path', async (s) => {
    const path = join(s.dir(), '00000000000000000000.log');
    const file = await s.openFile(path);
    assert.equal(file.path, path);
    assert.equal(file.sizeBytes, 0);
    assert.ok(Number.isInteger(file.fd) && file.fd >= 0, `fd ${file.fd}`);
    assert.equal(fs.fstatSync(file.fd).ino, fs.statSync(path).ino, 'fd is the segment file');
    assert.deepEqual(file.stats(), { appends: 0, appendedBytes: 0, writes: 0, writtenBytes: 0, syncs: 0 });
  });

  suite.test('gives concurrent appends consecutive positions in call order, multi-chunk ones too', async (s) => {
    const file = await s.openFile(join(s.dir(), 'f.log'));
    const appends: Buffer[][] = Array.from({ length: 40 }, (_, i) => [chunk(1 + (i % 7) * 100, i), chunk(i % 3, 200 + i)]);
    const acks: Promise<void>[] = [];
    let expected = 0;
    for (const chunks of appends) {
      acks.push(file.append(chunks, bytesOf(chunks)));
      expected += bytesOf(chunks);
      assert.equal(file.sizeBytes, expected, 'sizeBytes grows before append returns');
    }
    await Promise.all(acks);
    const all = Buffer.concat(appends.flat());
    assert.ok((await file.read(0, all.length)).equals(all), 'the file reads back the appends in call order');
    if (suite.engine.supports.directIo) {
      // claimed: the descriptor is O_DIRECT (so transfers must go through the engine's read)
      assert.ok(openedDirect(file.fd), `${suite.engine.name} claims directIo but its descriptor ${file.fd} is not O_DIRECT (${fdFlags(file.fd).toString(8)})`);
    } else {
      assert.ok(!openedDirect(file.fd), `${suite.engine.name}'s descriptor is O_DIRECT but it does not claim directIo: a transfer would pread or sendfile from it`);
      // what a zero-copy transfer does: read the descriptor itself
      const viaFd = Buffer.alloc(all.length);
      assert.equal(fs.readSync(file.fd, viaFd, 0, all.length, 0), all.length);
      assert.ok(viaFd.equals(all), 'the descriptor sees every acknowledged append');
    }
    const stats = file.stats();
    assert.equal(stats.appends, appends.length);
    assert.equal(stats.appendedBytes, all.length);
  });

  suite.test('reads stop at the valid bytes: a read past the end is short or empty', async (s) => {
    const file = await s.openFile(join(s.dir(), 'f.log'), { preallocateBytes: 64 * 1024 });
    await file.append([chunk(100, 1)], 100);
    assert.equal((await file.read(90, 100)).length, 10);
    assert.ok((await file.read(90, 100)).equals(chunk(10, 1)));
    assert.equal((await file.read(100, 10)).length, 0);
    assert.equal((await file.read(5000, 10)).length, 0); // inside a reservation, past the data
    assert.equal((await file.read(1 << 30, 10)).length, 0);
    assert.equal((await file.read(0, 0)).length, 0);
  });

  suite.test('flush resolves and waits for the disk; written bytes cover the appended ones', async (s) => {
    const file = await s.openFile(join(s.dir(), 'f.log'));
    for (let i = 0; i < 5; i++) await file.append([chunk(4096, i)], 4096);
    const before = file.stats().syncs;
    await file.flush();
    const after = file.stats();
    assert.ok(after.syncs > before, `flush made no sync (syncs ${before} -> ${after.syncs})`);
    assert.ok(after.writes >= 1, 'appends were written');
    assert.ok(after.writtenBytes >= after.appendedBytes, `written ${after.writtenBytes} < appended ${after.appendedBytes}`);
  });

  suite.test('truncate cuts to the given valid bytes and later appends continue from there', async (s) => {
    const path = join(s.dir(), 'f.log');
    const file = await s.openFile(path);
    await file.append([chunk(300, 1)], 300);
    await file.append([chunk(300, 2)], 300);
    await file.truncate(300);
    assert.equal(file.sizeBytes, 300);
    assert.equal((await file.read(0, 1000)).length, 300);
    await file.append([chunk(50, 3)], 50);
    assert.ok((await file.read(0, 1000)).equals(Buffer.concat([chunk(300, 1), chunk(50, 3)])));
    await assert.rejects(async () => file.truncate(10_000), 'truncate past the valid bytes is refused');
    await file.close();
    assert.ok(fs.readFileSync(path).equals(Buffer.concat([chunk(300, 1), chunk(50, 3)])), 'the closed file holds the valid bytes only');
  });

  suite.test('trim and close leave the file exactly its valid bytes long; close is idempotent', async (s) => {
    const path = join(s.dir(), 'f.log');
    const file = await s.openFile(path, { preallocateBytes: 64 * 1024 });
    await file.append([chunk(1000, 9)], 1000);
    await file.trim();
    assert.equal(fs.statSync(path).size, 1000);
    await file.append([chunk(24, 8)], 24); // appends continue after a trim
    await file.close();
    await file.close();
    assert.equal(fs.statSync(path).size, 1024);
    assert.equal(file.stats().appends, 2, 'stats stay readable after close');
  });

  suite.test('refuses work after close with an error naming the file', async (s) => {
    const path = join(s.dir(), 'f.log');
    const file = await s.openFile(path);
    await file.append([chunk(10, 1)], 10);
    await file.close();
    const namesFile = (err: unknown) => err instanceof Error && err.message.includes(path);
    await assert.rejects(async () => file.append([chunk(10, 2)], 10), namesFile);
    await assert.rejects(async () => file.read(0, 10), namesFile);
    await assert.rejects(async () => file.flush(), namesFile);
    assert.equal(fs.statSync(path).size, 10, 'nothing was written after close');
  });

  suite.test('reopens at the file size, or at validBytes with the rest as reservation', async (s) => {
    const path = join(s.dir(), 'f.log');
    const first = await s.openFile(path);
    await first.append([chunk(700, 4)], 700);
    await first.close();
    const plain = await s.openFile(path);
    assert.equal(plain.sizeBytes, 700);
    assert.ok((await plain.read(0, 700)).equals(chunk(700, 4)));
    await plain.close();
    // as after a crash of a preallocated segment: zeros past the data the caller found valid
    fs.truncateSync(path, 4096);
    const partial = await s.openFile(path, { preallocateBytes: 0, validBytes: 700 });
    assert.equal(partial.sizeBytes, 700);
    assert.equal((await partial.read(0, 4096)).length, 700);
    await partial.append([chunk(100, 5)], 100);
    await partial.close();
    assert.ok(fs.readFileSync(path).equals(Buffer.concat([chunk(700, 4), chunk(100, 5)])), 'appends went at validBytes; close trimmed the rest');
    await assert.rejects(async () => s.openFile(path, { preallocateBytes: 0, validBytes: 10_000 }), 'validBytes beyond the file is refused');
  });
}
