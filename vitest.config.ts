import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // child processes (CLI, crash writers, real clients) start slowly on a loaded 2-core machine;
    // these are hang guards, not speed targets
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // two cores: more workers only add contention to the crash and fsync tests
    maxWorkers: 2,
  },
});
