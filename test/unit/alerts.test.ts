import { describe, expect, it } from 'vitest';
import { alertsFor, eventId } from '../../lib/monitor/alerts.js';
import { diffConnections, toRecords } from '../../lib/monitor/diff.js';
import type { Connection } from '../../lib/monitor/ports.js';

const ALERT = new Set(['pendingAcceptance', 'failed', 'rejected']);
const service = { id: 'svc-1', name: 'payments' };
const connection = (id: string, status: string, updatedAt = '2026-11-01T00:00:00Z', extra: Partial<Connection> = {}): Connection => ({
  id, status, domainId: 'dom', description: 'desc', updatedAt, errors: [], ...extra,
});

describe('alertsFor', () => {
  it('alerts on entering an alert state, including a new connection that appears in one', () => {
    const before = toRecords([connection('a', 'accepted'), connection('b', 'accepted'), connection('c', 'pendingAcceptance'), connection('gone', 'accepted')]);
    const after = [
      connection('a', 'failed', 't2', { errors: [{ code: 'EndPoint.0001', message: 'boom' }] }),
      connection('b', 'rejected', 't2'),
      connection('c', 'accepted', 't2'), // left an alert state: no alert
      connection('new-pending', 'pendingAcceptance', 't2'),
      connection('new-failed', 'failed', 't2'),
      connection('new-accepted', 'accepted', 't2'),
    ];
    const alerts = alertsFor(service, diffConnections(before, after), ALERT, 'now');
    expect(alerts.map((alert) => [alert.connectionId, alert.from, alert.to])).toEqual([
      ['a', 'accepted', 'failed'],
      ['b', 'accepted', 'rejected'],
      ['new-pending', null, 'pendingAcceptance'],
      ['new-failed', null, 'failed'],
    ]);
    expect(alerts[0]).toMatchObject({ serviceId: 'svc-1', serviceName: 'payments', at: 't2', detectedAt: 'now', errors: [{ code: 'EndPoint.0001', message: 'boom' }] });
  });

  it('honours the configured alert statuses, and marks baseline events', () => {
    const changes = diffConnections(new Map(), [connection('a', 'failed'), connection('b', 'pendingAcceptance')]);
    const alerts = alertsFor(service, changes, new Set(['failed']), 'now', true);
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
});
