/**
 * Finding what a cell asks for in the registry (core/registry.ts; the process's by default, with
 * every built-in and any engine module loaded). Whatever is not there (a branch not merged yet, the
 * native addon not built) makes the cell `skipped` with the registry's reason, never a crash: the
 * harness runs whichever branches landed.
 */
import type { Container } from 'inversify';
import type { Cache } from '../core/cache.js';
import { CodecRegistry, type Codec } from '../core/codec.js';
import { registryOf } from '../core/container.js';
import type { StorageEngine } from '../core/engine.js';
import type { Transfer } from '../core/transfer.js';
import { defaultContainer, loadEngine } from '../engines/index.js';
import { cellId, type Cell } from './matrix.js';

export interface CellComponents {
  engine: StorageEngine;
  transfer: Transfer;
  cache: Cache;
  codec: Codec;
  codecs: CodecRegistry;
}

export type Resolved = { ok: true; components: CellComponents; notes: string[] } | { ok: false; reason: string };

/** Bytes an in-process cache may hold in a cell (user-lru); page-cache ignores it. */
export const CACHE_BYTES_MAX = 256 * 1024 * 1024;

export async function resolveComponents(cell: Cell, container: Container = defaultContainer()): Promise<Resolved> {
  const registry = registryOf(container);
  let engine: StorageEngine;
  try {
    engine = await loadEngine(cell.engine, {}, registry);
  } catch (err) {
    return { ok: false, reason: `engine "${cell.engine}" is not available: ${(err as Error).message}` };
  }
  const transfer = registry.tryResolve('transfer', cell.transfer);
  if (!transfer.ok) return transfer;
  const cache = registry.tryResolve('cache', cell.cache, { bytesMax: CACHE_BYTES_MAX });
  if (!cache.ok) return cache;
  const codec = registry.tryResolve('codec', cell.codec);
  if (!codec.ok) return codec;
  const components = { engine, transfer: transfer.component, cache: cache.component, codec: codec.component, codecs: new CodecRegistry(registry.all('codec')) };
  // an O_DIRECT engine's bytes are not in the page cache: this cell's consumer reads from user memory
  const notes = engine.supports.directIo && transfer.component.supports.zeroCopy ? [`${engine.name} is O_DIRECT (supports.directIo): ${transfer.component.name} hands its slices to the buffered transfer, so this cell sends from user memory`] : [];
  return { ok: true, components, notes };
}

/**
 * A cell whose engine was given as a module (`--engine ./my-engine.js`) is named by the engine's
 * own name, as a built-in's is, so its rows read `tiny/buffered/...` and match the same engine
 * given by name; where it was loaded from goes in a note. Returns the cell as named.
 */
export function namedByEngine<C extends Cell & { notes: string[] }>(cell: C, engine: StorageEngine): C {
  if (engine.name === cell.engine) return cell;
  const named = { ...cell, engine: engine.name, notes: [...cell.notes, `engine ${engine.name} loaded from ${cell.engine}`] };
  return { ...named, id: cellId(named) };
}

