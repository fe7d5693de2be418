import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // This machine's state goes to a temporary home per test file, never to ~ (test/setup-state-home.ts).
    setupFiles: ['test/setup-state-home.ts'],
    // The JSON report lets .ci/run print a one-line summary CI can read.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
