import { describe, expect, it } from 'vitest';
import { auditDayPrefix, auditKey, auditKeyTime, auditPartKey, auditRoot, deadLetterDayPrefix, deadLetterKey, deadLetterRoot, foreignStateNoticeKey, isDeliveredAuditKey, leaseKey, quarantineKey, stateKey, statePrefixOf } from '../../lib/monitor/keys.js';

const at = new Date('2026-11-25T12:00:00.123Z');

describe('the bucket layout', () => {
  it('puts every object under the prefix, where the README and the IAM policy expect it', () => {
    expect(stateKey('prod/')).toBe('prod/state.json');
    expect(leaseKey('prod/')).toBe('prod/lease.json');
    expect(auditKey('prod/', at, 'run-1')).toBe('prod/audit/2026/11/25/20261125T120000123Z-run-1.jsonl');
    expect(quarantineKey('prod/', at)).toBe('prod/quarantine/state-2026-11-25T12-00-00-123Z.json');
    expect(deadLetterKey('prod/', at, 'run-1')).toBe('prod/dead-letter/2026/11/25/20261125T120000123Z-run-1.jsonl');
    expect(deadLetterRoot('prod/')).toBe('prod/dead-letter/');
  });

  it('works with an empty prefix (the bucket root)', () => {
    expect(stateKey('')).toBe('state.json');
    expect(auditDayPrefix('', at)).toBe('audit/2026/11/25/');
  });

  it('files a run under its UTC day, whatever the offset it was written with', () => {
    const lateEvening = new Date('2026-11-25T23:30:00-05:00');
    expect(auditDayPrefix('p/', lateEvening)).toBe('p/audit/2026/11/26/');
    expect(deadLetterDayPrefix('p/', lateEvening)).toBe('p/dead-letter/2026/11/26/');
    expect(auditKey('p/', lateEvening, 'r').startsWith(auditDayPrefix('p/', lateEvening))).toBe(true);
    expect(deadLetterKey('p/', lateEvening, 'r').startsWith(deadLetterDayPrefix('p/', lateEvening))).toBe(true);
  });

  it('sorts a run’s audit parts right after its first object and before the next run', () => {
    const first = auditKey('p/', at, 'run-1');
    const part2 = auditPartKey(first, 2);
    const part10 = auditPartKey(first, 10);
    const nextRun = auditKey('p/', new Date(at.getTime() + 1), 'run-0');
    expect(auditPartKey(first, 1)).toBe(first);
    expect(part2).toBe('p/audit/2026/11/25/20261125T120000123Z-run-1~0002.jsonl');
    expect(part10).toBe('p/audit/2026/11/25/20261125T120000123Z-run-1~0010.jsonl');
    const written = [nextRun, part10, first, part2];
    expect([...written].sort()).toEqual([first, part2, part10, nextRun]);
    // Only the key's own ending is numbered, whatever the prefix holds.
    expect(auditPartKey(auditKey('logs.jsonl/', at, 'run-1'), 2)).toBe('logs.jsonl/audit/2026/11/25/20261125T120000123Z-run-1~0002.jsonl');
  });

  it('sorts runs by time within a day, to the millisecond', () => {
    const keys = ['2026-11-25T00:00:00.000Z', '2026-11-25T09:59:59.999Z', '2026-11-25T10:00:00.000Z', '2026-11-25T23:59:59.999Z'].map((time) => auditKey('p/', new Date(time), 'z'));
    expect([...keys].reverse().sort()).toEqual(keys);
  });

  it('cleans a run id to characters every tool handles, and bounds it', () => {
    expect(auditKey('p/', at, '../a b/c:d*é')).toBe('p/audit/2026/11/25/20261125T120000123Z-___a_b_c_d__.jsonl');
    expect(deadLetterKey('p/', at, 'x'.repeat(200))).toBe(`p/dead-letter/2026/11/25/20261125T120000123Z-${'x'.repeat(80)}.jsonl`);
    // Two runs in the same millisecond still write two objects.
    expect(auditKey('p/', at, 'run-a')).not.toBe(auditKey('p/', at, 'run-b'));
  });

  it('names the objects written after SMN answered by their kind, whatever the length of the run id', () => {
    const long = 'x'.repeat(200);
    expect(auditKey('p/', at, 'run-1', 'delivered')).toBe('p/audit/2026/11/25/20261125T120000123Z-run-1.delivered.jsonl');
    expect(isDeliveredAuditKey(auditKey('p/', at, long, 'delivered'))).toBe(true);
    expect(isDeliveredAuditKey(auditPartKey(auditKey('p/', at, 'r', 'delivered'), 2))).toBe(true);
    expect(isDeliveredAuditKey(auditKey('p/', at, long, 'dead-letter'))).toBe(false);
    expect(isDeliveredAuditKey(auditKey('p/', at, 'run-delivered-x'))).toBe(false);
    // Only the key's own ending counts, not a `.delivered.jsonl` somewhere in the prefix.
    expect(isDeliveredAuditKey(auditKey('x.delivered.jsonl/', at, 'r'))).toBe(false);
  });

  it('names the foreign-state notice of a monitor by the first 16 hex digits of its owner digest', () => {
    expect(foreignStateNoticeKey('prod/', '0123456789abcdef0123456789abcdef')).toBe('prod/notices/foreign-state-0123456789abcdef.json');
    // Only hex digits reach the key, whatever the digest holds.
    expect(foreignStateNoticeKey('', '../AB:01ef')).toBe('notices/foreign-state-01ef.json');
  });
});

describe('statePrefixOf', () => {
  it('reads back the prefix of a state key, the bucket root included', () => {
    expect(statePrefixOf(stateKey('prod/'))).toBe('prod/');
    expect(statePrefixOf(stateKey('a/b/'))).toBe('a/b/');
    expect(statePrefixOf(stateKey(''))).toBe('');
  });

  it('answers undefined for a key that is not a state object', () => {
    expect(statePrefixOf('prod/lease.json')).toBeUndefined();
    expect(statePrefixOf('state.json/lease.json')).toBeUndefined();
    expect(statePrefixOf(quarantineKey('prod/', at))).toBeUndefined();
    expect(statePrefixOf('prod/mystate.json')).toBeUndefined();
    expect(statePrefixOf('mystate.json')).toBeUndefined();
  });
});

describe('auditKeyTime', () => {
  it('reads back the start of the run that wrote an audit object, its parts included', () => {
    const at = new Date('2026-11-25T12:00:00.123Z');
    const key = auditKey('prod/', at, 'run-1');
    expect(key.startsWith(auditRoot('prod/'))).toBe(true);
    expect(auditKeyTime(key)).toEqual(at);
    expect(auditKeyTime(auditPartKey(key, 2))).toEqual(at);
    expect(auditKeyTime('prod/state.json')).toBeUndefined();
  });
});
