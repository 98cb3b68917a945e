// Bundles the FunctionGraph function and the CLI. Every setting is explicit: FunctionGraph's
// Node.js 20 runtime loads `index.js` from the zip root with no node_modules beside it, so every
// dependency is bundled into one CommonJS file.
import { chmod } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Modules our dependencies require at load time but that never run in this project. Each is
 * replaced by a stub that throws if it is ever used, so a dependency that starts using one fails
 * loudly in the tests rather than quietly. With the lodash trim below they were ~45 ms of every
 * cold start and a quarter of the bundle (see `npm run bench`).
 */
const NEVER_USED = {
  // esdk-obs-nodejs loads log4js at the top of lib/log.js, but only its `initLog()` configures it,
  // and ObsStore never calls that: the SDK's logging stays off.
  log4js: { importer: /esdk-obs-nodejs/, why: "esdk-obs-nodejs logging is never enabled (ObsStore does not call initLog)" },
  // pino loads thread-stream for transports; this project writes with pino.destination only.
  'thread-stream': { importer: /pino/, why: 'pino transports are not used (see lib/log.ts)' },
};

// The SDK core's AKSKSigner uses lodash for `_.sortBy` alone; lodash's own sortBy module is the
// same code, without the rest of the library (56 KiB of the minified bundle).
const LODASH_SORT_BY_ONLY = "module.exports = { sortBy: require('lodash/sortBy') };";

const trimDependencies = {
  name: 'trim-dependencies',
  setup(build) {
    build.onResolve({ filter: /^(log4js|thread-stream)$/ }, (args) => {
      const stub = NEVER_USED[args.path];
      if (!stub.importer.test(args.importer)) return undefined;
      return { path: args.path, namespace: 'never-used', pluginData: stub.why };
    });
    build.onLoad({ filter: /.*/, namespace: 'never-used' }, (args) => ({
      contents: `const fail = () => { throw new Error(${JSON.stringify(`${args.path} is not bundled: ${args.pluginData}`)}); };
module.exports = new Proxy(fail, { get: fail, apply: fail, construct: fail });`,
      loader: 'js',
    }));
    build.onResolve({ filter: /^lodash$/ }, (args) =>
      /huaweicloud-sdk-core[\\/]auth[\\/]AKSKSigner/.test(args.importer) ? { path: 'lodash', namespace: 'lodash-sort-by' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'lodash-sort-by' }, () => ({
      contents: LODASH_SORT_BY_ONLY,
      loader: 'js',
      resolveDir: fileURLToPath(new URL('.', import.meta.url)),
    }));
  },
};

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
  plugins: [trimDependencies],
};

await Promise.all([
  build({
    ...shared,
    entryPoints: ['functions/connection-monitor/index.ts'],
    outfile: 'dist/connection-monitor/index.js',
  }),
  // The package's `vpcep-monitor` bin: a shebang, and executable (esbuild writes 0644), so
  // `./dist/cli.js` runs as it is.
  build({
    ...shared,
    entryPoints: ['lib/cli/index.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
  }).then(() => chmod('dist/cli.js', 0o755)),
  // `npm run bench`: races the built function bundle against the floor and a naive peer.
  build({
    ...shared,
    entryPoints: ['bench/bench.ts'],
    outfile: 'dist/bench.js',
  }),
  // `npm run bench:report`: the report command on a trail of 100,000 records. playwright-core
  // (a dev dependency) locates its own files at run time, so it is loaded from node_modules.
  build({
    ...shared,
    entryPoints: ['bench/report-bench.ts'],
    outfile: 'dist/report-bench.js',
    external: ['playwright-core'],
  }),
]);
