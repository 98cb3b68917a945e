import { describe, expect, it } from 'vitest';
import { terminalJson } from '../../lib/cli/command.js';

describe('terminalJson', () => {
  it('escapes what could steer a terminal, and stays the same JSON', () => {
    const record = { description: 'pay\u202eetnuocca\u202c ok\u0085\u200b\u00ad end', domainId: 'd\u2066x\u2069' };
    const line = terminalJson(record);
    expect(line).not.toMatch(/[\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/);
    expect(line).toContain('\\u202e');
    expect(JSON.parse(line)).toEqual(record);
  });

  it('leaves ordinary text, other scripts included, as JSON.stringify writes it', () => {
    const record = { description: '数据库团队 — "quoted" \\ back', n: 1 };
    expect(terminalJson(record)).toBe(JSON.stringify(record));
  });
});
