/**
 * Finding what a cell asks for in the registries (builtinEngines, builtinTransfers, builtinCaches,
 * builtinCodecs). Whatever is not there (a branch not merged yet, the native addon not built) makes
 * the cell `skipped` with the reason, never a crash: the harness runs whichever branches landed.
 */
import type { Cache } from '../core/cache.js';
import { CodecRegistry, type Codec } from '../core/codec.js';
import type { StorageEngine } from '../core/engine.js';
import type { Transfer } from '../core/transfer.js';
import { builtinCodecs } from '../codecs/index.js';
import { builtinCaches } from '../engines/cache/index.js';
import { builtinEngines, loadEngine } from '../engines/index.js';
import { builtinTransfers } from '../engines/transfer/index.js';
import { loadNative, nativeUnavailableReason } from '../native/index.js';
import type { Cell } from './matrix.js';

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

export async function resolveComponents(cell: Cell): Promise<Resolved> {
  const notes: string[] = [];
  let engine: StorageEngine;
  if (builtinEngines[cell.engine]) engine = builtinEngines[cell.engine]!();
  else {
    try {
      engine = await loadEngine(cell.engine);
    } catch (err) {
      return { ok: false, reason: `engine "${cell.engine}" is not available: ${(err as Error).message}` };
    }
  }
  if (engine.supports.native && !loadNative()) {
    return { ok: false, reason: `engine "${cell.engine}": ${nativeUnavailableReason(`the ${cell.engine} engine`)}` };
  }

  let transfer: Transfer;
  const transferFactory = builtinTransfers[cell.transfer];
  if (transferFactory) {
    try {
      transfer = transferFactory();
    } catch (err) {
      return { ok: false, reason: `transfer "${cell.transfer}" is not available: ${(err as Error).message}` };
    }
  } else {
    return { ok: false, reason: `transfer "${cell.transfer}" is not available (registered: ${Object.keys(builtinTransfers).join(', ') || 'none'})` };
  }
  if (transfer.supports.native && !loadNative()) {
    return { ok: false, reason: `transfer "${cell.transfer}": ${nativeUnavailableReason(`the ${cell.transfer} transfer`)}` };
  }

  const cacheFactory = builtinCaches[cell.cache];
  if (!cacheFactory) {
    return { ok: false, reason: `cache "${cell.cache}" is not available (registered: ${Object.keys(builtinCaches).join(', ')})` };
  }
  const cache = cacheFactory({ bytesMax: CACHE_BYTES_MAX });

  const codecs = new CodecRegistry(builtinCodecs);
  const codec = builtinCodecs.find((c) => c.name === cell.codec);
  if (!codec) {
    return { ok: false, reason: `codec "${cell.codec}" is not available (registered: ${builtinCodecs.map((c) => c.name).join(', ')})` };
  }
  return { ok: true, components: { engine, transfer, cache, codec, codecs }, notes };
}
