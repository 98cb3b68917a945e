import { describe, expect, it } from 'vitest';
import { eventId } from '../../lib/monitor/alerts.js';
import { AGENCY_USER, attribute, isAttributable, matchTrace, MAX_WAITING, notePolicyActions, queryWindow, type Transition, transitionsOf } from '../../lib/monitor/attribution.js';
import { diffRecords } from '../../lib/monitor/diff.js';
import type { CtsTrace } from '../../lib/monitor/ports.js';
import { encodeChunk } from '../../lib/monitor/records.js';

const service = { id: 'svc-1', name: 'payments' };
const record = (id: string, status: string, updatedAt = '2026-01-01T00:03:00Z') => ({ id, status, domainId: 'dom', description: '', updatedAt, errors: [] });
const transition = (overrides: Partial<Transition> = {}): Transition => ({
  eventId: 'e1', serviceId: 'svc-1', serviceName: 'payments', connectionId: 'c1', domainId: 'dom', from: 'pendingAcceptance', to: 'rejected',
  updatedAt: '2026-01-01T00:03:00Z', since: '2026-01-01T00:00:00Z', detectedAt: '2026-01-01T00:05:00Z', ...overrides,
});
const trace = (overrides: Partial<CtsTrace> = {}): CtsTrace => ({
  traceId: 't1', time: '2026-01-01T00:02:00Z', traceName: 'serviceConnectionsAction', resourceId: 'svc-1', connectionIds: ['c1'], action: 'reject',
  user: { name: 'alice', type: 'IAMUser', accountName: 'acme', accountId: 'acc-1' }, sourceIp: '10.0.0.7', ...overrides,
});

describe('isAttributable', () => {
  it('takes accepts and rejects, and pendingAcceptance → creating as the accept; creating → accepted is VPCEP finishing', () => {
    expect(isAttributable('pendingAcceptance', 'accepted')).toBe(true);
    expect(isAttributable('accepted', 'rejected')).toBe(true);
    expect(isAttributable('pendingAcceptance', 'creating')).toBe(true);
    expect(isAttributable('creating', 'accepted')).toBe(false);
    expect(isAttributable('accepted', 'failed')).toBe(false);
    expect(isAttributable('failed', 'creating')).toBe(false);
  });
});

describe('transitionsOf', () => {
  it('turns attributable status changes into transitions with the audit record\'s event id; additions are not someone\'s accept', () => {
    const before = [encodeChunk([record('c1', 'pendingAcceptance'), record('c2', 'accepted'), record('c3', 'accepted')])];
    const after = [encodeChunk([record('c1', 'accepted'), record('c2', 'rejected'), record('c3', 'failed'), record('c4', 'accepted')])];
    const found = transitionsOf(service, diffRecords(before, after), 'since', 'now');
    expect(found.map((t) => [t.connectionId, t.from, t.to])).toEqual([['c1', 'pendingAcceptance', 'accepted'], ['c2', 'accepted', 'rejected']]);
    expect(found[0]).toMatchObject({ eventId: eventId('svc-1', 'c1', 'pendingAcceptance', 'accepted', '2026-01-01T00:03:00Z'), since: 'since', detectedAt: 'now', domainId: 'dom' });
  });
});

describe('queryWindow', () => {
  it('reaches back to the earliest transition less the slack, and no further than CTS keeps traces', () => {
    const now = new Date('2026-01-01T00:05:00Z');
    expect(queryWindow([transition(), transition({ since: '2025-12-31T23:50:00Z' })], now)).toEqual({ fromMs: Date.parse('2025-12-31T23:45:00Z'), toMs: now.getTime() });
    expect(queryWindow([transition({ since: '2025-01-01T00:00:00Z' })], now).fromMs).toBe(now.getTime() - 7 * 86_400_000);
  });
});

describe('matchTrace', () => {
  it('matches the same service, the connection in the request, the same action, a plausible time', () => {
    expect(matchTrace(transition(), [trace()])?.traceId).toBe('t1');
    expect(matchTrace(transition(), [trace({ resourceId: 'svc-2' })])).toBeUndefined();
    expect(matchTrace(transition(), [trace({ connectionIds: ['c2'] })])).toBeUndefined();
    expect(matchTrace(transition(), [trace({ action: 'receive' })])).toBeUndefined();
    expect(matchTrace(transition({ to: 'accepted' }), [trace({ action: 'receive' })])?.traceId).toBe('t1');
    expect(matchTrace(transition({ to: 'creating' }), [trace({ action: 'receive' })])?.traceId).toBe('t1');
    // Before the snapshot before it (less 5 minutes of slack), or after we saw it (plus slack): not this one.
    expect(matchTrace(transition(), [trace({ time: '2025-12-31T23:54:59Z' })])).toBeUndefined();
    expect(matchTrace(transition(), [trace({ time: '2025-12-31T23:55:00Z' })])).toBeDefined();
    expect(matchTrace(transition(), [trace({ time: '2026-01-01T00:10:01Z' })])).toBeUndefined();
    expect(matchTrace(transition(), [trace({ time: 'not a time' })])).toBeUndefined();
  });

  it('takes a trace without an action, and the latest of several', () => {
    const { action: _, ...noAction } = trace();
    expect(matchTrace(transition(), [noAction])).toBeDefined();
    expect(matchTrace(transition(), [trace({ traceId: 'late', time: '2026-01-01T00:04:00Z' }), trace(), trace({ traceId: 'early', time: '2026-01-01T00:01:00Z' })])?.traceId).toBe('late');
  });
});

describe('attribute', () => {
  const now = new Date('2026-01-01T00:05:00Z');
  it('names the person a trace names, with account, source IP and trace id', () => {
    const outcome = attribute([transition()], undefined, [trace()], { cts: true, now });
    expect(outcome.byEvent.get('e1')).toEqual({ source: 'trace', user: 'alice', userType: 'IAMUser', accountName: 'acme', accountId: 'acc-1', sourceIp: '10.0.0.7', traceId: 't1' });
    expect(outcome.book.waiting).toEqual([]);
  });

  it('keeps an unmatched transition for the next run, which finds it late or gives up with "unknown"', () => {
    const first = attribute([transition()], undefined, [], { cts: true, now });
    expect(first.byEvent.get('e1')).toEqual({ source: 'pending' });
    expect(first.book.waiting).toEqual([transition()]);
    const found = attribute([], first.book, [trace()], { cts: true, now });
    expect(found.late).toEqual([{ transition: transition(), attribution: expect.objectContaining({ source: 'trace', user: 'alice' }) }]);
    expect(found.book.waiting).toEqual([]);
    const lost = attribute([], first.book, undefined, { cts: true, now });
    expect(lost.late).toEqual([{ transition: transition(), attribution: { source: 'unknown' } }]);
  });

  it('says "unknown" at once when CTS is off, and when the waiting list is full', () => {
    expect(attribute([transition()], undefined, undefined, { cts: false, now }).byEvent.get('e1')).toEqual({ source: 'unknown' });
    const many = Array.from({ length: MAX_WAITING + 1 }, (_, i) => transition({ eventId: `e${i}` }));
    const outcome = attribute(many, undefined, undefined, { cts: true, now });
    expect(outcome.book.waiting).toHaveLength(MAX_WAITING);
    expect(outcome.byEvent.get(`e${MAX_WAITING}`)).toEqual({ source: 'unknown' });
  });

  it("attributes our own policy's actions to the function's agency without a trace, once", () => {
    const book = notePolicyActions(undefined, [
      { serviceId: 'svc-1', connectionId: 'c1', action: { type: 'reject', outcome: 'done', mode: 'enforce' } },
      { serviceId: 'svc-1', connectionId: 'c2', action: { type: 'receive', outcome: 'failed', mode: 'enforce' } },
      { serviceId: 'svc-1', connectionId: 'c3', action: { type: 'receive', outcome: 'planned', mode: 'dry-run' } },
    ], '2026-01-01T00:00:00Z');
    expect(book.acted).toEqual([{ serviceId: 'svc-1', connectionId: 'c1', to: 'rejected', at: '2026-01-01T00:00:00Z' }]);
    const outcome = attribute([transition()], book, [trace({ user: { name: 'mallory' } })], { cts: true, now });
    expect(outcome.byEvent.get('e1')).toEqual({ source: 'policy', user: AGENCY_USER });
    expect(outcome.book.acted).toEqual([]);
  });

  it('forgets a policy action not seen to take effect within a day', () => {
    const book = { waiting: [], acted: [{ serviceId: 'svc-1', connectionId: 'c9', to: 'accepted' as const, at: '2025-12-30T00:00:00Z' }, { serviceId: 'svc-1', connectionId: 'c8', to: 'accepted' as const, at: '2026-01-01T00:00:00Z' }] };
    expect(attribute([], book, undefined, { cts: false, now }).book.acted.map((a) => a.connectionId)).toEqual(['c8']);
  });
});

describe('transitionsOf, bounded', () => {
  it('stops at the limit', () => {
    const before = [encodeChunk([record('c1', 'pendingAcceptance'), record('c2', 'pendingAcceptance')])];
    const after = [encodeChunk([record('c1', 'accepted'), record('c2', 'accepted')])];
    expect(transitionsOf(service, diffRecords(before, after), 's', 'n', 1).map((t) => t.connectionId)).toEqual(['c1']);
  });
});
