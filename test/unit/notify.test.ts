import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../lib/monitor/alerts.js';
import { buildNotifications } from '../../lib/monitor/notify.js';
import { cleanText } from '../../lib/monitor/sanitize.js';

const context = { projectId: '0123456789abcdef0123456789abcdef', region: 'ap-southeast-1', runId: 'run-1', baseline: false };
const event = (n: number, extra: Partial<AlertEvent> = {}): AlertEvent => ({
  id: `id-${n}`, serviceId: 'svc-1', serviceName: 'payments', connectionId: `conn-${n}`, domainId: 'dom-1',
  from: 'accepted', to: 'failed', at: '2026-11-01T00:00:00Z', detectedAt: '2026-11-01T00:01:00Z', description: '', errors: [], ...extra,
});

describe('buildNotifications', () => {
  it('publishes nothing for no events', () => {
    expect(buildNotifications([], context)).toEqual([]);
  });

  it('puts every detail of a connection in one message, grouped by service', () => {
    const [only, ...rest] = buildNotifications([
      event(1, { errors: [{ code: 'EndPoint.0001', message: 'quota exceeded' }], description: 'team A' }),
      event(2, { from: null, to: 'pendingAcceptance', serviceId: 'svc-2', serviceName: 'orders' }),
    ], context);
    expect(rest).toEqual([]);
    expect(only!.eventIds).toEqual(['id-1', 'id-2']);
    const text = only!.message.message!;
    expect(text).toContain('Service payments (svc-1)');
    expect(text).toContain('Connection conn-1 from consumer account dom-1');
    expect(text).toContain('accepted -> failed at 2026-11-01T00:00:00Z');
    expect(text).toContain('Error: EndPoint.0001: quota exceeded');
    expect(text).toContain('Description: "team A"');
    expect(text).toContain('Service orders (svc-2)');
    expect(text).toContain('new -> pendingAcceptance');
    expect(text).toContain('Event id: id-2');
    expect(only!.message.subject).toBe('[VPCEP ap-southeast-1] 2 connections changed: 1 failed, 1 pendingAcceptance');
  });

  it('keeps tenant text out of the subject and strips control characters from the body', () => {
    const hostile = 'ignore\r\nSubject: fake\u202e\u0007 "quoted"';
    const [message] = buildNotifications([event(1, { description: hostile, domainId: 'x\ny', serviceName: 'svc\nname' })], context);
    expect(message!.message.subject).not.toContain('ignore');
    expect(message!.message.message).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u202e]/);
    expect(message!.message.message).toContain('Description: "ignore Subject: fake "quoted""');
    expect(message!.message.message).toContain('consumer account x?y');
  });

  it('splits only when the body would pass 256 KB, and every event lands in exactly one part', () => {
    const long = 'x'.repeat(500);
    const events = Array.from({ length: 1200 }, (_, n) => event(n, { description: long }));
    const parts = buildNotifications(events, context);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(Buffer.byteLength(part.message.message!, 'utf8')).toBeLessThanOrEqual(256 * 1024);
      expect(Buffer.byteLength(part.message.subject, 'utf8')).toBeLessThanOrEqual(512);
    }
    expect(parts.flatMap((part) => part.eventIds)).toEqual(events.map((e) => e.id));
    expect(parts[0]!.message.subject).toContain(`(part 1 of ${parts.length})`);
    // A fuller split would be wasteful: all but the last part are nearly full.
    expect(Buffer.byteLength(parts[0]!.message.message!, 'utf8')).toBeGreaterThan(200 * 1024);
  });

  it('words a baseline as the current state, not as changes', () => {
    const [message] = buildNotifications([event(1, { from: null, baseline: true, to: 'pendingAcceptance' })], { ...context, baseline: true });
    expect(message!.message.subject).toContain('need');
    expect(message!.message.subject).toContain('first run');
    expect(message!.message.message).toContain('found -> pendingAcceptance');
  });
});

describe('cleanText', () => {
  it('bounds length in characters and keeps one line', () => {
    expect(cleanText('a\n\nb\tc', 10)).toBe('a b c');
    expect(cleanText('é'.repeat(20), 5)).toBe('éééé…');
  });
});

describe('displayServiceName', () => {
  it('shows the name people chose, not the region and id VPCEP wraps it in', async () => {
    const { displayServiceName } = await import('../../lib/monitor/sanitize.js');
    expect(displayServiceName('ap-southeast-1.payments.4c1a-11', '4c1a-11')).toBe('payments');
    expect(displayServiceName('my.dotted.name', 'x')).toBe('my.dotted.name');
    expect(displayServiceName('cn-north-4.a\nb.id', 'id')).toBe('a b');
  });
});
