/**
 * inversify composition: the pieces a process plugs together (engine, codecs, cache, transfer,
 * config, logger, data dir), bound to explicit tokens, and the LogManager built from them.
 */
import 'reflect-metadata';
import { Container } from 'inversify';
import { noneCache, type Cache } from './cache.js';
import { CodecRegistry, noneCodec, type Codec } from './codec.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from './config/log-config.js';
import type { StorageEngine } from './engine.js';
import { DEFAULT_LOG_MANAGER_CONFIG, LogManager, type LogManagerConfig } from './log/log-manager.js';
import { TOKENS, stderrLogger, type Logger } from './tokens.js';
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
}

export function createContainer(options: ContainerOptions): Container {
  const container = new Container();
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
