/**
 * scripts/package.mjs on the real build (test/global-setup.ts builds it): the zip Terraform
 * deploys must be reproducible, loadable by FunctionGraph and small.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/package.mjs');
const BUNDLE_DIR = join(ROOT, 'dist/connection-monitor');
const MAX_ZIP_BYTES = 1.5 * 1024 * 1024;

const scratch = mkdtempSync(join(tmpdir(), 'package-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the packager into a file of its own, so parallel test files never share an output. */
function pack(out: string): { zip: Buffer; stdout: string } {
  const stdout = execFileSync(process.execPath, [SCRIPT, '--out', out], { cwd: ROOT, encoding: 'utf8' });
  return { zip: readFileSync(out), stdout };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('package.mjs on the real build', () => {
  let first: { zip: Buffer; stdout: string };
  let second: { zip: Buffer; stdout: string };

  beforeAll(() => {
    expect(existsSync(join(BUNDLE_DIR, 'index.js')), 'the global setup builds dist/connection-monitor/index.js').toBe(true);
    first = pack(join(scratch, 'first.zip'));
    second = pack(join(scratch, 'second.zip'));
  });

  it('is byte-for-byte reproducible, and prints the path, size and sha256 it wrote', () => {
    expect(sha256(second.zip)).toBe(sha256(first.zip));
    expect(first.stdout.trim()).toBe(`${join(scratch, 'first.zip')} ${first.zip.byteLength} bytes sha256 ${sha256(first.zip)}`);
  });

  it('puts index.js at the root, identical to the bundle', () => {
    const entries = unzipSync(new Uint8Array(first.zip));
    const expected = ['index.js', ...(existsSync(join(BUNDLE_DIR, 'index.js.map')) ? ['index.js.map'] : [])];
    expect(Object.keys(entries)).toEqual(expected);
    expect(Buffer.from(entries['index.js']!).equals(readFileSync(join(BUNDLE_DIR, 'index.js')))).toBe(true);
  });

  it('loads from the unzipped files alone, with no node_modules to fall back on', () => {
    // The bundle may keep optional require()s inside try/catch (debug's supports-color), so a
    // static scan for require() says little; loading it where nothing else is installed does.
    const dir = mkdtempSync(join(tmpdir(), 'package-load-'));
    try {
      for (const [name, bytes] of Object.entries(unzipSync(new Uint8Array(first.zip)))) writeFileSync(join(dir, name), bytes);
      const result = spawnSync(process.execPath, ['-e', "process.stdout.write(typeof require('./index.js').handler)"], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '' },
        encoding: 'utf8',
      });
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe('function');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stays within 1.5 MiB', () => {
    expect(first.zip.byteLength).toBeLessThanOrEqual(MAX_ZIP_BYTES);
  });
});

describe('package.mjs failures', () => {
  /** A copy of the project layout around the script, with its own dist/, sharing node_modules. */
  function fakeProject(bundle: Buffer | undefined): string {
    const dir = mkdtempSync(join(scratch, 'project-'));
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(SCRIPT, join(dir, 'scripts/package.mjs'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    mkdirSync(join(dir, 'dist/connection-monitor'), { recursive: true });
    if (bundle) writeFileSync(join(dir, 'dist/connection-monitor/index.js'), bundle);
    // A zip left by an earlier run must not survive a failed one.
    writeFileSync(join(dir, 'dist/connection-monitor.zip'), 'stale');
    return dir;
  }

  function run(dir: string) {
    return spawnSync(process.execPath, [join(dir, 'scripts/package.mjs')], { cwd: dir, encoding: 'utf8' });
  }

  it('names the missing bundle and how to build it', () => {
    const dir = fakeProject(undefined);
    const result = run(dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('dist/connection-monitor/index.js is missing');
    expect(result.stderr).toContain('npm run build');
    expect(existsSync(join(dir, 'dist/connection-monitor.zip'))).toBe(false);
  });

  it('refuses a zip over 1.5 MiB', () => {
    // Random bytes do not compress, so the zip is at least as large as the input.
    const dir = fakeProject(randomBytes(MAX_ZIP_BYTES + 1024));
    const result = run(dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/over the 1572864-byte \(1\.5 MiB\) limit/);
    expect(existsSync(join(dir, 'dist/connection-monitor.zip'))).toBe(false);
  });
});
