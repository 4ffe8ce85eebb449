/**
 * The built-ins registered in one place (registerBuiltins: the engines below, builtinTransfers,
 * builtinCaches, builtinCodecs), the process's root container holding that registry, and loading
 * an engine from outside the repo by module name or path, which registers it through the same
 * registerEngine call a built-in goes through. A new built-in engine is one file plus one line in
 * builtinEngines (and one line running the conformance suite).
 */
import { isAbsolute, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Container } from 'inversify';
import { createRegistryContainer, registryOf } from '../core/container.js';
import type { StorageEngine, StorageEngineModule } from '../core/engine.js';
import { StrataError } from '../core/errors.js';
import { assertEngineShape } from '../core/engine-shape.js';
import { ComponentRegistry, unknownComponentError, type ComponentKind, type ComponentOptions, type ComponentTypes, type Registration } from '../core/registry.js';
import { builtinCodecs } from '../codecs/index.js';
import { requireNative } from '../native/index.js';
import { builtinCaches } from './cache/index.js';
import { createDirectEngine, directEngine } from './direct/direct.js';
import { fsyncGroupEngine } from './fsync-group.js';
import { fsyncPerWriteBlockingEngine } from './fsync-per-write-blocking.js';
import { fsyncPerWriteEngine } from './fsync-per-write.js';
import { ioUringEngine, ioUringPageCacheEngine } from './io-uring.js';
import { mmapEngine } from './mmap.js';
import { pwriteBlockingEngine } from './pwrite-blocking.js';
import { pwriteEngine } from './pwrite.js';
import { builtinTransfers } from './transfer/index.js';

export const builtinEngines: Record<string, () => StorageEngine> = {
  pwrite: () => pwriteEngine,
  'pwrite-blocking': () => pwriteBlockingEngine,
  'fsync-per-write': () => fsyncPerWriteEngine,
  'fsync-per-write-blocking': () => fsyncPerWriteBlockingEngine,
  'fsync-group': () => fsyncGroupEngine,
  mmap: () => mmapEngine,
  'io-uring': () => ioUringEngine,
  'io-uring-page-cache': () => ioUringPageCacheEngine,
  direct: () => directEngine,
};

const BUILT_IN = 'built-in';
/** Transfers a process serves with when none is named, best first (Kafka's FileChannel.transferTo first). */
export const DEFAULT_TRANSFERS: readonly string[] = ['sendfile', 'buffered'];
const ENGINE_HINT = 'or give a module path or an installed package name';

/** Why a component whose manifest says `native` cannot work here, or undefined when the addon loads. */
function nativeUnavailable(kind: ComponentKind, name: string): string | undefined {
  try {
    requireNative(`the ${name} ${kind}`);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** How a built-in engine and a third-party engine module both register. */
export function registerEngine(registry: ComponentRegistry, engine: StorageEngine, origin: string): Registration<'engine'> {
  assertEngineShape(engine, origin);
  const registration: Registration<'engine'> = {
    name: engine.name,
    origin,
    supports: engine.supports,
    unavailable: () => (engine.supports.native ? nativeUnavailable('engine', engine.name) : undefined) ?? engine.unavailable?.(),
    create: () => engine,
  };
  registry.register('engine', registration);
  return registration;
}

/**
 * A registration from a factory whose product states its manifest only once made (a transfer's
 * supports live on the instance): unavailable when making one says ENGINE_UNAVAILABLE, which is
 * what requireNative throws. Probed once; the addon does not come or go in a running process.
 */
function factoryRegistration<K extends ComponentKind>(name: string, create: (options: ComponentOptions) => ComponentTypes[K]): Registration<K> {
  let probed: { why: string | undefined } | undefined;
  return {
    name,
    origin: BUILT_IN,
    create,
    unavailable() {
      probed ??= probe(() => create({}));
      return probed.why;
    },
  };
}

function probe(make: () => unknown): { why: string | undefined } {
  try {
    make();
    return { why: undefined };
  } catch (err) {
    if (err instanceof StrataError && err.code === 'ENGINE_UNAVAILABLE') return { why: err.message };
    throw err;
  }
}

/** An option that is a byte count: a number, or the decimal text of one (options are data from a CLI or a file). */
function bytesOption(options: ComponentOptions, key: string): number | undefined {
  const v = options[key];
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number') throw new StrataError('INVALID_CONFIG', `option ${key}=${String(v)} is not a byte count`);
  return n;
}

/** Registers every built-in engine, transfer, cache and codec: the one place they are named. */
export function registerBuiltins(registry: ComponentRegistry): ComponentRegistry {
  for (const make of Object.values(builtinEngines)) registerEngine(registry, make(), BUILT_IN);
  // the direct engine's batch cache is sized by its option cacheBytesMax (bytes; a new engine, a new cache)
  const direct = registry.get('engine', directEngine.name);
  direct.create = (options) => {
    const cacheBytesMax = bytesOption(options, 'cacheBytesMax');
    return cacheBytesMax === undefined ? directEngine : createDirectEngine({ cacheBytesMax });
  };
  for (const [name, make] of Object.entries(builtinTransfers)) registry.register('transfer', factoryRegistration<'transfer'>(name, () => make()));
  for (const [name, make] of Object.entries(builtinCaches)) {
    registry.register('cache', factoryRegistration<'cache'>(name, (options) => make({ bytesMax: bytesOption(options, 'bytesMax') })));
  }
  for (const codec of builtinCodecs) registry.register('codec', { name: codec.name, origin: BUILT_IN, create: () => codec });
  return registry;
}

let processContainer: Container | undefined;

/** The process's root container: TOKENS.Registry with every built-in registered. The CLI, harness and broker default to it. */
export function defaultContainer(): Container {
  processContainer ??= createRegistryContainer(registerBuiltins(new ComponentRegistry()));
  return processContainer;
}

export function defaultRegistry(): ComponentRegistry {
  return registryOf(defaultContainer());
}

/** The first of DEFAULT_TRANSFERS that is available here (sendfile when the native addon is built). */
export function defaultTransferName(registry: ComponentRegistry = defaultRegistry()): string {
  const name = DEFAULT_TRANSFERS.find((n) => registry.find('transfer', n) && registry.get('transfer', n).unavailable?.() === undefined);
  if (!name) throw new StrataError('ENGINE_UNAVAILABLE', `no default transfer is available (tried ${DEFAULT_TRANSFERS.join(', ')}; known: ${registry.names('transfer').join(', ') || 'none'})`);
  return name;
}

function isEngine(value: unknown): value is StorageEngine {
  const v = value as StorageEngine | undefined;
  return !!v && typeof v.name === 'string' && typeof v.open === 'function' && typeof v.supports === 'object' && v.supports !== null;
}

/**
 * The engine by registered name, or from a module: a path (./x.js, /abs/x.js) or an installed
 * package name, whose `default` or `engine` export is a StorageEngine or a factory of one. A module
 * is registered under its engine's name (and found again by the specifier it was loaded from), so
 * whatever resolves names from the same registry (CLI, harness, broker) finds it afterwards.
 */
export async function loadEngine(nameOrModule: string, options: Record<string, string> = {}, registry: ComponentRegistry = defaultRegistry()): Promise<StorageEngine> {
  if (!registry.find('engine', nameOrModule)) await registerEngineModule(registry, nameOrModule, options);
  return registry.resolve('engine', nameOrModule, options);
}

/** Imports an engine module and registers its engine; the unknown-engine error when there is no such module. */
export async function registerEngineModule(registry: ComponentRegistry, specifier: string, options: Record<string, string> = {}): Promise<Registration<'engine'>> {
  const looksLikePath = specifier.startsWith('.') || isAbsolute(specifier) || /\.(m?js|ts)$/.test(specifier);
  // a bare package name resolves from the working directory (the user's project), not from strata
  const url = looksLikePath ? pathToFileURL(resolve(specifier)).href : resolvePackage(specifier);
  let mod: { default?: StorageEngineModule; engine?: StorageEngineModule };
  try {
    mod = (await import(url)) as typeof mod;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!looksLikePath && (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')) {
      throw unknownComponentError('engine', specifier, registry.names('engine'), ENGINE_HINT);
    }
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[mc]?ts$/.test(specifier)) {
      throw new StrataError('UNKNOWN_ENGINE', `cannot load engine module "${specifier}": Node ${process.versions.node} does not run TypeScript by itself. Compile it to .js, or load strata with tsx: NODE_OPTIONS="--import tsx" npx --no-install strata ... (tsx: npm install --save-dev tsx)`, { cause: err });
    }
    throw new StrataError('UNKNOWN_ENGINE', `cannot load engine module "${specifier}": ${(err as Error).message}`, { cause: err });
  }
  const exported = mod.engine ?? mod.default;
  const engine = typeof exported === 'function' ? exported(options) : exported;
  if (!isEngine(engine)) {
    throw new StrataError('UNKNOWN_ENGINE', `module "${specifier}" exports no storage engine (expected a default or \`engine\` export with name, supports and open)`);
  }
  assertEngineShape(engine, `module "${specifier}"`);
  return registerEngine(registry, engine, specifier);
}

function resolvePackage(name: string): string {
  try {
    return pathToFileURL(createRequire(join(process.cwd(), 'noop.js')).resolve(name)).href;
  } catch {
    return name; // let import() try (ESM-only packages) and report ERR_MODULE_NOT_FOUND
  }
}
