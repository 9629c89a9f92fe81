// The reliability and security suite (test/reliability): faults, crashes, races and bad input against
// DynamoDB Local and the loopback LaunchDarkly server. Run by `npm run test:reliability`, after `npm test`
// in CI. It reuses the main suite's global set-up (one DynamoDB Local for the run) and prints a table of
// what was injected and checked (test/reliability/support/table-reporter.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['./test/support/global-setup.ts'],
    include: ['test/reliability/**/*.test.ts'],
    reporters: ['default', './test/reliability/support/table-reporter.ts'],
    // Whole-table syncs of 10,500 items under injected faults take tens of seconds on two cores.
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores and one DynamoDB Local: more files at once only makes each slower.
    maxWorkers: 2,
  },
});
