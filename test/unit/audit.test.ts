import { describe, expect, it } from 'vitest';
import { actionRecord, alertRaised, AUDIT_PART_RECORDS, type AuditRecord, auditRecords, deliveredRecord, eventRecord, writeAudit } from '../../lib/monitor/audit.js';
import { type AlertEvent, eventId } from '../../lib/monitor/alerts.js';
import { auditKey } from '../../lib/monitor/keys.js';
import { diffRecords } from '../../lib/monitor/diff.js';
import { encodeChunk } from '../../lib/monitor/records.js';
import { collect, connection, FakeObjects } from '../fakes.js';

const service = { id: 'svc', name: 'payments' };

describe('auditRecords', () => {
  it('records added, removed and status changes with the alert event id', async () => {
    const before = [encodeChunk([connection('a', 'accepted'), connection('gone', 'accepted', { domainId: 'dg' })])];
    const after = [connection('a', 'failed', { errors: [{ code: 'EndPoint.2014', message: 'No IP left.' }] }), connection('new', 'pendingAcceptance', { description: 'team <b>' })];
    const kept = new Map(after.map((c) => [c.id, c]));
    const records = await collect(auditRecords(service, diffRecords(before, [encodeChunk(after)]), kept, { at: 'T', runId: 'r', raisedIds: new Set(['never']) }));
    expect(records.map((r) => [r.connectionId, r.change, r.from, r.to])).toEqual([
      ['a', 'status', 'accepted', 'failed'],
      ['new', 'added', null, 'pendingAcceptance'],
      ['gone', 'removed', 'accepted', null],
    ]);
    expect(records[2]).toMatchObject({ domainId: 'dg', at: 'T', runId: 'r', serviceName: 'payments', raised: false });
    expect(records.some((r) => 'alerted' in r)).toBe(false);
    // What the report shows of connections that need someone; nothing of the others.
    expect(records[0]).toMatchObject({ errors: [{ code: 'EndPoint.2014', message: 'No IP left.' }] });
    expect(records[1]).toMatchObject({ description: 'team <b>' });
    expect(records[2]).not.toHaveProperty('description');
    // Only what there is: no empty errors list for a connection VPCEP found nothing wrong with.
    expect(records[1]).not.toHaveProperty('errors');
    expect(records[0]).not.toHaveProperty('description');
  });

  it('gives a removal the same id every version has given it', async () => {
    const before = [encodeChunk([connection('gone', 'failed')])];
    const [removed] = await collect(auditRecords(service, diffRecords(before, []), new Map(), { at: 'T', runId: 'r', raisedIds: new Set() }));
    expect(removed!.eventId).toBe(eventId('svc', 'gone', 'failed', 'removed', '2026-11-01T00:00:00Z'));
  });
});

describe('records of what befell an alert event', () => {
  const event: AlertEvent = {
    id: 'e1', serviceId: 'svc', serviceName: 'payments', connectionId: 'c1', domainId: 'd1', from: 'pendingAcceptance', to: 'rejected',
    at: 'U', detectedAt: 'T', description: 'not in the record', errors: [],
    action: { type: 'reject', mode: 'enforce', outcome: 'failed', reason: 'the consumer domain is on AUTO_REJECT_DOMAINS', error: 'HTTP 403' },
  };

  it('writes an action line with the event’s fields first, in the order of every other line', () => {
    expect(JSON.stringify(actionRecord(event, 'r'))).toBe(
      '{"at":"T","runId":"r","serviceId":"svc","serviceName":"payments","connectionId":"c1","domainId":"d1","change":"action","from":"pendingAcceptance","to":"rejected","eventId":"e1","raised":true,' +
        '"action":"reject","mode":"enforce","outcome":"failed","reason":"the consumer domain is on AUTO_REJECT_DOMAINS","error":"HTTP 403"}',
    );
    expect(() => actionRecord({ ...event, action: undefined }, 'r')).toThrow(new TypeError('event e1 reports no approval policy action'));
  });

  it('writes the same fields for an event SMN refused, at the time it was refused', () => {
    expect(eventRecord(event, 'r', 'V', 'undeliverable')).toEqual({
      at: 'V', runId: 'r', serviceId: 'svc', serviceName: 'payments', connectionId: 'c1', domainId: 'd1', change: 'undeliverable', from: 'pendingAcceptance', to: 'rejected', eventId: 'e1',
    });
  });

  it('writes a delivered line with SMN’s message id, and claims nothing else', () => {
    expect(deliveredRecord(event, 'r', 'W', { messageId: 'm-1', requestId: 'q-1' })).toEqual({
      at: 'W', runId: 'r', serviceId: 'svc', serviceName: 'payments', connectionId: 'c1', domainId: 'd1', change: 'delivered', from: 'pendingAcceptance', to: 'rejected', eventId: 'e1', messageId: 'm-1', requestId: 'q-1',
    });
    expect(deliveredRecord(event, 'r', 'W', { messageId: 'm-1', requestId: undefined })).not.toHaveProperty('requestId');
  });
});

describe('alertRaised', () => {
  const base: AuditRecord = { at: 'T', runId: 'r', serviceId: 's', serviceName: 'n', connectionId: 'c', domainId: 'd', change: 'status', from: 'accepted', to: 'failed', eventId: 'e' };
  it('reads raised, and an older trail’s alerted the same way', () => {
    expect(alertRaised({ ...base, raised: true })).toBe(true);
    expect(alertRaised({ ...base, raised: false })).toBe(false);
    expect(alertRaised({ ...base, alerted: true })).toBe(true);
    expect(alertRaised({ ...base, alerted: false })).toBe(false);
    expect(alertRaised(base)).toBe(false);
  });
});

describe('writeAudit', () => {
  const record = (n: number): AuditRecord => ({ at: 'T', runId: 'r', serviceId: 's', serviceName: 'n', connectionId: `c${n}`, domainId: 'd', change: 'added', from: null, to: 'accepted', eventId: `e${n}`, raised: false });
  const key = auditKey('p/', new Date('2026-11-25T10:00:00Z'), 'run-1');

  it('writes one JSON Lines object per run under the day prefix', async () => {
    const objects = new FakeObjects();
    expect(await writeAudit(objects, key, [record(1), record(2)])).toEqual({ key, parts: 1 });
    expect(key).toMatch(/^p\/audit\/2026\/11\/25\/20261125T100000000Z-run-1\.jsonl$/);
    expect(objects.objects.get(key)!.trim().split('\n').map((line) => JSON.parse(line).connectionId)).toEqual(['c1', 'c2']);
  });

  it('writes its objects as NDJSON', async () => {
    const types: (string | undefined)[] = [];
    const objects = new (class extends FakeObjects {
      override async put(k: string, parts: string | readonly string[], contentType?: string): Promise<void> {
        types.push(contentType);
        return super.put(k, parts);
      }
    })();
    await writeAudit(objects, key, [record(1)]);
    expect(types).toEqual(['application/x-ndjson']);
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
    // Every part starts afresh: whole records only, each a JSON line, 10,000 to a full part.
    expect(objects.puts.map((k) => objects.objects.get(k)!.trim().split('\n').length)).toEqual([AUDIT_PART_RECORDS, AUDIT_PART_RECORDS, 5]);
    expect(all.map((line) => (JSON.parse(line) as AuditRecord).connectionId)).toEqual(Array.from({ length: n }, (_, i) => `c${i}`));
  });
});
