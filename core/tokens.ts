/**
 * inversify tokens. Every injection names its token explicitly with @inject(TOKENS.X): tsup/esbuild
 * emits no decorator metadata, so autowiring by type cannot work (and explicit is easier to read).
 * Each token carries the type bound to it (`Token<T>`), so `resolveToken(container, TOKENS.LogManager)`
 * is a LogManager under `tsc --strict`; inversify's own `container.get(symbol)` cannot know that and
 * gives `unknown`.
 */
import type { Cache } from './cache.js';
import type { CodecRegistry } from './codec.js';
import type { LogConfig } from './config/log-config.js';
import type { StorageEngine } from './engine.js';
import type { LogManager, LogManagerConfig } from './log/log-manager.js';
import type { ComponentRegistry } from './registry.js';
import type { Transfer } from './transfer.js';

declare const boundType: unique symbol;
/** An inversify service identifier (a symbol) that names the type bound to it. */
export type Token<T> = symbol & { readonly [boundType]?: T };

const token = <T>(name: string): Token<T> => Symbol.for(`strata.${name}`) as Token<T>;

export const TOKENS = Object.freeze({
  /** The ComponentRegistry (core/registry.ts): every engine, transfer, cache and codec by name. */
  Registry: token<ComponentRegistry>('Registry'),
  /** The StorageEngine segment files are opened with. */
  StorageEngine: token<StorageEngine>('StorageEngine'),
  /** The CodecRegistry. */
  Codecs: token<CodecRegistry>('Codecs'),
  /** The Cache between reads and segment files. */
  Cache: token<Cache>('Cache'),
  /** The Transfer from segment files to sockets (bound when the composition names one: the broker, `strata send`). */
  Transfer: token<Transfer>('Transfer'),
  /** The default LogConfig for logs the LogManager opens. */
  LogConfig: token<LogConfig>('LogConfig'),
  /** The Logger. */
  Logger: token<Logger>('Logger'),
  /** The data directory (string) the LogManager owns. */
  DataDir: token<string>('DataDir'),
  /** The LogManagerConfig (log.flush.offset.checkpoint.interval.ms, log.retention.check.interval.ms). */
  LogManagerConfig: token<LogManagerConfig>('LogManagerConfig'),
  /** The LogManager. */
  LogManager: token<LogManager>('LogManager'),
});

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Log lines on stderr, prefixed, so stdout stays clean for data (consume, dump). */
export const stderrLogger: Logger = {
  info: (m) => process.stderr.write(`[strata] ${m}\n`),
  warn: (m) => process.stderr.write(`[strata] WARN ${m}\n`),
  error: (m) => process.stderr.write(`[strata] ERROR ${m}\n`),
};

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
