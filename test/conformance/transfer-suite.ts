/**
 * The transfer conformance suite: every transfer, built-in or third-party, sends real files to
 * real loopback sockets. Each `supports` flag is checked both ways: `zeroCopy` (the payload never
 * passes through user space, so the slice's cache is never asked; without it the cache is asked
 * and what it holds is what is sent) and `encryptedSockets` (it sends to a TLS socket; without it,
 * it refuses one before sending a byte). Closed and closing: a socket destroyed before or during
 * a send, a peer that goes away mid-send and an abort all reject, never hang.
 *
 *   import { runTransferConformance } from 'strata-log/conformance';
 *   await runTransferConformance({ transfer: myTransfer });
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { join } from 'node:path';
import type { FileCache } from '../../core/cache.js';
import type { FileSlice, Transfer } from '../../core/transfer.js';
import type { ConformanceTestApi } from './context.js';
import { registerPluginSuite, selectModules, withinGuard, type PluginScope, type PluginTest } from './plugin-suite.js';
import { connectPair, connectTlsPair, tlsUnavailable, type SocketPair } from './transfer-sockets.js';

export interface TransferConformanceOptions {
  transfer: Transfer;
  test?: ConformanceTestApi;
  /** Only these modules (names as in TRANSFER_MODULES); default all. */
  modules?: readonly string[];
}

interface Files {
  slices(spec: readonly [file: number, position: number, length: number][]): FileSlice[];
  expected(slices: readonly FileSlice[]): Buffer;
}

/** Real files of random bytes, open read-only, closed with the test. */
function makeFiles(s: PluginScope, sizes: readonly number[]): Files {
  const dir = s.dir();
  const files = sizes.map((size, i) => {
    const path = join(dir, `${String(i * 1000).padStart(20, '0')}.log`);
    const bytes = randomBytes(size);
    fs.writeFileSync(path, bytes);
    const fd = fs.openSync(path, 'r');
    s.cleanup(() => fs.closeSync(fd));
    return { path, fd, bytes };
  });
  return {
    slices: (spec) => spec.map(([f, position, length]) => ({ path: files[f]!.path, fd: files[f]!.fd, position, length })),
    expected: (slices) => Buffer.concat(slices.map((sl) => files.find((f) => f.path === sl.path)!.bytes.subarray(sl.position, sl.position + sl.length))),
  };
}

async function pair(s: PluginScope): Promise<SocketPair> {
  const p = await connectPair();
  s.cleanup(() => p.close());
  return p;
}

/** The send's rejection, or a failure when it resolved. */
async function rejection(what: string, sending: Promise<number>): Promise<{ code?: string; message: string }> {
  const outcome = await withinGuard(what, sending.then((n) => ({ ok: true as const, n }), (error: unknown) => ({ ok: false as const, error })));
  assert.ok(!outcome.ok, `${what}: the send resolved (${outcome.ok && outcome.n} bytes) instead of rejecting`);
  const e = outcome.error as Error & { code?: string };
  assert.ok(e instanceof Error, `${what}: rejected with a non-Error ${String(e)}`);
  return { code: e.code, message: String(e.message) };
}

type Module = (transfer: Transfer) => PluginTest[];

const manifest: Module = (t) => [
  {
    name: 'names itself and states its supports flags as booleans; zero copy cannot encrypt',
    async body() {
      assert.ok(typeof t.name === 'string' && t.name.length > 0, 'the transfer has a name');
      assert.equal(typeof t.supports.zeroCopy, 'boolean', 'supports.zeroCopy');
      assert.equal(typeof t.supports.native, 'boolean', 'supports.native');
      assert.ok(t.supports.encryptedSockets === undefined || typeof t.supports.encryptedSockets === 'boolean', 'supports.encryptedSockets');
      // TLS encrypts in user space: bytes that never come there cannot be encrypted
      assert.ok(!(t.supports.zeroCopy && t.supports.encryptedSockets), `${t.name} claims zeroCopy and encryptedSockets`);
    },
  },
];

const roundTrip: Module = (t) => [
  {
    name: 'sends slices of several files in order, after earlier writes and before later ones; progress adds up',
    async body(s) {
      const files = makeFiles(s, [3 << 20, 70_000, 1]);
      const slices = files.slices([[0, 0, 3 << 20], [1, 123, 0], [1, 5, 60_000], [2, 0, 1], [0, 1000, 17]]);
      const { server, received } = await pair(s);
      server.write('before');
      let progress = 0;
      const sent = await withinGuard('send', t.send(server, slices, undefined, (n) => void (progress += n)));
      server.write('after');
      const want = Buffer.concat([Buffer.from('before'), files.expected(slices), Buffer.from('after')]);
      assert.equal(sent, want.length - 11, 'send resolves with the bytes of the slices');
      assert.equal(progress, sent, 'onProgress reports every byte that left');
      const got = await withinGuard('the peer receiving everything', received(want.length));
      assert.ok(got.equals(want), 'the peer received other bytes or another order');
    },
  },
  {
    name: 'a reader slower than the socket buffer gets every byte (backpressure, no loss)',
    timeoutMs: 60_000,
    async body(s) {
      const files = makeFiles(s, [16 << 20]);
      const slices = files.slices([[0, 0, 16 << 20]]);
      const { server, client, received } = await pair(s);
      client.pause();
      const sending = t.send(server, slices);
      await new Promise((r) => setTimeout(r, 300)); // the socket buffers fill while nobody reads
      client.resume();
      assert.equal(await withinGuard('send to a slow reader', sending), 16 << 20);
      assert.ok((await withinGuard('receiving', received(16 << 20))).equals(files.expected(slices)));
    },
  },
  {
    name: 'concurrent sends on separate connections do not mix',
    async body(s) {
      const files = makeFiles(s, [1 << 20, 1 << 20]);
      const a = await pair(s);
      const b = await pair(s);
      const sa = files.slices([[0, 0, 1 << 20]]);
      const sb = files.slices([[1, 0, 1 << 20]]);
      await withinGuard('two sends', Promise.all([t.send(a.server, sa), t.send(b.server, sb)]));
      assert.ok((await withinGuard('a', a.received(1 << 20))).equals(files.expected(sa)));
      assert.ok((await withinGuard('b', b.received(1 << 20))).equals(files.expected(sb)));
    },
  },
];

/** A real cache's operations for one file, counting the calls a transfer makes. */
function countingCache(held?: { position: number; data: Buffer }): FileCache & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    generation: 0,
    lookup(position, lengthMin, lengthMax) {
      calls.push('lookup');
      if (!held || position < held.position || position >= held.position + held.data.length) return undefined;
      const from = position - held.position;
      if (held.data.length - from < Math.max(1, lengthMin)) return undefined;
      return held.data.subarray(from, from + Math.min(lengthMax, held.data.length - from));
    },
    onRead: () => void calls.push('onRead'),
    onAppend: () => void calls.push('onAppend'),
    invalidate: () => void calls.push('invalidate'),
    close: () => void calls.push('close'),
  };
}

const zeroCopy: Module = (t) => [
  t.supports.zeroCopy
    ? {
        name: 'supports.zeroCopy: the slice cache is never asked, the file bytes are sent',
        async body(s) {
          const files = makeFiles(s, [200_000]);
          const cache = countingCache({ position: 0, data: Buffer.alloc(200_000, 0x55) });
          const slices = files.slices([[0, 0, 200_000]]).map((sl) => ({ ...sl, cache }));
          const { server, received } = await pair(s);
          await withinGuard('send', t.send(server, slices));
          assert.deepEqual(cache.calls, [], `${t.name} claims zeroCopy but asked the cache (${cache.calls.join(', ')})`);
          assert.ok((await withinGuard('receiving', received(200_000))).equals(files.expected(slices)));
        },
      }
    : {
        name: 'supports.zeroCopy false: the slice cache is asked, what it holds is sent, what is read is offered to it',
        async body(s) {
          const files = makeFiles(s, [200_000]);
          const plain = files.slices([[0, 0, 200_000]]);
          const held = files.expected(files.slices([[0, 0, 100_000]]));
          const cache = countingCache({ position: 0, data: held });
          const { server, received } = await pair(s);
          await withinGuard('send', t.send(server, plain.map((sl) => ({ ...sl, cache }))));
          assert.ok(cache.calls.includes('lookup'), `${t.name} does not claim zeroCopy but never asked the cache`);
          assert.ok(cache.calls.includes('onRead'), `${t.name} read the file but offered nothing to the cache`);
          assert.ok((await withinGuard('receiving', received(200_000))).equals(files.expected(plain)));
        },
      },
];

const encryptedSockets: Module = (t) => {
  const why = tlsUnavailable();
  if (why !== undefined) {
    process.stderr.write(`transfer conformance (${t.name}): encrypted-sockets skipped: ${why}\n`);
    return [];
  }
  const slicesOf = (s: PluginScope) => {
    const files = makeFiles(s, [300_000]);
    return { files, slices: files.slices([[0, 7, 299_000]]) };
  };
  if (t.supports.encryptedSockets) {
    return [
      {
        name: 'supports.encryptedSockets: sends the file bytes to a TLS socket',
        async body(s) {
          const { files, slices } = slicesOf(s);
          const tls = await connectTlsPair(s.dir());
          s.cleanup(() => tls.close());
          assert.equal(await withinGuard('send over TLS', t.send(tls.server, slices)), 299_000);
          assert.ok((await withinGuard('receiving over TLS', tls.received(299_000))).equals(files.expected(slices)));
        },
      },
    ];
  }
  return [
    {
      name: 'supports.encryptedSockets false: refuses a TLS socket and sends nothing',
      async body(s) {
        const { slices } = slicesOf(s);
        const tls = await connectTlsPair(s.dir());
        s.cleanup(() => tls.close());
        const e = await rejection('send over TLS', t.send(tls.server, slices));
        assert.match(e.message, /TLS/i, `the refusal does not say why: ${e.message}`);
        tls.server.write('still usable');
        assert.equal((await withinGuard('the TLS session after the refusal', tls.received(12))).toString(), 'still usable', 'plaintext file bytes went into the TLS stream');
      },
    },
  ];
};

const badInput: Module = (t) => [
  {
    name: 'a slice past the end of its file rejects, naming the file',
    async body(s) {
      const files = makeFiles(s, [10_000]);
      const { server } = await pair(s);
      const slices = files.slices([[0, 5000, 10_000]]);
      const e = await rejection('send past the end', t.send(server, slices));
      assert.ok(e.message.includes(slices[0]!.path), `the error does not name the file: ${e.message}`);
    },
  },
  {
    name: 'an invalid slice (negative position, fd or length) rejects before sending anything',
    async body(s) {
      const files = makeFiles(s, [1000]);
      const { server } = await pair(s);
      const [good] = files.slices([[0, 0, 100]]);
      for (const bad of [{ ...good!, position: -1 }, { ...good!, fd: -1 }, { ...good!, length: -5 }, { ...good!, length: 1.5 }]) {
        const e = await rejection(`send of ${JSON.stringify({ ...bad, path: undefined })}`, Promise.resolve().then(() => t.send(server, [bad])));
        assert.ok(e.message.includes(good!.path), `the error does not name the file: ${e.message}`);
      }
    },
  },
];

const closed: Module = (t) => [
  {
    name: 'closed: a send on a destroyed or ended socket rejects',
    async body(s) {
      const files = makeFiles(s, [100_000]);
      const slices = files.slices([[0, 0, 100_000]]);
      const a = await pair(s);
      a.server.destroy();
      await rejection('send on a destroyed socket', t.send(a.server, slices));
      const b = await pair(s);
      b.server.end();
      await rejection('send on an ended socket', t.send(b.server, slices));
    },
  },
  {
    name: 'closing: the peer going away mid-send rejects it, never hangs',
    timeoutMs: 60_000,
    async body(s) {
      const files = makeFiles(s, [32 << 20]);
      const { server, client } = await pair(s);
      client.pause();
      const sending = t.send(server, files.slices([[0, 0, 32 << 20]]));
      await new Promise((r) => setTimeout(r, 100));
      client.destroy();
      await rejection('send to a peer that went away', sending);
    },
  },
  {
    name: 'closing: the socket destroyed on our side mid-send, or an abort, rejects it',
    timeoutMs: 60_000,
    async body(s) {
      const files = makeFiles(s, [32 << 20]);
      const slices = files.slices([[0, 0, 32 << 20]]);
      const a = await pair(s);
      a.client.pause();
      const sending = t.send(a.server, slices);
      await new Promise((r) => setTimeout(r, 100));
      a.server.destroy();
      await rejection('send on a socket destroyed mid-send', sending);
      const b = await pair(s);
      b.client.pause();
      const controller = new AbortController();
      const aborted = t.send(b.server, slices, controller.signal);
      await new Promise((r) => setTimeout(r, 100));
      controller.abort(new Error('response cancelled'));
      await rejection('an aborted send', aborted);
      await rejection('a send aborted before it starts', t.send(b.server, slices, AbortSignal.abort()));
    },
  },
];

export const TRANSFER_MODULES: Readonly<Record<string, Module>> = {
  manifest,
  'round-trip': roundTrip,
  'zero-copy': zeroCopy,
  'encrypted-sockets': encryptedSockets,
  'bad-input': badInput,
  closed,
};

export async function runTransferConformance(options: TransferConformanceOptions): Promise<void> {
  const modules = selectModules(TRANSFER_MODULES, options.modules, 'transfer');
  await registerPluginSuite(`transfer conformance: ${options.transfer.name}`, modules.map(([n, m]) => [n, m(options.transfer)] as const), options.test);
}
