import { describe, expect, it } from 'vitest';
import { AUDIT_PART_RECORDS, type AuditRecord, auditRecords, writeAudit } from '../../lib/monitor/audit.js';
import { auditKey } from '../../lib/monitor/keys.js';
import { diffConnections, toRecords } from '../../lib/monitor/diff.js';
import { connection, FakeObjects } from '../fakes.js';

const service = { id: 'svc', name: 'payments' };

describe('auditRecords', () => {
  it('records added, removed and status changes with the alert event id', () => {
    const before = toRecords([connection('a', 'accepted'), connection('gone', 'accepted', { domainId: 'dg' })]);
    const changes = diffConnections(before, [connection('a', 'failed'), connection('new', 'pendingAcceptance')]);
    const records = [...auditRecords(service, changes, { at: 'T', runId: 'r', alertedIds: new Set() })];
    expect(records.map((r) => [r.connectionId, r.change, r.from, r.to])).toEqual([
      ['a', 'status', 'accepted', 'failed'],
      ['new', 'added', null, 'pendingAcceptance'],
      ['gone', 'removed', 'accepted', null],
    ]);
    expect(records[2]).toMatchObject({ domainId: 'dg', at: 'T', runId: 'r', serviceName: 'payments', alerted: false });
  });
});

describe('writeAudit', () => {
  const record = (n: number): AuditRecord => ({ at: 'T', runId: 'r', serviceId: 's', serviceName: 'n', connectionId: `c${n}`, domainId: 'd', change: 'added', from: null, to: 'accepted', eventId: `e${n}`, alerted: false });
  const key = auditKey('p/', new Date('2026-11-25T10:00:00Z'), 'run-1');

  it('writes one JSON Lines object per run under the day prefix', async () => {
    const objects = new FakeObjects();
    expect(await writeAudit(objects, key, [record(1), record(2)])).toEqual({ key, parts: 1 });
    expect(key).toMatch(/^p\/audit\/2026\/11\/25\/20261125T100000000Z-run-1\.jsonl$/);
    expect(objects.objects.get(key)!.trim().split('\n').map((line) => JSON.parse(line).connectionId)).toEqual(['c1', 'c2']);
  });

  it('writes nothing for a run without changes', async () => {
    const objects = new FakeObjects();
    expect(await writeAudit(objects, key, [])).toBeUndefined();
    expect(objects.puts).toEqual([]);
  });

  it('splits a very large run into parts that sort in order after the first', async () => {
    const objects = new FakeObjects();
    const n = AUDIT_PART_RECORDS * 2 + 5;
    expect(await writeAudit(objects, key, Array.from({ length: n }, (_, i) => record(i)))).toEqual({ key, parts: 3 });
    expect(objects.puts).toEqual([key, key.replace('.jsonl', '~0002.jsonl'), key.replace('.jsonl', '~0003.jsonl')]);
    expect([...objects.puts].sort()).toEqual(objects.puts);
    const all = objects.puts.flatMap((k) => objects.objects.get(k)!.trim().split('\n'));
    expect(all).toHaveLength(n);
    expect(JSON.parse(all.at(-1)!).connectionId).toBe(`c${n - 1}`);
  });
});
