/**
 * inversify composition. The root container of a process holds the ComponentRegistry
 * (TOKENS.Registry, core/registry.ts: every engine, transfer, cache and codec by name; why a
 * registry object rather than one named binding per component is said there). A composition is a
 * child of it: the pieces a process plugs together (engine, codecs, cache, transfer, config,
 * logger, data dir), bound to explicit tokens, and the LogManager built from them; asking a
 * composition for TOKENS.Registry reaches the root's, so whatever it was built from can resolve
 * more by name from the same registry.
 */
import 'reflect-metadata';
import { Container } from 'inversify';
import { noneCache, type Cache } from './cache.js';
import { CodecRegistry, noneCodec, type Codec } from './codec.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from './config/log-config.js';
import type { StorageEngine } from './engine.js';
import { DEFAULT_LOG_MANAGER_CONFIG, LogManager, type LogManagerConfig } from './log/log-manager.js';
import { ComponentRegistry } from './registry.js';
import { TOKENS, stderrLogger, type Logger, type Token } from './tokens.js';
import type { Transfer } from './transfer.js';

export interface ContainerOptions {
  dataDir: string;
  engine: StorageEngine;
  codecs?: readonly Codec[];
  cache?: Cache;
  transfer?: Transfer;
  config?: LogConfig;
  logger?: Logger;
  managerConfig?: LogManagerConfig;
  /** The root container (createRegistryContainer) this composition's names were resolved from. */
  parent?: Container;
}

/** A process's root container: the registry, bound once under TOKENS.Registry. */
export function createRegistryContainer(registry: ComponentRegistry = new ComponentRegistry()): Container {
  const root = new Container();
  root.bind(TOKENS.Registry).toConstantValue(registry);
  return root;
}

/** What a container binds to `token`, typed by the token: `resolveToken(c, TOKENS.LogManager)` is a LogManager. */
export function resolveToken<T>(container: Container, token: Token<T>): T {
  return container.get<T>(token);
}

/** The registry a container (a root, or a composition under one) resolves names from. */
export function registryOf(container: Container): ComponentRegistry {
  return resolveToken(container, TOKENS.Registry);
}

export function createContainer(options: ContainerOptions): Container {
  const container = new Container({ parent: options.parent ?? createRegistryContainer() });
  container.bind(TOKENS.DataDir).toConstantValue(options.dataDir);
  container.bind(TOKENS.StorageEngine).toConstantValue(options.engine);
  container.bind(TOKENS.Codecs).toConstantValue(new CodecRegistry(options.codecs ?? [noneCodec]));
  container.bind(TOKENS.Cache).toConstantValue(options.cache ?? noneCache);
  if (options.transfer) container.bind(TOKENS.Transfer).toConstantValue(options.transfer);
  container.bind(TOKENS.LogConfig).toConstantValue(options.config ?? DEFAULT_LOG_CONFIG);
  container.bind(TOKENS.Logger).toConstantValue(options.logger ?? stderrLogger);
  container.bind(TOKENS.LogManagerConfig).toConstantValue(options.managerConfig ?? DEFAULT_LOG_MANAGER_CONFIG);
  container.bind(TOKENS.LogManager).to(LogManager).inSingletonScope();
  return container;
}
