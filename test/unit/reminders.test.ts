import { describe, expect, it } from 'vitest';
import type { Connection } from '../../lib/monitor/ports.js';
import { dueReminders, markReminded, type PendingBook, type PendingRecord, updatePending } from '../../lib/monitor/reminders.js';
import { connection } from '../fakes.js';

const HOUR = 3_600_000;
const T0 = '2026-11-25T00:00:00.000Z';
const T1 = '2026-11-25T01:00:00.000Z';
const NOW = '2026-11-25T12:00:00.000Z';

describe('updatePending', () => {
  it('starts a record now for a connection newly pending, and keeps the record of one still pending', () => {
    const before = new Map<string, PendingRecord>([['old', { since: T0, notifiedAt: T1 }]]);
    const next = updatePending(before, [connection('old', 'pendingAcceptance'), connection('new', 'pendingAcceptance')], NOW);
    expect(next).toEqual(new Map([['old', { since: T0, notifiedAt: T1 }], ['new', { since: NOW, notifiedAt: NOW }]]));
  });

  it('drops connections that left pending or left the list', () => {
    const before = new Map<string, PendingRecord>([
      ['accepted-now', { since: T0, notifiedAt: T0 }],
      ['gone', { since: T0, notifiedAt: T0 }],
    ]);
    expect(updatePending(before, [connection('accepted-now', 'accepted'), connection('failed', 'failed')], NOW)).toEqual(new Map());
  });

  it('starts every pending connection now when there was no record of the service', () => {
    expect(updatePending(undefined, [connection('a', 'pendingAcceptance')], NOW)).toEqual(new Map([['a', { since: NOW, notifiedAt: NOW }]]));
  });
});

describe('dueReminders and markReminded', () => {
  const details = (serviceName: string, connections: Connection[]) => ({ serviceName, connections: new Map(connections.map((c) => [c.id, c])) });
  const book = (): PendingBook =>
    new Map([
      ['svc-a', new Map([
        ['waited-long', { since: '2026-11-24T00:00:00.000Z', notifiedAt: '2026-11-25T00:00:00.000Z' }],
        ['exactly-due', { since: '2026-11-25T00:00:00.000Z', notifiedAt: '2026-11-25T06:00:00.000Z' }],
        ['just-told', { since: '2026-11-24T00:00:00.000Z', notifiedAt: '2026-11-25T06:00:00.001Z' }],
      ])],
      ['svc-unread', new Map([['elsewhere', { since: T0, notifiedAt: T0 }]])],
    ]);
  const read = new Map([['svc-a', details('payments', [connection('waited-long', 'pendingAcceptance', { domainId: 'dom-1', description: 'please' })])]]);

  it('reminds of requests last told about a period ago or more, in services read in this run', () => {
    const due = dueReminders(book(), read, 6 * HOUR, new Date(NOW));
    expect(due.map((reminder) => reminder.connectionId)).toEqual(['waited-long', 'exactly-due']);
    expect(due[0]).toEqual({
      key: { serviceId: 'svc-a', connectionId: 'waited-long' },
      serviceId: 'svc-a',
      serviceName: 'payments',
      connectionId: 'waited-long',
      domainId: 'dom-1',
      description: 'please',
      since: '2026-11-24T00:00:00.000Z',
      waitingMs: 36 * HOUR,
    });
    // A connection the scan did not keep whole is still reminded of, without its words.
    expect(due[1]).toMatchObject({ domainId: '', description: '', since: '2026-11-25T00:00:00.000Z', waitingMs: 12 * HOUR });
  });

  it('reminds of nothing before a period has passed', () => {
    expect(dueReminders(book(), read, 13 * HOUR, new Date(NOW))).toEqual([]);
  });

  it('moves the next reminder of those just reminded a period away, and no other', () => {
    const pending = book();
    const due = dueReminders(pending, read, 6 * HOUR, new Date(NOW));
    markReminded(pending, due, NOW);
    expect(pending.get('svc-a')!.get('waited-long')).toEqual({ since: '2026-11-24T00:00:00.000Z', notifiedAt: NOW });
    expect(pending.get('svc-a')!.get('exactly-due')!.notifiedAt).toBe(NOW);
    expect(pending.get('svc-a')!.get('just-told')!.notifiedAt).toBe('2026-11-25T06:00:00.001Z');
    expect(pending.get('svc-unread')!.get('elsewhere')!.notifiedAt).toBe(T0);
    expect(dueReminders(pending, read, 6 * HOUR, new Date(NOW))).toEqual([]);
  });

  it('ignores a reminder whose request has since left the book', () => {
    const pending: PendingBook = new Map();
    const gone = { serviceId: 'svc-a', serviceName: 'payments', connectionId: 'gone', domainId: '', description: '', since: T0, waitingMs: HOUR };
    markReminded(pending, [{ ...gone, key: { serviceId: 'svc-a', connectionId: 'gone' } }], NOW);
    expect(pending.size).toBe(0);
  });
});
