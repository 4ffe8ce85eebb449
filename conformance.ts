/**
 * The conformance suites, for third-party plug-ins: `await runConformance({ engine })`,
 * `await runTransferConformance({ transfer })` or `await runCacheConformance({ cache: () => c })`
 * in a test file. Each takes the test functions it needs (`test: { test, describe }`, any runner
 * whose test awaits a promise); without them it uses vitest's, and vitest must then be installed
 * (an optional peer dependency). See test/conformance/suite.ts, transfer-suite.ts, cache-suite.ts.
 */
export * from './test/conformance/suite.js';
export { runTransferConformance, TRANSFER_MODULES, type TransferConformanceOptions } from './test/conformance/transfer-suite.js';
export { runCacheConformance, CACHE_MODULES, type CacheConformanceOptions } from './test/conformance/cache-suite.js';
