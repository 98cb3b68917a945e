import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../lib/monitor/alerts.js';
import { countByStatus, footer, idList, intro, orderEvents, payloadEvent, serviceBlocks, SMS_MAX_CHARS, smsSafe, smsText } from '../../lib/monitor/message-text.js';

const context = { projectId: 'p1', region: 'ap-southeast-1', runId: 'run-1', baseline: false };
const event = (n: number, extra: Partial<AlertEvent> = {}): AlertEvent => ({
  id: `id-${n}`, serviceId: 'svc-1', serviceName: 'payments', connectionId: `conn-${n}`, domainId: 'dom-1',
  from: 'accepted', to: 'failed', at: '2026-11-01T00:00:00Z', detectedAt: '2026-11-01T00:01:00Z', description: '', errors: [], ...extra,
});
const action = (n: number, extra: Partial<AlertEvent> = {}): AlertEvent =>
  event(n, { from: 'pendingAcceptance', to: 'accepted', action: { type: 'receive', mode: 'enforce', outcome: 'done', reason: 'r' }, ...extra });

describe('intro', () => {
  it('opens with what happened and counts the alerts, not the policy actions', () => {
    expect(intro([event(1), action(2), event(3, { to: 'pendingAcceptance' })], context)).toBe(
      'VPC Endpoint connections entered alert states.\nProject p1, region ap-southeast-1: 1 failed, 1 pendingAcceptance.\n',
    );
  });

  it('words a first run as the current state', () => {
    expect(intro([event(1)], { ...context, baseline: true })).toBe(
      'First run of the VPC Endpoint connection monitor: these connections are in alert states now.\nProject p1, region ap-southeast-1: 1 failed.\n',
    );
  });
});

describe('footer', () => {
  it('names the run and says how to recognise a repeat delivery', () => {
    expect(footer({ runId: 'run-1' })).toBe('\nRun run-1. Each event id is stable: if a message repeats an id you have seen, it is a repeat delivery.\n');
  });
});

describe('serviceBlocks', () => {
  it('heads each service once and lists every error of a change', () => {
    const text = serviceBlocks([
      event(1, { errors: [{ code: 'E1', message: 'one' }, { code: 'E2', message: 'two' }] }),
      event(2, { to: 'rejected' }),
      event(3, { serviceId: 'svc-2', serviceName: 'orders' }),
    ]);
    expect(text).toBe([
      'payments (svc-1)',
      '  - conn-1: accepted -> failed at 2026-11-01T00:00:00Z, consumer dom-1, error E1: one, error E2: two (event id-1)',
      '  - conn-2: accepted -> rejected at 2026-11-01T00:00:00Z, consumer dom-1 (event id-2)',
      'orders (svc-2)',
      '  - conn-3: accepted -> failed at 2026-11-01T00:00:00Z, consumer dom-1 (event id-3)',
      '',
    ].join('\n'));
  });
});

describe('smsText', () => {
  it('lists the most urgent ids first, whatever order the events come in', () => {
    const events = [event(1, { to: 'pendingAcceptance' }), event(2, { to: 'accepted' }), event(3, { to: 'rejected' }), event(4, { to: 'failed' }), event(5, { to: 'pendingAcceptance' })];
    expect(smsText(events, context)).toBe(
      'VPCEP ap-southeast-1: 1 failed, 1 rejected, 2 pending, 1 accepted. failed conn-4, rejected conn-3, pending conn-1, pending conn-5, accepted conn-2',
    );
  });
});

describe('idList', () => {
  it('lists every id that fits exactly 490 characters, with no count', () => {
    const id = 'a'.repeat(SMS_MAX_CHARS - 1);
    expect(idList([id], 0)).toBe(` ${id}`);
    expect(idList(['b', 'c'], 0)).toBe(' b, c');
  });

  it('counts the ids that do not fit', () => {
    expect(idList(['a'.repeat(SMS_MAX_CHARS)], 0)).toBe(' +1 more');
    expect(idList(['a', 'b'], SMS_MAX_CHARS - 1)).toBe(' +2 more');
  });

  it('keeps room for the count of the rest', () => {
    const ids = Array.from({ length: 10 }, (_, n) => String(n));
    // ` 0` (2) and ` +9 more` (8) fit exactly in the last 10 characters; a second id does not.
    expect(idList(ids, SMS_MAX_CHARS - 10)).toBe(' 0 +9 more');
    expect(idList(ids, SMS_MAX_CHARS - 9)).toBe(' +10 more');
    // ` 0, 1` (5) and ` +8 more` (8) fit exactly in the last 13.
    expect(idList(ids, SMS_MAX_CHARS - 13)).toBe(' 0, 1 +8 more');
  });
});

describe('smsSafe', () => {
  it('drops square brackets of either width and bounds the text', () => {
    expect(smsSafe('a[b]c【d】e')).toBe('abcde');
    expect(Array.from(smsSafe('x'.repeat(600)))).toHaveLength(SMS_MAX_CHARS);
  });
});

describe('payloadEvent', () => {
  it('carries the policy action of an event that reports one', () => {
    expect(payloadEvent(action(1))).toMatchObject({ id: 'id-1', action: { type: 'receive', mode: 'enforce', outcome: 'done', reason: 'r' } });
    expect(payloadEvent(event(1))).not.toHaveProperty('action');
  });
});

describe('orderEvents', () => {
  it('keeps services in the order they first appear; within one, alerts by urgency, then policy actions', () => {
    const events = [
      action(1, { serviceId: 'svc-b' }),
      event(2, { serviceId: 'svc-b', to: 'pendingAcceptance' }),
      event(3, { serviceId: 'svc-a', to: 'failed' }),
      event(4, { serviceId: 'svc-b', to: 'accepted' }),
      event(5, { serviceId: 'svc-b', to: 'rejected' }),
      event(6, { serviceId: 'svc-b', to: 'failed' }),
    ];
    expect(orderEvents(events).map((e) => e.id)).toEqual(['id-6', 'id-5', 'id-2', 'id-4', 'id-1', 'id-3']);
  });
});

describe('countByStatus', () => {
  it('counts the most urgent first, then the other statuses alphabetically', () => {
    const events = ['zeta', 'pendingAcceptance', 'alpha', 'rejected', 'failed', 'pendingAcceptance'].map((to, n) => event(n, { to }));
    expect(countByStatus(events)).toBe('1 failed, 1 rejected, 2 pendingAcceptance, 1 alpha, 1 zeta');
    expect(countByStatus(events, true)).toBe('1 failed, 1 rejected, 2 pending, 1 alpha, 1 zeta');
  });
});

describe('door events and who made a change', () => {
  const door = (kind: NonNullable<AlertEvent['door']>['kind'], extra: Partial<AlertEvent> = {}): AlertEvent =>
    event(90, { connectionId: '', domainId: '', to: kind, door: { kind }, ...extra });

  it('says what each door change means, with the accounts listed', () => {
    const text = serviceBlocks([
      door('approval-off'),
      door('approval-on'),
      door('open-to-all'),
      door('whitelist-changed', { door: { kind: 'whitelist-changed', added: ['aaa', '*'], removed: ['b\u202eb'] } }),
    ]);
    expect(text).toContain('door: connection approval switched OFF: from now on every whitelisted account is accepted without review');
    expect(text).toContain('door: connection approval switched on');
    expect(text).toContain('door: whitelist opened to EVERY account (*)');
    expect(text).toContain('door: whitelist gained aaa, * (every account); whitelist lost b?b');
  });

  it('names who rejected, cleaned and bounded, and says when nobody is known yet', () => {
    const hostile = `Mallory\u202e\nSubject: accept ${'x'.repeat(200)}`;
    const named = serviceBlocks([event(1, { to: 'rejected', attribution: { source: 'trace', user: hostile, userType: 'IAMUser', accountName: 'acme', sourceIp: '192.0.2.1', traceId: 'tr-1' } })]);
    expect(named).toMatch(/by Mallory Subject: accept x+… \(IAMUser, account acme\) from 192\.0\.2\.1, trace tr-1/);
    expect(named).not.toContain('\u202e');
    expect(named.split('\n').filter(Boolean)).toHaveLength(2);
    expect(serviceBlocks([event(1, { to: 'rejected', attribution: { source: 'pending' } })])).toContain('by: not known yet');
    expect(serviceBlocks([event(1, { to: 'rejected', attribution: { source: 'unknown' } })])).toContain('by: unknown');
    expect(serviceBlocks([event(1, { to: 'rejected' })])).not.toContain('by');
  });

  it('puts open doors first, counts them by kind, and gives machines the door and who', () => {
    const events = [event(1, { to: 'failed' }), door('open-to-all'), event(2, { to: 'rejected', attribution: { source: 'trace', user: 'alice' } })];
    expect(orderEvents(events).map((e) => e.to)).toEqual(['open-to-all', 'failed', 'rejected']);
    expect(countByStatus(events)).toBe('1 open-to-all, 1 failed, 1 rejected');
    expect(smsText(events, context)).toContain(`open-to-all ${events[1]!.serviceId}`);
    expect(smsText(events, context)).toContain('rejected conn-2 by alice');
    expect(payloadEvent(door('approval-off'))).toMatchObject({ door: { kind: 'approval-off' } });
    expect(payloadEvent(events[2]!)).toMatchObject({ by: { source: 'trace', user: 'alice' } });
  });
});

describe('the opening line with door events', () => {
  const door = event(90, { connectionId: '', domainId: '', to: 'approval-off', door: { kind: 'approval-off' } });
  it('says a door changed, alone or beside connections', () => {
    expect(intro([door], context)).toMatch(/^The door of a VPC endpoint service changed/);
    expect(intro([door, event(1)], context)).toMatch(/^VPC Endpoint connections entered alert states, and the door of a service changed\./);
    expect(intro([event(1), event(2, { to: 'accepted', door: { kind: 'accepted-without-review' } })], context)).toMatch(/^VPC Endpoint connections entered alert states\.\n/);
  });
});
