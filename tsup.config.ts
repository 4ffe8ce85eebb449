import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'index.ts',
    conformance: 'conformance.ts',
    'cli/main': 'cli/main.ts',
    // the conformance suite's crash and native tests run these in child processes; built so that a third-party
    // engine running the suite from dist/ needs no TypeScript loader
    'conformance-crash-writer': 'test/conformance/crash-writer.ts',
    'conformance-native-probe': 'test/conformance/native-probe.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { entry: ['index.ts', 'conformance.ts'] },
  sourcemap: true,
  clean: true,
  splitting: true,
  // native addons and codec libraries stay external: they load their own .node binaries
  external: [/\.node$/, 'kafkajs', 'vitest'],
});
