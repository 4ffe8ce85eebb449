/** The engine conformance suite, for third-party engines: `runConformance(engine)` in a vitest file. */
export * from './test/conformance/suite.js';
