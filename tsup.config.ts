import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['index.ts', 'conformance.ts', 'cli/main.ts'],
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
