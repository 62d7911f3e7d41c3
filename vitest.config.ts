import { defineConfig } from 'vitest/config';

// Every process that creates isolates needs --no-node-snapshot (isolated-vm on Node 22+),
// so tests run in forked workers with that flag. Two cores: keep parallelism modest.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/fixtures/**', 'node_modules/**'],
    pool: 'forks',
    execArgv: ['--no-node-snapshot'],
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default', './tests/support/summaryReporter.ts'],
  },
});
