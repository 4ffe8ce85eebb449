/** strata's public API: the core log and format, the pluggable interfaces and the built-ins. */
export * from './core/index.js';
export * from './engines/index.js';
export * from './engines/compose.js';
export { builtinCodecs } from './codecs/index.js';
export { pwriteEngine } from './engines/pwrite.js';
export { fsyncPerWriteEngine } from './engines/fsync-per-write.js';
export { fsyncGroupEngine } from './engines/fsync-group.js';
export { PwriteSegmentFile } from './engines/pwrite-file.js';
