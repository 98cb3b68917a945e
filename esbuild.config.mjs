// Bundles the FunctionGraph function and the CLI. Every setting is explicit: FunctionGraph's
// Node.js 20 runtime loads `index.js` from the zip root with no node_modules beside it, so every
// dependency is bundled into one CommonJS file.
import { build } from 'esbuild';

const shared = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  // Error class names appear in logs (`err.type`); minified names would say nothing.
  keepNames: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  // Dependencies that are never reached at run time but that esbuild would otherwise follow.
  external: [],
};

await Promise.all([
  build({
    ...shared,
    entryPoints: ['functions/connection-monitor/index.ts'],
    outfile: 'dist/connection-monitor/index.js',
  }),
  build({
    ...shared,
    entryPoints: ['lib/cli/index.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
  }),
]);
