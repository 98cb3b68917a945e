/** The README is part of the interface: keep its tables true to the code. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../lib/config.js';

const readme = readFileSync('README.md', 'utf8');
const section = (title: string): string => {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, `README has a "## ${title}" section`).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 4);
  return readme.slice(start, end === -1 ? undefined : end);
};
const tableRows = (text: string): string[] => text.split('\n').filter((line) => /^\| [^-]/.test(line)).slice(1);

describe('README', () => {
  it('documents every setting, and no setting the code does not read', () => {
    const rows = tableRows(section('Configuration'));
    const documented = rows.map((row) => /^\| `([A-Z_]+)`/.exec(row)?.[1]);
    expect(documented).toEqual(SETTINGS.map((setting) => setting.name));
    for (const setting of SETTINGS) {
      const row = rows.find((r) => r.startsWith(`| \`${setting.name}\``))!;
      expect(row.replace(/`/g, ''), setting.name).toContain(setting.default.replace(/`/g, '').split(',')[0]!.slice(0, 20));
    }
  });

  it('has a fault table of at least 15 faults, each naming the test that proves it', () => {
    const rows = tableRows(section('Faults and what the monitor does'));
    expect(rows.length).toBeGreaterThanOrEqual(15);
    for (const row of rows) expect(row.split('|').length, row).toBe(6);
  });

  it('keeps the two quick-start commands', () => {
    expect(section('Quick start')).toContain('npm ci && npm start');
    expect(section('Quick start')).toContain('npm ci && npm test');
  });
});
