import { describe, expect, it } from 'vitest';
import { alertsFor, eventId } from '../../lib/monitor/alerts.js';
import { diffRecords } from '../../lib/monitor/diff.js';
import type { Connection } from '../../lib/monitor/ports.js';
import { encodeChunk } from '../../lib/monitor/records.js';

const ALERT = new Set(['pendingAcceptance', 'failed', 'rejected']);
const service = { id: 'svc-1', name: 'payments' };
const connection = (id: string, status: string, updatedAt = '2026-11-01T00:00:00Z', extra: Partial<Connection> = {}): Connection => ({
  id, status, domainId: 'dom', description: 'desc', updatedAt, errors: [], ...extra,
});
const kept = (list: Connection[]) => new Map(list.filter((c) => c.status !== 'accepted').map((c) => [c.id, c]));

describe('alertsFor', () => {
  it('alerts on entering an alert state, including a new connection that appears in one', () => {
    const before = [encodeChunk([connection('a', 'accepted'), connection('b', 'accepted'), connection('c', 'pendingAcceptance'), connection('gone', 'accepted')])];
    const after = [
      connection('a', 'failed', 't2', { errors: [{ code: 'EndPoint.0001', message: 'boom' }] }),
      connection('b', 'rejected', 't2'),
      connection('c', 'accepted', 't2'), // left an alert state: no alert
      connection('new-pending', 'pendingAcceptance', 't2'),
      connection('new-failed', 'failed', 't2'),
      connection('new-accepted', 'accepted', 't2'),
    ];
    const alerts = alertsFor(service, diffRecords(before, [encodeChunk(after)]), kept(after), ALERT, 'now');
    expect(alerts.map((alert) => [alert.connectionId, alert.from, alert.to])).toEqual([
      ['a', 'accepted', 'failed'],
      ['b', 'accepted', 'rejected'],
      ['new-pending', null, 'pendingAcceptance'],
      ['new-failed', null, 'failed'],
    ]);
    expect(alerts[0]).toMatchObject({ serviceId: 'svc-1', serviceName: 'payments', at: 't2', detectedAt: 'now', description: 'desc', errors: [{ code: 'EndPoint.0001', message: 'boom' }] });
  });

  it('honours the configured alert statuses, and marks baseline events', () => {
    const after = [connection('a', 'failed'), connection('b', 'pendingAcceptance')];
    const alerts = alertsFor(service, diffRecords([], [encodeChunk(after)]), kept(after), new Set(['failed']), 'now', true);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ connectionId: 'a', baseline: true });
  });

  it('gives a transition a stable id that changes with updated_at', () => {
    const id = eventId('svc', 'c', 'accepted', 'failed', 't1');
    expect(eventId('svc', 'c', 'accepted', 'failed', 't1')).toBe(id);
    expect(eventId('svc', 'c', 'accepted', 'failed', 't2')).not.toBe(id);
    expect(eventId('svc', 'c', null, 'failed', 't1')).not.toBe(id);
    expect(id).toMatch(/^[0-9a-f]{24}$/);
  });

  it('keeps the ids of earlier versions, and never lets two fields run into each other', () => {
    // Subscribers drop ids they have seen: an id that changed with an upgrade would repeat alerts.
    expect(eventId('svc', 'c', null, 'failed', 't1')).toBe('054deda599dc50387e96b048');
    expect(eventId('svc', 'c', '', 'failed', 't1')).toBe('054deda599dc50387e96b048');
    expect(eventId('ab', 'c', null, 'failed', 't1')).not.toBe(eventId('a', 'bc', null, 'failed', 't1'));
  });

  it('never alerts on a removal, even of a connection that was in an alert state', () => {
    const before = [encodeChunk([connection('gone', 'failed')])];
    expect(alertsFor(service, diffRecords(before, []), new Map(), ALERT, 'now')).toEqual([]);
  });

  it('marks nothing as baseline unless told', () => {
    const after = [connection('a', 'failed')];
    expect(alertsFor(service, diffRecords([], [encodeChunk(after)]), kept(after), ALERT, 'now')[0]).not.toHaveProperty('baseline');
  });

  it('takes the words from the connection as read, and falls back to the record without it', () => {
    const after = [connection('a', 'failed', 't2', { domainId: 'record-domain' })];
    const changes = [...diffRecords([], [encodeChunk(after)])];
    const read = new Map([['a', connection('a', 'failed', 't2', { domainId: 'read-domain', description: 'as read', errors: [{ code: 'E', message: 'm' }] })]]);
    expect(alertsFor(service, changes, read, ALERT, 'now')[0]).toMatchObject({ domainId: 'read-domain', description: 'as read', errors: [{ code: 'E', message: 'm' }] });
    expect(alertsFor(service, changes, new Map(), ALERT, 'now')[0]).toMatchObject({ domainId: 'record-domain', description: '', errors: [] });
  });
});
