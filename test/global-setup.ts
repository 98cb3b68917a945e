import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

// End-to-end tests exercise the built bundle the way FunctionGraph loads it, so build it once
// before any test file runs rather than trusting whatever dist/ a previous run left behind. The
// old outputs go first: a rebuild keeps an existing file's mode, and the CLI test checks the mode
// a fresh clone gets.
export default function setup(): void {
  for (const output of ['dist/cli.js', 'dist/bench.js', 'dist/connection-monitor/index.js']) rmSync(output, { force: true });
  execFileSync(process.execPath, ['esbuild.config.mjs'], { stdio: 'inherit' });
}
