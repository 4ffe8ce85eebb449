/**
 * inversify tokens. Every injection names its token explicitly with @inject(TOKENS.X): tsup/esbuild
 * emits no decorator metadata, so autowiring by type cannot work (and explicit is easier to read).
 */
export const TOKENS = Object.freeze({
  /** The StorageEngine segment files are opened with. */
  StorageEngine: Symbol.for('strata.StorageEngine'),
  /** The CodecRegistry. */
  Codecs: Symbol.for('strata.Codecs'),
  /** The Cache between reads and segment files. */
  Cache: Symbol.for('strata.Cache'),
  /** The Transfer from segment files to sockets. */
  Transfer: Symbol.for('strata.Transfer'),
  /** The default LogConfig for logs the LogManager opens. */
  LogConfig: Symbol.for('strata.LogConfig'),
  /** The Logger. */
  Logger: Symbol.for('strata.Logger'),
  /** The data directory (string) the LogManager owns. */
  DataDir: Symbol.for('strata.DataDir'),
  /** The LogManagerConfig (log.flush.offset.checkpoint.interval.ms, log.retention.check.interval.ms). */
  LogManagerConfig: Symbol.for('strata.LogManagerConfig'),
  /** The LogManager. */
  LogManager: Symbol.for('strata.LogManager'),
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
