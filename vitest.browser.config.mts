import { defineConfig } from 'vitest/config';

// `npm run test:browser`: the report in headless Chromium. Kept out of `npm test`, which must pass
// on a clone without a browser; `.ci/run` installs Debian's chromium and runs this too.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/global-setup.ts'],
  },
});
