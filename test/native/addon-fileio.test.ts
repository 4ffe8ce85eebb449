import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { errorOf, nativeAddon, patterned, removeDir, tempDir } from './helpers.js';

const native = nativeAddon();
let dir: string;

beforeAll(() => {
  dir = tempDir('fileio');
});
afterAll(() => removeDir(dir));

/** Node has no mkfifo; the coreutils binary is on every Linux this runs on. */
function mkfifo(file: string): void {
  const { status } = spawnSync('mkfifo', [file], { stdio: 'inherit' });
  if (status !== 0) throw new Error(`mkfifo ${file} failed`);
}

/** A connected pair of loopback TCP sockets; the server side starts paused (nothing read). */
async function socketPair(): Promise<{ client: net.Socket; server: net.Socket; close: () => void }> {
  const listener = net.createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as net.AddressInfo;
  const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve));
  const client = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const server = await accepted;
  listener.close();
  // the tests reset connections on purpose
  client.on('error', () => {});
  server.on('error', () => {});
  return { client, server, close: () => (client.destroy(), server.destroy()) };
}

describe('posix_fadvise', () => {
  test('every FADV value is accepted on a file', () => {
    const file = path.join(dir, 'fadvise');
    fs.writeFileSync(file, patterned(8192));
    const fd = fs.openSync(file, 'r');
    for (const advice of Object.values(native.FADV)) native.posix_fadvise(fd, 0, 8192, advice);
    fs.closeSync(fd);
  });

  test('errno paths: EBADF, ESPIPE on a pipe, EINVAL for bad advice', () => {
    const file = path.join(dir, 'fadvise-errs');
    fs.writeFileSync(file, 'x');
    const fd = fs.openSync(file, 'r');
    const bad = errorOf(() => native.posix_fadvise(fd, 0, 0, 12345));
    expect(bad.code).toBe('EINVAL');
    expect(bad.syscall).toBe('posix_fadvise');
    fs.closeSync(fd);
    expect(errorOf(() => native.posix_fadvise(fd, 0, 0, native.FADV.NORMAL)).code).toBe('EBADF');
    const fifo = path.join(dir, 'fifo');
    // a FIFO opened non-blocking for reading stands in for a pipe
    fs.rmSync(fifo, { force: true });
    mkfifo(fifo);
    const pipeFd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    expect(errorOf(() => native.posix_fadvise(pipeFd, 0, 0, native.FADV.NORMAL)).code).toBe('ESPIPE');
    fs.closeSync(pipeFd);
  });
});


describe('fallocate', () => {
  test('allocates real blocks and extends the size', () => {
    const file = path.join(dir, 'falloc');
    const fd = fs.openSync(file, 'w+');
    native.fallocate(fd, 0, 1 << 20);
    let st = fs.fstatSync(fd);
    expect(st.size).toBe(1 << 20);
    expect(st.blocks * 512).toBeGreaterThanOrEqual(1 << 20); // not sparse: ftruncate would give 0 blocks
    native.fallocate(fd, (1 << 20) - 100, 300); // overlapping the end: extends by 200
    st = fs.fstatSync(fd);
    expect(st.size).toBe((1 << 20) + 200);
    native.fallocate(fd, 0, 4096); // inside: size unchanged
    expect(fs.fstatSync(fd).size).toBe((1 << 20) + 200);
    expect(fs.readFileSync(file).every((b) => b === 0)).toBe(true);
    fs.closeSync(fd);
  });

  test('errno paths: EBADF (closed or read-only fd), EINVAL (length 0), ENOSPC (more than the filesystem holds)', () => {
    const file = path.join(dir, 'falloc-errs');
    fs.writeFileSync(file, '');
    const ro = fs.openSync(file, 'r');
    const e = errorOf(() => native.fallocate(ro, 0, 4096));
    expect(e.code).toBe('EBADF');
    expect(e.syscall).toBe('fallocate');
    fs.closeSync(ro);
    expect(errorOf(() => native.fallocate(ro, 0, 4096)).code).toBe('EBADF');
    const rw = fs.openSync(file, 'r+');
    expect(errorOf(() => native.fallocate(rw, 0, 0)).code).toBe('EINVAL');
    fs.closeSync(rw);
    // tmpfs refuses a reservation larger than its size limit up front, allocating nothing
    const shm = fs.mkdtempSync('/dev/shm/strata-falloc-');
    try {
      const fd = fs.openSync(path.join(shm, 'big'), 'w+');
      const full = errorOf(() => native.fallocate(fd, 0, 2 ** 50));
      expect(full.code).toBe('ENOSPC');
      expect(fs.fstatSync(fd).size).toBe(0);
      fs.closeSync(fd);
    } finally {
      fs.rmSync(shm, { recursive: true, force: true });
    }
  });
});

describe('dup / close / setNonBlocking', () => {
  test('dup gives a new descriptor for the same open file; close releases it', () => {
    const file = path.join(dir, 'dup');
    fs.writeFileSync(file, 'abc');
    const fd = fs.openSync(file, 'r');
    const copy = native.dup(fd);
    expect(copy).not.toBe(fd);
    expect(fs.fstatSync(copy).ino).toBe(fs.fstatSync(fd).ino);
    native.close(copy);
    expect(errorOf(() => fs.fstatSync(copy)).code).toBe('EBADF');
    expect(errorOf(() => native.close(copy)).code).toBe('EBADF');
    expect(errorOf(() => native.dup(copy)).code).toBe('EBADF');
    fs.closeSync(fd);
  });

  test('setNonBlocking makes a read of an empty FIFO answer EAGAIN instead of waiting', () => {
    const fifo = path.join(dir, 'nb-fifo');
    mkfifo(fifo);
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const writer = fs.openSync(fifo, fs.constants.O_WRONLY);
    native.setNonBlocking(reader, false);
    native.setNonBlocking(reader); // default: on
    expect(errorOf(() => fs.readSync(reader, Buffer.alloc(10))).code).toBe('EAGAIN');
    fs.writeSync(writer, 'hi');
    expect(fs.readSync(reader, Buffer.alloc(10))).toBe(2);
    fs.closeSync(writer);
    fs.closeSync(reader);
    expect(errorOf(() => native.setNonBlocking(reader)).code).toBe('EBADF');
  });
});

describe('lockFile / unlockFile / lockHolder (open file description locks)', () => {
  test('per open file description: a second open of the same file conflicts, in this process too; a dup shares the lock; the last close releases it', () => {
    const file = path.join(dir, 'ofd.lock');
    fs.writeFileSync(file, '');
    const a = fs.openSync(file, 'r+');
    const b = fs.openSync(file, 'r+');
    expect(native.lockHolder!(b, true)).toBe(0);
    expect(native.lockFile!(a, true)).toBe(true);
    expect(native.lockFile!(b, true)).toBe(false);
    expect(native.lockFile!(b, false)).toBe(false);
    expect(native.lockHolder!(b, true)).toBe(-1); // an OFD lock has no pid
    const dupped = native.dup(a);
    expect(native.lockFile!(dupped, true)).toBe(true); // the same open file description: its own lock
    native.close(dupped);
    expect(native.lockFile!(b, false)).toBe(false); // still held through `a`
    fs.closeSync(a);
    expect(native.lockHolder!(b, true)).toBe(0);
    expect(native.lockFile!(b, false)).toBe(true);
    native.unlockFile!(b);
    expect(native.lockFile!(b, true)).toBe(true);
    fs.closeSync(b);
  });

  test('errno paths: EBADF (closed, or a write lock on a read-only descriptor); the arguments are checked', () => {
    const file = path.join(dir, 'ofd.lock');
    const closed = fs.openSync(file, 'r');
    fs.closeSync(closed);
    expect(errorOf(() => native.lockFile!(closed, true))).toMatchObject({ code: 'EBADF', syscall: 'fcntl(F_OFD_SETLK)' });
    const readOnly = fs.openSync(file, 'r');
    expect(errorOf(() => native.lockFile!(readOnly, true))).toMatchObject({ code: 'EBADF' });
    expect(native.lockFile!(readOnly, false)).toBe(true);
    expect(errorOf(() => native.lockFile!(-1, true))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(errorOf(() => native.lockFile!(readOnly, 1 as unknown as boolean))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    fs.closeSync(readOnly);
  });
});

describe('sendfile and Poller', () => {
  test('non-blocking sendfile to a socket: partial sends, -1 on EAGAIN, Poller waits, 0 at EOF, bytes intact', async () => {
    const size = 8 * 1024 * 1024;
    const file = path.join(dir, 'sendfile-src');
    const payload = patterned(size, 3);
    fs.writeFileSync(file, payload);
    const inFd = fs.openSync(file, 'r');
    const { client, server, close } = await socketPair();
    const outFd = native.dup((client as unknown as { _handle: { fd: number } })._handle.fd);
    native.setNonBlocking(outFd);
    const poller = new native.Poller(outFd);
    expect(poller.fd).toBe(outFd);
    let position = 0;
    let wouldBlock = 0;
    let wakeups = 0;
    const sent = new Promise<void>((resolve, reject) => {
      const pump = (): void => {
        try {
          for (;;) {
            const n = native.sendfile(outFd, inFd, position, size - position);
            if (n === -1) {
              wouldBlock++;
              poller.start((err) => {
                poller.stop();
                if (err) return reject(err);
                wakeups++;
                pump();
              });
              return;
            }
            if (n === 0) return resolve();
            position += n;
          }
        } catch (err) {
          reject(err);
        }
      };
      pump();
    });
    // the receiver reads nothing yet, so the socket buffers fill and sendfile must report EAGAIN
    await new Promise((r) => setTimeout(r, 50));
    expect(wouldBlock).toBeGreaterThan(0);
    const hash = createHash('sha256');
    let received = 0;
    server.on('data', (d: Buffer) => {
      hash.update(d);
      received += d.length;
    });
    server.resume();
    await sent;
    expect(position).toBe(size);
    expect(wakeups).toBeGreaterThan(0);
    expect(poller.active).toBe(false);
    // inFd's own offset did not move
    expect(fs.readSync(inFd, Buffer.alloc(4))).toBe(4);
    poller.close();
    poller.close(); // idempotent
    native.close(outFd);
    client.end();
    await new Promise<void>((resolve) => server.once('end', resolve));
    expect(received).toBe(size);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
    close();
    fs.closeSync(inFd);
  });

  test('sendfile errors: EBADF; EPIPE once the peer is gone; 0 past the end', async () => {
    const file = path.join(dir, 'sendfile-errs');
    fs.writeFileSync(file, patterned(1000));
    const inFd = fs.openSync(file, 'r');
    const { client, server, close } = await socketPair();
    const outFd = native.dup((client as unknown as { _handle: { fd: number } })._handle.fd);
    native.setNonBlocking(outFd);
    expect(native.sendfile(outFd, inFd, 1000, 10)).toBe(0);
    expect(native.sendfile(outFd, inFd, 990, 100)).toBe(10);
    const closed = fs.openSync(file, 'r');
    fs.closeSync(closed);
    const ebadf = errorOf(() => native.sendfile(outFd, closed, 0, 10));
    expect(ebadf.code).toBe('EBADF');
    expect(ebadf.syscall).toBe('sendfile');
    // the peer goes away: the poller still fires (hangup reads as writable) and the send fails
    server.destroy();
    await new Promise((r) => setTimeout(r, 20));
    const poller = new native.Poller(outFd);
    const events = await new Promise<number>((resolve, reject) => poller.start((err, ev) => (poller.stop(), err ? reject(err) : resolve(ev))));
    expect(events & native.Poller.WRITABLE).toBeTruthy();
    let failure: NodeJS.ErrnoException | undefined;
    for (let i = 0; i < 10 && !failure; i++) {
      try {
        native.sendfile(outFd, inFd, 0, 1000);
      } catch (err) {
        failure = err as NodeJS.ErrnoException;
      }
    }
    expect(['EPIPE', 'ECONNRESET']).toContain(failure?.code);
    poller.close();
    native.close(outFd);
    close();
    fs.closeSync(inFd);
  });

  test('Poller: readable events on a FIFO, stop, restart, close; bad descriptors throw', async () => {
    const fifo = path.join(dir, 'poll-fifo');
    mkfifo(fifo);
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const writer = fs.openSync(fifo, fs.constants.O_WRONLY);
    const poller = new native.Poller(reader);
    const fired = new Promise<number>((resolve) => poller.start((err, ev) => (poller.stop(), resolve(ev)), native.Poller.READABLE));
    expect(poller.active).toBe(true);
    fs.writeSync(writer, 'x');
    expect((await fired) & native.Poller.READABLE).toBeTruthy();
    expect(poller.active).toBe(false);
    // data still unread: a restarted poller fires again (level triggered)
    const again = new Promise<number>((resolve) => poller.start((err, ev) => (poller.stop(), resolve(ev)), native.Poller.READABLE));
    expect((await again) & native.Poller.READABLE).toBeTruthy();
    poller.close();
    expect(errorOf(() => poller.start(() => {})).code).toBe('EBADF');
    expect(errorOf(() => poller.start(undefined as never)).code).toBe('EBADF');
    fs.closeSync(writer);
    fs.closeSync(reader);
    const closedPoller = errorOf(() => new native.Poller(reader));
    expect(closedPoller.code).toBe('EBADF');
    const file = path.join(dir, 'regular');
    fs.writeFileSync(file, 'x');
    const regular = fs.openSync(file, 'r');
    expect(errorOf(() => new native.Poller(regular)).code).toBe('EPERM'); // epoll cannot watch files
    fs.closeSync(regular);
    const p2Fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const p2 = new native.Poller(p2Fd);
    expect(errorOf(() => p2.start(() => {}, 64)).code).toBe('ERR_OUT_OF_RANGE');
    expect(errorOf(() => p2.start('f' as never)).code).toBe('ERR_INVALID_ARG_TYPE');
    p2.close();
    fs.closeSync(p2Fd);
  });
});
