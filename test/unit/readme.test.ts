/** The README and the docs are part of the interface: keep their tables true to the code. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../lib/config.js';

const read = (path: string): string => readFileSync(path, 'utf8');
const section = (path: string, title: string): string => {
  const text = read(path);
  const start = text.indexOf(`\n## ${title}\n`);
  expect(start, `${path} has a "## ${title}" section`).toBeGreaterThan(-1);
  const end = text.indexOf('\n## ', start + 4);
  return text.slice(start, end === -1 ? undefined : end);
};
const tableRows = (text: string): string[] => text.split('\n').filter((line) => /^\| [^-]/.test(line)).slice(1);
const markdownFiles = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string): string =>
  heading.trim().toLowerCase().replace(/[`*_]/g, '').replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');

describe('README and docs', () => {
  it('documents every setting, and no setting the code does not read', () => {
    const rows = tableRows(read('docs/configuration.md'));
    const documented = rows.map((row) => /^\| `([A-Z_]+)`/.exec(row)?.[1]).filter((name) => name !== undefined);
    expect(documented).toEqual(SETTINGS.map((setting) => setting.name));
    for (const setting of SETTINGS) {
      const row = rows.find((r) => r.startsWith(`| \`${setting.name}\``))!;
      expect(row.replace(/`/g, ''), setting.name).toContain(setting.default.replace(/`/g, '').split(',')[0]!.slice(0, 20));
    }
  });

  it('has a fault table of at least 15 faults, each naming the test that proves it', () => {
    const rows = tableRows(section('docs/guarantees.md', 'Faults and what the monitor does'));
    expect(rows.length).toBeGreaterThanOrEqual(15);
    for (const row of rows) expect(row.split('|').length, row).toBe(6);
  });

  it('keeps the two quick-start commands, on a page a newcomer can read', () => {
    expect(section('README.md', 'Quick start')).toContain('npm ci && npm start');
    expect(section('README.md', 'Quick start')).toContain('npm ci && npm test');
    expect(Buffer.byteLength(read('README.md'))).toBeLessThan(20_000);
  });

  it('links only to files and headings that exist', () => {
    for (const file of markdownFiles) {
      for (const [, target] of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [path, anchor] = target!.split('#') as [string, string | undefined];
        const resolved = path === '' ? file : join(dirname(file), path);
        expect(existsSync(resolved), `${file} links to ${target}`).toBe(true);
        if (anchor === undefined || !resolved.endsWith('.md')) continue;
        const anchors = [...read(resolved).matchAll(/^#{1,6} (.*)$/gm)].map((m) => anchorOf(m[1]!));
        expect(anchors, `${file} links to ${target}`).toContain(anchor);
      }
    }
  });
});
