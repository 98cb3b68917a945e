// Mutation testing of the core, the adapters and the config: `npm run mutate`, or
// `npm run mutate -- --mutate lib/monitor/diff.ts` for one file. Not part of .ci/run: a full run
// takes far longer than the rest of CI (docs/development.md has the figures).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.mts' },
  // Each mutant runs only the tests that reached it in the first, instrumented run.
  coverageAnalysis: 'perTest',
  mutate: ['lib/monitor/**/*.ts', 'lib/huaweicloud/**/*.ts', 'lib/config*.ts'],
  // Only the files the tests need go into the sandbox; dist/ is not rebuilt there (see the vitest config).
  ignorePatterns: ['dist', 'reports', 'bench/results', 'coverage', '**/.terraform', '*.log'],
  // A mutant of a module-level value (a table, a pattern) is "static": it needs the whole suite
  // rerun in a fresh process, ~1.5 min each here, 11 % of the mutants and most of the time. Left
  // out; `npm run mutate -- --ignoreStatic false` includes them.
  ignoreStatic: true,
  // A rerun tests only the mutants whose code or covering tests changed since the last run.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // Two workers on a 2-core machine; each runs vitest in a single thread.
  concurrency: 2,
  // Some tests start local HTTP servers: on a loaded machine a mutant's run can be slow without
  // hanging, so allow generously before calling it a timeout.
  timeoutMS: 10_000,
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
