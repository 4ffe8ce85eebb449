/** strata's public API: the core log and format, the pluggable interfaces and the built-ins. */
export * from './core/index.js';
