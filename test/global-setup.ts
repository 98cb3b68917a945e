import { execFileSync } from 'node:child_process';

// End-to-end tests exercise the built bundle the way FunctionGraph loads it, so build it once
// before any test file runs rather than trusting whatever dist/ a previous run left behind.
export default function setup(): void {
  execFileSync(process.execPath, ['esbuild.config.mjs'], { stdio: 'inherit' });
}
