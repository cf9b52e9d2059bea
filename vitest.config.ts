import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Lab tests create network namespaces; running files one after another keeps
    // them from competing for the 2 cores and for namespace names.
    fileParallelism: false,
    reporters: ['default', './test/helpers/skip-reporter.ts'],
  },
});
