/**
 * Built-in engines by name, and loading an engine from outside the repo by module name or path.
 * A new built-in engine is one file plus one line here (and one line running the conformance suite).
 */
import { isAbsolute, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StorageEngine, StorageEngineModule } from '../core/engine.js';
import { StrataError } from '../core/errors.js';
import { fsyncGroupEngine } from './fsync-group.js';
import { fsyncPerWriteBlockingEngine } from './fsync-per-write-blocking.js';
import { fsyncPerWriteEngine } from './fsync-per-write.js';
import { mmapEngine } from './mmap.js';
import { pwriteBlockingEngine } from './pwrite-blocking.js';
import { pwriteEngine } from './pwrite.js';

export const builtinEngines: Record<string, () => StorageEngine> = {
  pwrite: () => pwriteEngine,
  'pwrite-blocking': () => pwriteBlockingEngine,
  'fsync-per-write': () => fsyncPerWriteEngine,
  'fsync-per-write-blocking': () => fsyncPerWriteBlockingEngine,
  'fsync-group': () => fsyncGroupEngine,
  mmap: () => mmapEngine,
};

function isEngine(value: unknown): value is StorageEngine {
  const v = value as StorageEngine | undefined;
  return !!v && typeof v.name === 'string' && typeof v.open === 'function' && typeof v.supports === 'object';
}

/**
 * An engine by built-in name, or from a module: a path (./x.js, /abs/x.js) or an installed package
 * name, whose `default` or `engine` export is a StorageEngine or a factory of one.
 */
export async function loadEngine(nameOrModule: string, options: Record<string, string> = {}): Promise<StorageEngine> {
  const builtin = builtinEngines[nameOrModule];
  if (builtin) return builtin();
  const looksLikePath = nameOrModule.startsWith('.') || isAbsolute(nameOrModule) || /\.(m?js|ts)$/.test(nameOrModule);
  // a bare package name resolves from the working directory (the user's project), not from strata
  const specifier = looksLikePath ? pathToFileURL(resolve(nameOrModule)).href : resolvePackage(nameOrModule);
  let mod: { default?: StorageEngineModule; engine?: StorageEngineModule };
  try {
    mod = (await import(specifier)) as typeof mod;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!looksLikePath && (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')) {
      throw new StrataError('UNKNOWN_ENGINE', `unknown engine "${nameOrModule}" (built-in: ${Object.keys(builtinEngines).join(', ')}; or give a module path or an installed package name)`);
    }
    throw new StrataError('UNKNOWN_ENGINE', `cannot load engine module "${nameOrModule}": ${(err as Error).message}`, { cause: err });
  }
  const exported = mod.engine ?? mod.default;
  const engine = typeof exported === 'function' ? exported(options) : exported;
  if (!isEngine(engine)) {
    throw new StrataError('UNKNOWN_ENGINE', `module "${nameOrModule}" exports no storage engine (expected a default or \`engine\` export with name, supports and open)`);
  }
  return engine;
}

function resolvePackage(name: string): string {
  try {
    return pathToFileURL(createRequire(join(process.cwd(), 'noop.js')).resolve(name)).href;
  } catch {
    return name; // let import() try (ESM-only packages) and report ERR_MODULE_NOT_FOUND
  }
}
