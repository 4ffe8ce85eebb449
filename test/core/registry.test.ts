/**
 * The one registry of engines, transfers, caches and codecs (core/registry.ts), as the three places
 * that resolve names use it: the CLI's composition (engines/compose.ts, what produce, consume,
 * send and receive call), the harness (harness/components.ts) and the broker (broker/start.ts).
 * One registry answers all three; a component registered there (an in-process one, or a third-party
 * engine module loaded with `--engine ./x.mjs`) is then found by name on every path; an unknown name
 * gets the same error everywhere, listing what is registered; an unavailable one says why.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import type { Container } from 'inversify';
import { afterAll, describe, expect, test } from 'vitest';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { startBroker } from '../../broker/start.js';
import { builtinCodecs } from '../../codecs/index.js';
import { createRegistryContainer, registryOf } from '../../core/container.js';
import type { StorageEngine } from '../../core/engine.js';
import { decodeBatch } from '../../core/format/records.js';
import type { LogManager } from '../../core/log/log-manager.js';
import { ComponentRegistry } from '../../core/registry.js';
import { TOKENS, silentLogger } from '../../core/tokens.js';
import type { Transfer } from '../../core/transfer.js';
import { builtinCaches } from '../../engines/cache/index.js';
import { composeByName } from '../../engines/compose.js';
import { builtinEngines, defaultRegistry, loadEngine, registerBuiltins, registerEngine } from '../../engines/index.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { bufferedTransfer } from '../../engines/transfer/buffered.js';
import { builtinTransfers } from '../../engines/transfer/index.js';
import { resolveComponents } from '../../harness/components.js';
import type { Cell } from '../../harness/matrix.js';

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = fs.mkdtempSync(join(os.tmpdir(), `strata-registry-${prefix}-`));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const freshRoot = (): Container => createRegistryContainer(registerBuiltins(new ComponentRegistry()));
const cell = (c: Partial<Cell>): Cell => ({ id: 'x', engine: 'pwrite', transfer: 'buffered', cache: 'none', codec: 'none', recordBytes: 100, batchRecords: 10, config: {}, ...c });
const BUILTIN_ENGINES = 'pwrite, pwrite-blocking, fsync-per-write, fsync-per-write-blocking, fsync-group, mmap, io-uring, io-uring-page-cache, direct';
const ENGINE_HINT = 'or give a module path or an installed package name';

/** A Fetch v11 of partition 0 from `offset`; the records bytes of the response. */
async function fetchRecords(client: RawKafkaClient, topic: string, offset: number): Promise<Buffer | null> {
  const r = await client.request(ApiKey.Fetch, 11, (w) => {
    w.int32(-1).int32(0).int32(1).int32(1 << 20).int8(0).int32(0).int32(-1);
    w.arrayLength(1).string(topic).arrayLength(1).int32(0).int32(-1).int64(offset).int64(-1).int32(1 << 20);
    w.arrayLength(0).string('');
  });
  r.int32(); // throttle
  expect(r.int16()).toBe(0);
  r.int32(); // session
  expect(r.int32()).toBe(1);
  r.string();
  expect(r.int32()).toBe(1);
  r.int32(); // partition
  expect(r.int16()).toBe(0); // error code
  r.int64(); // high watermark
  r.int64(); // last stable offset
  r.int64(); // log start offset
  r.nullableArray((r) => [r.int64(), r.int64()]);
  r.int32(); // preferred read replica
  return r.nullableBytes();
}

describe('the built-ins', () => {
  test('are registered in one place under the names of their tables, in order', () => {
    const registry = defaultRegistry();
    expect(registry.names('engine')).toEqual(Object.keys(builtinEngines));
    expect(registry.names('transfer')).toEqual(Object.keys(builtinTransfers));
    expect(registry.names('cache')).toEqual(Object.keys(builtinCaches));
    expect(registry.names('codec')).toEqual(builtinCodecs.map((c) => c.name));
    // options are data: the cache's byte limit reaches the cache
    expect((registry.resolve('cache', 'user-lru', { bytesMax: 4096 }) as unknown as { bytesMax: number }).bytesMax).toBe(4096);
    expect((registry.resolve('cache', 'user-lru', { bytesMax: '8192' }) as unknown as { bytesMax: number }).bytesMax).toBe(8192);
  });

  test('a second registration under a taken name, or a bad name, is refused naming both origins', () => {
    const registry = registerBuiltins(new ComponentRegistry());
    expect(() => registerEngine(registry, { ...pwriteEngine }, '/x/my-pwrite.mjs')).toThrow('engine "pwrite" from /x/my-pwrite.mjs is already registered (from built-in)');
    expect(() => registerEngine(registry, { ...pwriteEngine, name: 'a b' }, '/x/y.mjs')).toThrow('engine from /x/y.mjs: name "a b" is not 1-64 characters of [A-Za-z0-9._-]');
  });
});

describe('an unknown name', () => {
  test('gets the same error on the CLI, harness and broker paths, listing what is registered (a late registration included)', async () => {
    const root = freshRoot();
    registerEngine(registryOf(root), { ...pwriteEngine, name: 'late-engine' }, 'test');
    const dataDir = tempDir('unknown');
    const engineError = `unknown engine "nope" (known: ${BUILTIN_ENGINES}, late-engine; ${ENGINE_HINT})`;
    await expect(composeByName({ dataDir, engine: 'nope', container: root, logger: silentLogger })).rejects.toMatchObject({ code: 'UNKNOWN_ENGINE', message: engineError });
    expect(await resolveComponents(cell({ engine: 'nope' }), root)).toEqual({ ok: false, reason: `engine "nope" is not available: ${engineError}` });
    await expect(startBroker({ dataDir, engine: 'nope', port: 0, container: root, logger: silentLogger })).rejects.toThrow(engineError);

    const transferError = 'unknown transfer "nope" (known: buffered, sendfile)';
    await expect(composeByName({ dataDir, transfer: 'nope', container: root, logger: silentLogger })).rejects.toMatchObject({ code: 'UNKNOWN_TRANSFER', message: transferError });
    expect(await resolveComponents(cell({ transfer: 'nope' }), root)).toEqual({ ok: false, reason: `transfer "nope" is not available: ${transferError}` });
    await expect(startBroker({ dataDir, transfer: 'nope', port: 0, container: root, logger: silentLogger })).rejects.toThrow(transferError);

    const cacheError = 'unknown cache "nope" (known: none, page-cache, user-lru)';
    await expect(composeByName({ dataDir, cache: 'nope', container: root, logger: silentLogger })).rejects.toMatchObject({ code: 'UNKNOWN_CACHE', message: cacheError });
    expect(await resolveComponents(cell({ cache: 'nope' }), root)).toEqual({ ok: false, reason: `cache "nope" is not available: ${cacheError}` });
    await expect(startBroker({ dataDir, cache: 'nope', port: 0, container: root, logger: silentLogger })).rejects.toThrow(cacheError);

    // codecs: the composition's CodecRegistry (what `produce --codec` asks) says it as the registry does
    const codecError = 'unknown codec "brotli" (known: none, gzip, snappy, lz4, zstd)';
    const manager = (await composeByName({ dataDir, container: root, logger: silentLogger })).get<LogManager>(TOKENS.LogManager);
    expect(() => manager.codecs.byNameOrThrow('brotli')).toThrow(codecError);
    expect(() => registryOf(root).resolve('codec', 'brotli')).toThrow(codecError);
    expect(await resolveComponents(cell({ codec: 'brotli' }), root)).toEqual({ ok: false, reason: `codec "brotli" is not available: ${codecError}` });
    await manager.close();
  });
});

describe('one registry answers all three paths', () => {
  test('an engine and a transfer registered in it are what the CLI composition, a harness cell and the broker (its Fetch path) use', async () => {
    const root = freshRoot();
    const registry = registryOf(root);
    const opened: string[] = [];
    const engine: StorageEngine = { name: 'opening-pwrite', supports: pwriteEngine.supports, open: (path, options) => (opened.push(path), pwriteEngine.open(path, options)) };
    let sentBytes = 0;
    const transfer: Transfer = {
      name: 'counting-buffered',
      supports: bufferedTransfer.supports,
      send: async (socket, slices, signal) => {
        const n = await bufferedTransfer.send(socket, slices, signal);
        sentBytes += n;
        return n;
      },
    };
    registerEngine(registry, engine, 'test');
    registry.register('transfer', { name: transfer.name, origin: 'test', create: () => transfer });

    const cli = await composeByName({ dataDir: tempDir('cli'), engine: 'opening-pwrite', transfer: 'counting-buffered', container: root, logger: silentLogger });
    expect(cli.get(TOKENS.StorageEngine)).toBe(engine);
    expect(cli.get(TOKENS.Transfer)).toBe(transfer);
    expect(cli.get(TOKENS.Registry)).toBe(registry);
    const manager = cli.get<LogManager>(TOKENS.LogManager);
    await manager.getOrCreateLog('t', 0);
    expect(opened.at(-1)).toMatch(/t-0\/00000000000000000000\.log$/);
    await manager.close();

    const harness = await resolveComponents(cell({ engine: 'opening-pwrite', transfer: 'counting-buffered' }), root);
    if (!harness.ok) throw new Error(harness.reason);
    expect(harness.components.engine).toBe(engine);
    expect(harness.components.transfer).toBe(transfer);

    const server = await startBroker({ dataDir: tempDir('broker'), engine: 'opening-pwrite', transfer: 'counting-buffered', port: 0, container: root, logger: silentLogger });
    const client = await RawKafkaClient.connect(server.port);
    try {
      expect(server.topics.logs.engine).toBe(engine);
      await server.topics.create('reg', 1);
      const brokerLog = (await server.topics.log('reg', 0))!;
      await brokerLog.appendRecords([{ value: Buffer.from('v0') }, { value: Buffer.from('v1') }]);
      const records = (await fetchRecords(client, 'reg', 0))!;
      expect(sentBytes).toBe(records.length); // the Fetch path sent through the transfer resolved from the registry
      expect((await decodeBatch(records, 0)).records.map((r) => r.value!.toString())).toEqual(['v0', 'v1']);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test('a third-party engine module loaded once (--engine ./module.mjs) is then found by its name on every path, through the process registry', async () => {
    const moduleDir = tempDir('module');
    const modulePath = join(moduleDir, 'tiny-engine.mjs');
    fs.writeFileSync(modulePath, TINY_ENGINE_MODULE);
    const registry = defaultRegistry();
    expect(registry.names('engine')).not.toContain('tiny-fs');

    const loaded = await loadEngine(modulePath); // what `strata produce --engine PATH` does
    expect(loaded.name).toBe('tiny-fs');
    expect(registry.names('engine')).toContain('tiny-fs');
    expect(registry.get('engine', 'tiny-fs').origin).toBe(modulePath);
    expect(await loadEngine(modulePath)).toBe(loaded); // by path again: the same registration, no duplicate

    // the CLI path, by name: records written through the module's engine read back
    const dataDir = tempDir('tiny');
    const manager = (await composeByName({ dataDir, engine: 'tiny-fs', logger: silentLogger })).get<LogManager>(TOKENS.LogManager);
    expect(manager.engine).toBe(loaded);
    const log = await manager.getOrCreateLog('t', 0);
    await log.appendRecords([{ value: Buffer.from('a') }, { value: Buffer.from('b') }]);
    expect((await log.readBatches(0, 1 << 20)).flatMap((b) => b.records.map((r) => r.value!.toString()))).toEqual(['a', 'b']);
    await manager.close();
    const { opened } = (await import(modulePath)) as { opened: string[] };
    expect(opened).toContain(join(dataDir, 't-0', '00000000000000000000.log'));

    const harness = await resolveComponents(cell({ engine: 'tiny-fs' }));
    if (!harness.ok) throw new Error(harness.reason);
    expect(harness.components.engine).toBe(loaded);
    const server = await startBroker({ dataDir: tempDir('tiny-broker'), engine: 'tiny-fs', transfer: 'buffered', port: 0, logger: silentLogger });
    try {
      expect(server.topics.logs.engine).toBe(loaded);
    } finally {
      await server.close();
    }

    // another module claiming the same engine name is refused, naming where the first came from
    const twin = join(moduleDir, 'twin.mjs');
    fs.writeFileSync(twin, TINY_ENGINE_MODULE);
    await expect(loadEngine(twin)).rejects.toThrow(`engine "tiny-fs" from ${twin} is already registered (from ${modulePath})`);
  });
});

describe('an unavailable component', () => {
  test('without the native addon: the reason on resolve, a skipped harness cell with it, and buffered as the default transfer', () => {
    const script = `
      import { defaultRegistry, defaultTransferName } from './engines/index.js';
      import { resolveComponents } from './harness/components.js';
      const cell = (c) => ({ id: 'x', engine: 'pwrite', transfer: 'buffered', cache: 'none', codec: 'none', recordBytes: 100, batchRecords: 10, config: {}, ...c });
      const out = { default: defaultTransferName(), codecs: defaultRegistry().all('codec').length };
      try { defaultRegistry().resolve('engine', 'mmap'); } catch (e) { out.resolve = { code: e.code, message: e.message }; }
      out.mmap = await resolveComponents(cell({ engine: 'mmap' }));
      out.sendfile = await resolveComponents(cell({ transfer: 'sendfile' }));
      out.pwrite = (await resolveComponents(cell({}))).ok;
      console.log(JSON.stringify(out));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: resolve(import.meta.dirname, '../..'),
      env: { ...process.env, STRATA_NATIVE: '0' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.stderr).toBe('');
    const out = JSON.parse(child.stdout.trim());
    expect(out.default).toBe('buffered');
    expect(out.codecs).toBe(builtinCodecs.length);
    expect(out.resolve.code).toBe('ENGINE_UNAVAILABLE');
    expect(out.resolve.message).toMatch(/^unavailable: native addon not built \(the mmap engine needs it; disabled by STRATA_NATIVE=0; /);
    expect(out.mmap).toEqual({ ok: false, reason: `engine "mmap" is not available: ${out.resolve.message}` });
    expect(out.sendfile.ok).toBe(false);
    expect(out.sendfile.reason).toMatch(/^transfer "sendfile" is not available: unavailable: native addon not built \(the sendfile transfer needs it; /);
    expect(out.pwrite).toBe(true);
  });
});

/** A third-party engine with no strata import: plain node:fs, a factory export taking options as data. */
const TINY_ENGINE_MODULE = `
import fs from 'node:fs/promises';
import { constants } from 'node:fs';
export const opened = [];
export default (options) => ({
  name: options.name ?? 'tiny-fs',
  supports: { durableAppend: false, groupCommit: false, preallocate: false, native: false },
  async open(path, opts) {
    const fh = await fs.open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    let size = opts.validBytes ?? (await fh.stat()).size;
    let closed = false;
    opened.push(path);
    return {
      path,
      fd: fh.fd,
      get sizeBytes() { return size; },
      append(chunks, byteLength) { const at = size; size += byteLength; return fh.writev(chunks, at).then(() => {}); },
      async read(position, length) { const b = Buffer.alloc(length); const r = await fh.read(b, 0, length, position); return b.subarray(0, r.bytesRead); },
      flush: () => fh.datasync(),
      async truncate(bytes) { await fh.truncate(bytes); size = bytes; },
      async trim() {},
      async close() { if (!closed) { closed = true; await fh.close(); } },
    };
  },
});
`;
