// Packs the esbuild bundle into the zip FunctionGraph deploys (`npm run package` builds first).
//
// The zip must be byte-for-byte reproducible: Terraform passes it as `func_code =
// filebase64(...)`, so any byte that changes without the code changing (a timestamp, the order of
// entries, the umask of whoever built it) shows up as a code update in every plan. Everything
// that could vary is therefore fixed: entry order, modification time, permissions, host OS field
// and compression level. fflate's deflate is plain JavaScript, so the same input gives the same
// output on every machine and Node version, which zlib bindings do not promise.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLE_DIR = join(ROOT, 'dist', 'connection-monitor');
// `--out <file>` writes elsewhere (tests use it so parallel runs never share one file); the
// default is what the Terraform examples deploy.
const args = process.argv.slice(2);
if (args.length !== 0 && (args.length !== 2 || args[0] !== '--out')) {
  console.error('usage: node scripts/package.mjs [--out <file.zip>]');
  process.exit(2);
}
const ZIP_PATH = args.length === 2 ? resolve(args[1]) : join(ROOT, 'dist', 'connection-monitor.zip');

/** Well under FunctionGraph's upload limits; a bundle this large means something got in by mistake. */
const MAX_ZIP_BYTES = 1.5 * 1024 * 1024;

// The DOS date format in zip headers starts at 1980; fflate reads the Date's local fields, so
// building it from local components gives the same header bytes in every time zone.
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);
// Unix host (3) so the permission bits below are honoured: a regular file, rw-r--r--. The
// runtime only needs to read the files; nothing in the package is executable.
const UNIX = 3;
const REGULAR_FILE_0644 = (0o100644 << 16) >>> 0;
const DEFLATE_LEVEL = 9;

/**
 * Zipped in this order. `index.js` is the handler module (`index.handler`) and must sit at the zip
 * root; the source map ships only when the build wrote one.
 */
const ENTRIES = [
  { name: 'index.js', required: true },
  { name: 'index.js.map', required: false },
];

function fail(message) {
  // A stale zip from an earlier run must not be mistaken for this build's output and deployed.
  rmSync(ZIP_PATH, { force: true });
  console.error(`package: ${message}`);
  process.exit(1);
}

const files = {};
for (const entry of ENTRIES) {
  const source = join(BUNDLE_DIR, entry.name);
  if (!existsSync(source)) {
    if (entry.required) {
      fail(`${relative(ROOT, source)} is missing; run \`npm run build\` first (or use \`npm run package\`, which builds)`);
    }
    continue;
  }
  files[entry.name] = [
    new Uint8Array(readFileSync(source)),
    { level: DEFLATE_LEVEL, mtime: FIXED_MTIME, os: UNIX, attrs: REGULAR_FILE_0644 },
  ];
}

const zip = zipSync(files);
if (zip.byteLength > MAX_ZIP_BYTES) {
  fail(
    `the zip would be ${zip.byteLength} bytes, over the ${MAX_ZIP_BYTES}-byte (1.5 MiB) limit; ` +
      'check the bundle for dependencies that should not be there',
  );
}

mkdirSync(dirname(ZIP_PATH), { recursive: true });
writeFileSync(ZIP_PATH, zip);
const sha256 = createHash('sha256').update(zip).digest('hex');
const shown = ZIP_PATH.startsWith(ROOT + sep) ? relative(ROOT, ZIP_PATH) : ZIP_PATH;
console.log(`${shown} ${zip.byteLength} bytes sha256 ${sha256}`);
