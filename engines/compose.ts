/**
 * Composition by name, for the CLI, the broker and the harness: engine, cache and transfer looked
 * up in the built-in registries (or an engine module path), every built-in codec registered.
 */
import type { Container } from 'inversify';
import type { Cache } from '../core/cache.js';
import { logConfigFrom } from '../core/config/log-config.js';
import { createContainer } from '../core/container.js';
import { StrataError } from '../core/errors.js';
import type { LogManager } from '../core/log/log-manager.js';
import { TOKENS, stderrLogger, type Logger } from '../core/tokens.js';
import type { Transfer } from '../core/transfer.js';
import { builtinCodecs } from '../codecs/index.js';
import { builtinCaches } from './cache/index.js';
import { loadEngine } from './index.js';
import { builtinTransfers } from './transfer/index.js';

export interface ComposeOptions {
  dataDir: string;
  engine?: string;
  cache?: string;
  cacheBytesMax?: number;
  transfer?: string;
  /** Kafka topic config keys applied to every log. */
  config?: Readonly<Record<string, string>>;
  logger?: Logger;
}

export function cacheByName(name: string, bytesMax?: number): Cache {
  const make = builtinCaches[name];
  if (!make) throw new StrataError('INVALID_ARGUMENT', `unknown cache "${name}" (known: ${Object.keys(builtinCaches).join(', ')})`);
  return make({ bytesMax });
}

export function transferByName(name: string): Transfer {
  const make = builtinTransfers[name];
  if (!make) throw new StrataError('INVALID_ARGUMENT', `unknown transfer "${name}" (known: ${Object.keys(builtinTransfers).join(', ') || 'none built in'})`);
  return make();
}

export async function composeByName(options: ComposeOptions): Promise<Container> {
  const engine = await loadEngine(options.engine ?? 'pwrite');
  return createContainer({
    dataDir: options.dataDir,
    engine,
    codecs: builtinCodecs,
    cache: cacheByName(options.cache ?? 'none', options.cacheBytesMax),
    transfer: options.transfer ? transferByName(options.transfer) : undefined,
    config: logConfigFrom(options.config ?? {}),
    logger: options.logger ?? stderrLogger,
  });
}

export async function openLogManager(options: ComposeOptions): Promise<LogManager> {
  const container = await composeByName(options);
  return container.get<LogManager>(TOKENS.LogManager);
}
