import { describe, expect, it } from 'vitest';
import { buildReport, record, stateWith } from './records.js';

const now = new Date('2026-11-20T12:00:00Z');
const since = new Date('2026-11-10T12:00:00Z');

describe('buildReport', () => {
  it('dates a pending request from the state\'s pending book, not from VPCEP\'s updated_at', () => {
    const state = stateWith(
      { 'svc-1': { name: 'payments', connections: { old: ['pendingAcceptance', '2026-11-19T00:00:00Z', 'd1'], young: ['pendingAcceptance', '2026-11-20T10:00:00Z', 'd2'], unbooked: ['pendingAcceptance', '2026-11-20T11:00:00Z', 'd3'], ok: ['accepted', '2026-11-01T00:00:00Z', 'd4'] } } },
      { 'svc-1': { old: '2026-11-17T12:00:00Z', young: '2026-11-20T11:30:00Z' } },
    );
    const pending = buildReport({ now, since, state, records: [] }).services[0]!.pending;
    expect(pending.map((p) => [p.connectionId, p.waitedMs / 3_600_000, p.sinceFromBook])).toEqual([
      ['old', 72, true],
      ['unbooked', 1, false],
      ['young', 0.5, true],
    ]);
  });

  it('takes the description of a pending request from its latest record in the period', () => {
    const state = stateWith({ 'svc-1': { name: 'payments', connections: { p: ['pendingAcceptance', '2026-11-19T00:00:00Z', 'd1'] } } });
    const records = [record({ at: '2026-11-19T00:05:00Z', connectionId: 'p', change: 'added', to: 'pendingAcceptance', description: 'analytics team' })];
    expect(buildReport({ now, since, state, records }).services[0]!.pending[0]!.description).toBe('analytics team');
  });

  it('gives each failed connection the period\'s latest failure record, and none when it failed earlier', () => {
    const state = stateWith({ 'svc-1': { name: 'payments', connections: { f1: ['failed', '2026-11-15T00:00:00Z', 'd1'], f2: ['failed', '2026-10-01T00:00:00Z', 'd2'] } } });
    const first = record({ at: '2026-11-12T00:00:00Z', connectionId: 'f1', from: 'accepted', to: 'failed', errors: [{ code: 'EndPoint.2014', message: 'old' }] });
    const latest = record({ at: '2026-11-15T00:00:00Z', connectionId: 'f1', from: 'accepted', to: 'failed', errors: [{ code: 'EndPoint.0001', message: 'new' }] });
    const between = record({ at: '2026-11-13T00:00:00Z', connectionId: 'f1', from: 'failed', to: 'accepted' });
    const failed = buildReport({ now, since, state, records: [first, between, latest] }).services[0]!.failed;
    expect(failed.map((f) => [f.connectionId, f.failure?.errors?.[0]?.code])).toEqual([
      ['f1', 'EndPoint.0001'],
      ['f2', undefined],
    ]);
    expect(failed[1]!.failure).toBeUndefined();
  });

  it('keeps the failure and the description when the alert was later dead-lettered', () => {
    // An undeliverable record repeats the event's `to` without its details, after the status record.
    const state = stateWith({ 'svc-1': { name: 'payments', connections: { f: ['failed', '2026-11-15T00:00:00Z', 'd1'], p: ['pendingAcceptance', '2026-11-15T00:00:00Z', 'd2'] } } });
    const records = [
      record({ at: '2026-11-15T00:00:00Z', connectionId: 'f', from: 'accepted', to: 'failed', errors: [{ code: 'EndPoint.2014', message: 'no IP' }] }),
      record({ at: '2026-11-15T00:00:00Z', connectionId: 'p', change: 'added', to: 'pendingAcceptance', description: 'analytics team' }),
      record({ at: '2026-11-15T00:01:00Z', connectionId: 'f', change: 'undeliverable', from: 'accepted', to: 'failed' }),
      record({ at: '2026-11-15T00:01:00Z', connectionId: 'p', change: 'undeliverable', to: 'pendingAcceptance' }),
    ];
    const service = buildReport({ now, since, state, records }).services[0]!;
    expect(service.failed[0]!.failure?.errors?.[0]?.code).toBe('EndPoint.2014');
    expect(service.pending[0]!.description).toBe('analytics team');
  });

  it('lists at most 200 pending requests and 200 failed connections of a service, and counts them all', () => {
    const connections: Record<string, [string, string, string]> = {};
    for (let i = 0; i < 250; i++) {
      connections[`p${i}`] = ['pendingAcceptance', `2026-11-19T00:00:${String(i % 60).padStart(2, '0')}Z`, 'd'];
      connections[`f${i}`] = ['failed', `2026-11-${String(10 + (i % 10)).padStart(2, '0')}T00:00:00Z`, 'd'];
    }
    const service = buildReport({ now, since, state: stateWith({ s: { name: 'big', connections } }), records: [] }).services[0]!;
    expect([service.pending.length, service.pendingCount, service.failed.length, service.failedCount]).toEqual([200, 250, 200, 250]);
    expect(service.pending[0]!.since).toBe('2026-11-19T00:00:00Z');
    expect(service.failed[0]!.updatedAt).toBe('2026-11-19T00:00:00Z');
  });

  it('lists the changes newest first, at most maxChanges, and counts them all', () => {
    const state = stateWith({ 'svc-1': { name: 'payments', connections: {} } });
    const records = [1, 2, 3, 4, 5].map((day) => record({ at: `2026-11-1${day}T00:00:00Z`, connectionId: `c${day}`, change: 'removed', from: 'accepted' }));
    const service = buildReport({ now, since, state, records, maxChanges: 2 }).services[0]!;
    expect(service.changes.map((r) => r.connectionId)).toEqual(['c5', 'c4']);
    expect(service.changeCount).toBe(5);
  });

  it('shares the page\'s change rows among the services: 200 for one, at least 20 each for many', () => {
    const trail = (services: number, each: number) => {
      const state = stateWith(Object.fromEntries(Array.from({ length: services }, (_, s) => [`svc-${s}`, { name: `s${s}`, connections: {} }])));
      const records = Array.from({ length: services * each }, (_, i) => record({ at: '2026-11-15T00:00:00Z', serviceId: `svc-${i % services}`, connectionId: `c${i}`, change: 'removed', from: 'accepted' }));
      return buildReport({ now, since, state, records }).services;
    };
    expect(trail(1, 300).map((s) => [s.changes.length, s.changeCount])).toEqual([[200, 300]]);
    expect(new Set(trail(40, 100).map((s) => s.changes.length))).toEqual(new Set([50]));
    expect(new Set(trail(150, 30).map((s) => s.changes.length))).toEqual(new Set([20]));
  });

  it('keeps only the records of the period and of the chosen service', () => {
    const state = stateWith({ 'svc-1': { name: 'payments', connections: {} }, 'svc-2': { name: 'orders', connections: {} } });
    const records = [
      record({ at: '2026-11-01T00:00:00Z', connectionId: 'before', change: 'removed', from: 'accepted' }),
      record({ at: '2026-11-15T00:00:00Z', connectionId: 'inside', change: 'removed', from: 'accepted' }),
      record({ at: '2026-11-15T00:00:00Z', connectionId: 'other', serviceId: 'svc-2', change: 'removed', from: 'accepted' }),
    ];
    const model = buildReport({ now, since, state, records, serviceId: 'svc-1' });
    expect(model.services.map((s) => s.id)).toEqual(['svc-1']);
    expect(model.services[0]!.changes.map((r) => r.connectionId)).toEqual(['inside']);
    expect(model.recordCount).toBe(1);
  });

  it('shows a service the trail knows but the snapshot does not, without counts or chart', () => {
    const records = [record({ at: '2026-11-15T00:00:00Z', connectionId: 'gone', serviceId: 'svc-9', serviceName: 'ap-southeast-1.legacy.svc-9', change: 'removed', from: 'accepted' })];
    const model = buildReport({ now, since, state: undefined, records });
    expect(model.hasState).toBe(false);
    expect(model.services).toMatchObject([{ id: 'svc-9', name: 'ap-southeast-1.legacy.svc-9', inSnapshot: false, total: 0, changeCount: 1 }]);
    expect(model.services[0]!.timeline).toBeUndefined();
  });

  it('counts connections by status now, most common first, and orders services by name', () => {
    const state = stateWith({
      'svc-b': { name: 'zeta', connections: {} },
      'svc-a': { name: 'alpha', connections: { a: ['accepted', '', 'd'], b: ['accepted', '', 'd'], c: ['rejected', '', 'd'] } },
    });
    const model = buildReport({ now, since, state, records: [] });
    expect(model.services.map((s) => s.name)).toEqual(['alpha', 'zeta']);
    expect(model.services[0]!.counts).toEqual([['accepted', 2], ['rejected', 1]]);
    expect(model.services[0]!.total).toBe(3);
  });
});
