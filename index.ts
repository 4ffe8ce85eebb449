/** strata's public API: the core log and format, the pluggable interfaces and the built-ins. */
export * from './core/index.js';
export * from './engines/index.js';
export * from './engines/compose.js';
export { builtinCodecs } from './codecs/index.js';
