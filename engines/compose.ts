/**
 * Composition by name, for the CLI, the broker and the harness: engine, cache and transfer resolved
 * from the registry of a root container (default: the process's, engines/index.ts, with every
 * built-in and whatever engine modules were loaded), every registered codec in the CodecRegistry.
 */
import type { Container } from 'inversify';
import type { Cache } from '../core/cache.js';
import { logConfigFrom } from '../core/config/log-config.js';
import { createContainer, registryOf } from '../core/container.js';
import type { LogManager, LogManagerConfig } from '../core/log/log-manager.js';
import type { ComponentRegistry } from '../core/registry.js';
import { TOKENS, stderrLogger, type Logger } from '../core/tokens.js';
import type { Transfer } from '../core/transfer.js';
import { defaultContainer, defaultRegistry, loadEngine } from './index.js';

export interface ComposeOptions {
  dataDir: string;
  engine?: string;
  cache?: string;
  cacheBytesMax?: number;
  transfer?: string;
  /** Kafka topic config keys applied to every log. */
  config?: Readonly<Record<string, string>>;
  logger?: Logger;
  /** The root container whose registry the names are resolved from (default: the process's). */
  container?: Container;
  /** The LogManager's schedules (log.retention.check.interval.ms, log.flush.offset.checkpoint.interval.ms). */
  managerConfig?: LogManagerConfig;
}

export function cacheByName(name: string, bytesMax?: number, registry: ComponentRegistry = defaultRegistry()): Cache {
  return registry.resolve('cache', name, { bytesMax });
}

export function transferByName(name: string, registry: ComponentRegistry = defaultRegistry()): Transfer {
  return registry.resolve('transfer', name);
}

/** A composition under the root container; TOKENS.Transfer is bound when `transfer` names one. */
export async function composeByName(options: ComposeOptions): Promise<Container> {
  const root = options.container ?? defaultContainer();
  const registry = registryOf(root);
  const engine = await loadEngine(options.engine ?? 'pwrite', {}, registry);
  return createContainer({
    parent: root,
    dataDir: options.dataDir,
    engine,
    codecs: registry.all('codec'),
    cache: cacheByName(options.cache ?? 'none', options.cacheBytesMax, registry),
    transfer: options.transfer ? transferByName(options.transfer, registry) : undefined,
    config: logConfigFrom(options.config ?? {}),
    logger: options.logger ?? stderrLogger,
    managerConfig: options.managerConfig,
  });
}

export async function openLogManager(options: ComposeOptions): Promise<LogManager> {
  const container = await composeByName(options);
  return container.get<LogManager>(TOKENS.LogManager);
}
