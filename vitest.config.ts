import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code (x.test.ts); contract suites run from adapters/*; end-to-end
// tests in test/ start real processes on free loopback ports, so they get longer timeouts.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.strato/**', 'cdk.out/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time, whatever the core count: most end-to-end files spend their time waiting
    // on child processes and sockets, so two overlap well even on 2 cores (vitest's default there
    // is one). Measured on 2 cores: ~4 min 20 s → ~3 min for the vitest part; green with a second
    // copy of the suite running beside it.
    maxWorkers: 2,
    // AWS emulators (fauxqs, DynamoDB Local, SES) start once per run; tests get endpoints by inject().
    globalSetup: ['./test/support/global-emulators.ts'],
    reporters: ['default', './test/support/plain-summary-reporter.ts'],
  },
});
