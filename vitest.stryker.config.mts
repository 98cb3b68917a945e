import { defineConfig } from 'vitest/config';

/**
 * The tests StrykerJS runs against each mutant (see stryker.config.mjs). Only tests that import the
 * sources can notice a mutant in them, so these are left out:
 * - tests of the built bundle or dist/cli.js (test/e2e via harness.ts, test/cli/cli.test.ts and
 *   demo.test.ts, emulator-command, report-command, test/deploy/package, function-graph and
 *   terraform.test.ts, the bench smoke test): Stryker mutates the sources, not dist/, which it
 *   does not rebuild, so they would run the unmutated code;
 * - test/e2e/messages-policy.test.ts: it does run the sources, through the real adapters against
 *   the local cloud, but it reaches nearly every mutant of the core and takes seconds a mutant;
 *   the unit tests must kill those mutants on their own;
 * - test/architecture.test.ts: it reads the source text, which Stryker's instrumentation rewrites.
 */
export default defineConfig({
  test: {
    include: [
      'test/unit/**/*.test.ts',
      'test/huaweicloud/**/*.test.ts',
      'test/emulator/**/*.test.ts',
      'test/report/**/*.test.ts',
      'test/cli/command.test.ts',
      'test/deploy/terraform-alarms.test.ts',
      'test/deploy/terraform-inputs.test.ts',
    ],
    exclude: ['test/emulator/emulator-command.test.ts', 'test/report/report-command.test.ts'],
    // Stryker switches mutants at run time and leaves out the static ones, so a fresh module graph
    // per run buys nothing and costs most of each mutant's time.
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
