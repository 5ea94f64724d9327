import { defineConfig } from 'vitest/config';

// Integration tests start real ovsdb-server/ovs-vswitchd per file; on a 2-core
// machine two files at a time keeps them from starving each other.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-leak-check.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
