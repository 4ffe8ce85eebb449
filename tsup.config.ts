import { defineConfig, type Options } from 'tsup';

const common: Options = {
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  // native addons and codec libraries stay external: they load their own .node binaries
  external: [/\.node$/, 'kafkajs', 'vitest'],
};

export default defineConfig([
  {
    ...common,
    entry: {
      index: 'index.ts',
      conformance: 'conformance.ts',
      'cli/main': 'cli/main.ts',
      // the conformance suite's crash and native tests run these in child processes; built so that a third-party
      // engine running the suite from dist/ needs no TypeScript loader
      'conformance-crash-writer': 'test/conformance/crash-writer.ts',
      'conformance-native-probe': 'test/conformance/native-probe.ts',
    },
    // one declaration file per entry, each whole, built on its own below: declarations shared in a
    // chunk lose whether a name is a type or a value when `format` re-exports them as a namespace
    // (`declare const X: typeof X` for an interface: TS2693 in a user's tsc with skipLibCheck off)
    dts: false,
    sourcemap: true,
    clean: true,
    splitting: true,
  },
  ...['index', 'conformance'].map((name): Options => ({ ...common, entry: { [name]: `${name}.ts` }, dts: { only: true } })),
]);
