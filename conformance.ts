/**
 * The engine conformance suite, for third-party engines: `await runConformance({ engine })` in a
 * test file. It takes the test functions it needs (`test: { test, describe }`, any runner whose
 * test awaits a promise); without them it uses vitest's, and vitest must then be installed (an
 * optional peer dependency). See test/conformance/suite.ts.
 */
export * from './test/conformance/suite.js';
