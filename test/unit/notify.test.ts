import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../lib/monitor/alerts.js';
import { buildNotifications, PAYLOAD_SCHEMA, publishBodyBytes, SMS_MAX_CHARS } from '../../lib/monitor/notify.js';
import { buildReminder } from '../../lib/monitor/reminder-message.js';
import { cleanText, displayServiceName } from '../../lib/monitor/sanitize.js';
import { LOCAL_CLI } from '../../lib/text.js';

const context = { projectId: '0123456789abcdef0123456789abcdef', region: 'ap-southeast-1', runId: 'run-1', baseline: false };
const event = (n: number, extra: Partial<AlertEvent> = {}): AlertEvent => ({
  id: `id-${n}`, serviceId: 'svc-1', serviceName: 'payments', connectionId: `conn-${n}`, domainId: 'dom-1',
  from: 'accepted', to: 'failed', at: '2026-11-01T00:00:00Z', detectedAt: '2026-11-01T00:01:00Z', description: '', errors: [], ...extra,
});
// The strictest reading of SMN's "256 KB": 256,000 bytes of the whole request body, measured here
// independently of the code's own arithmetic.
const LIMIT = 256_000;
const bodyBytes = (message: { subject: string; structure?: object }) =>
  Buffer.byteLength(JSON.stringify({ subject: message.subject, message_structure: JSON.stringify(message.structure) }), 'utf8');

describe('buildNotifications', () => {
  it('publishes nothing for no events', () => {
    expect(buildNotifications([], context)).toEqual([]);
  });

  it('gives e-mail one line per change, grouped by service, with the error details of a failure', () => {
    const [only, ...rest] = buildNotifications([
      event(1, { errors: [{ code: 'EndPoint.0001', message: 'quota exceeded' }], description: 'team A' }),
      event(2, { from: null, to: 'pendingAcceptance', serviceId: 'svc-2', serviceName: 'ap-southeast-1.orders.svc-2' }),
      event(3, { to: 'rejected' }),
    ], context);
    expect(rest).toEqual([]);
    expect(only!.eventIds).toEqual(['id-1', 'id-3', 'id-2']);
    const email = only!.message.structure.email;
    const lines = email.split('\n');
    expect(lines).toContain('payments (svc-1)');
    expect(lines).toContain('  - conn-1: accepted -> failed at 2026-11-01T00:00:00Z, consumer dom-1, error EndPoint.0001: quota exceeded, description "team A" (event id-1)');
    expect(lines).toContain('  - conn-3: accepted -> rejected at 2026-11-01T00:00:00Z, consumer dom-1 (event id-3)');
    expect(lines).toContain('orders (svc-2)');
    expect(lines).toContain('  - conn-2: new -> pendingAcceptance at 2026-11-01T00:00:00Z, consumer dom-1 (event id-2)');
    expect(only!.message.subject).toBe('[VPCEP ap-southeast-1] 3 connections changed: 1 failed, 1 rejected, 1 pendingAcceptance');
  });

  it('gives machines parseable JSON with every event of the publish, once, as the default every other protocol receives', () => {
    const events = [event(1, { errors: [{ code: 'E', message: 'm' }] }), event(2, { from: null, to: 'pendingAcceptance', description: 'q"uote' })];
    const [only] = buildNotifications(events, context);
    expect(Object.keys(only!.message.structure).sort()).toEqual(['default', 'email', 'sms']);
    const payload = JSON.parse(only!.message.structure.default) as { schema: string; runId: string; projectId: string; region: string; events: Record<string, unknown>[] };
    expect(payload).toMatchObject({ schema: PAYLOAD_SCHEMA, runId: 'run-1', projectId: context.projectId, region: 'ap-southeast-1' });
    expect(payload.events).toEqual([
      { id: 'id-1', serviceId: 'svc-1', serviceName: 'payments', connectionId: 'conn-1', domainId: 'dom-1', from: 'accepted', to: 'failed', at: '2026-11-01T00:00:00Z', detectedAt: '2026-11-01T00:01:00Z', description: '', error: [{ code: 'E', message: 'm' }] },
      { id: 'id-2', serviceId: 'svc-1', serviceName: 'payments', connectionId: 'conn-2', domainId: 'dom-1', from: null, to: 'pendingAcceptance', at: '2026-11-01T00:00:00Z', detectedAt: '2026-11-01T00:01:00Z', description: 'q"uote', error: null },
    ]);
  });

  it('cleans every text of the machines’ JSON as the e-mail’s: no control, bidi or zero-width character survives', () => {
    const hostile = 'ok\r\nX-Injected: 1\u0000\u001b[31m\u202etxt.exe\u200b\u2066\ufeff\u0085 end';
    const [only] = buildNotifications([event(1, {
      description: hostile, domainId: `dom\n${hostile}`, connectionId: 'conn\u202e-1', serviceName: `pay\u200bments`,
      errors: [{ code: 'E\u0007', message: hostile }],
      action: { type: 'reject', mode: 'enforce', outcome: 'failed', reason: `why\r\n${hostile}`, error: hostile },
    })], context);
    const json = only!.message.structure.default;
    const visible = (text: string) => expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/);
    // The escaped forms too: JSON.stringify writes some controls as \uXXXX, which a parser turns back.
    expect(json).not.toMatch(/\\u00[01][0-9a-f]|\\u202e|\\r|\\n/i);
    const [parsed] = (JSON.parse(json) as { events: Record<string, unknown>[] }).events;
    visible(JSON.stringify(parsed));
    const walk = (value: unknown): void => {
      if (typeof value === 'string') visible(value);
      else if (value && typeof value === 'object') Object.values(value).forEach(walk);
    };
    walk(parsed);
    expect(parsed!.description).toBe('ok X-Injected: 1 [31m txt.exe end');
    expect(parsed!.description).toBe(cleanText(hostile, 512));
  });

  it('keeps SMS within 490 characters, without brackets, with counts and the most urgent ids first', () => {
    const events = [
      ...Array.from({ length: 40 }, (_, n) => event(n, { to: 'pendingAcceptance', connectionId: `pend-${n}-aaaaaaaa-bbbb-cccc-dddd` })),
      event(100, { to: 'failed', connectionId: 'fail-[1]-【x】' }),
      event(101, { to: 'rejected', connectionId: 'rej-1' }),
    ];
    const sms = buildNotifications(events, context)[0]!.message.structure.sms;
    expect(Array.from(sms).length).toBeLessThanOrEqual(SMS_MAX_CHARS);
    expect(sms).not.toMatch(/[[\]【】]/);
    expect(sms).toMatch(/^VPCEP ap-southeast-1: 1 failed, 1 rejected, 40 pending\. failed fail-\?1\?-\?x\?, rejected rej-1, pending pend-0/);
    expect(sms).toMatch(/\+\d+ more$/);
  });

  it('keeps tenant text out of the subject and strips control characters from every text', () => {
    const hostile = 'ignore\r\nSubject: fake\u202e\u0007 "quoted"';
    const [message] = buildNotifications([event(1, { description: hostile, domainId: 'x\ny', serviceName: 'svc\nname' })], context);
    expect(message!.message.subject).not.toMatch(/ignore|svc/);
    for (const text of [message!.message.structure.email, message!.message.structure.sms]) {
      expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u202e]/);
    }
    expect(message!.message.structure.email).toContain('description "ignore Subject: fake "quoted""');
    expect(message!.message.structure.email).toContain('consumer x?y');
  });

  it('splits a burst into as few publishes as fit 256,000 bytes of body: summaries for people, the full list for machines', () => {
    const long = 'x'.repeat(500);
    const events = Array.from({ length: 3000 }, (_, n) => event(n, { description: long, serviceId: `svc-${n % 3}` }));
    const parts = buildNotifications(events, context);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(bodyBytes(part.message)).toBeLessThanOrEqual(LIMIT);
      expect(Buffer.byteLength(part.message.subject, 'utf8')).toBeLessThanOrEqual(512);
      expect(part.message.structure.email).toContain('This burst is too large for one message: 3000 events');
      expect(part.message.structure.email.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(25);
    }
    const delivered = parts.flatMap((part) => (JSON.parse(part.message.structure.default) as { events: { id: string }[] }).events.map((e) => e.id));
    expect(delivered.sort()).toEqual(events.map((e) => e.id).sort());
    expect(parts.flatMap((part) => part.eventIds).sort()).toEqual(delivered);
    // As few as fit: every part but the last is nearly full.
    for (const part of parts.slice(0, -1)) expect(bodyBytes(part.message)).toBeGreaterThan(LIMIT * 0.9);
    expect(parts[0]!.message.subject).toContain(`(part 1 of ${parts.length})`);
  });

  it('words a baseline as the current state, not as changes', () => {
    const [message] = buildNotifications([event(1, { from: null, baseline: true, to: 'pendingAcceptance' })], { ...context, baseline: true });
    expect(message!.message.subject).toBe('[VPCEP ap-southeast-1] 1 connection needs attention (first run)');
    expect(message!.message.structure.email).toContain('conn-1: found -> pendingAcceptance');
    expect(JSON.parse(message!.message.structure.default)).toMatchObject({ type: 'baseline' });
  });

  it('reports approval policy actions, their reasons and failures', () => {
    const action = (n: number, outcome: 'done' | 'failed' | 'planned', type: 'receive' | 'reject') =>
      event(n, { from: 'pendingAcceptance', to: type === 'receive' ? 'accepted' : 'rejected', action: { type, mode: outcome === 'planned' ? 'dry-run' : 'enforce', outcome, reason: 'the consumer domain is on AUTO_ACCEPT_DOMAINS', ...(outcome === 'failed' ? { error: 'HTTP 400 EndPoint.0002' } : {}) } });
    const [message] = buildNotifications([event(9, { to: 'pendingAcceptance', from: null }), action(1, 'done', 'receive'), action(2, 'failed', 'reject'), action(3, 'planned', 'receive')], context);
    const email = message!.message.structure.email;
    expect(message!.message.subject).toBe('[VPCEP ap-southeast-1] 1 connection changed: 1 pendingAcceptance; 3 approval policy actions');
    expect(email).toContain('conn-1: approval policy accepted; why: the consumer domain is on AUTO_ACCEPT_DOMAINS');
    expect(email).toContain('conn-2: approval policy FAILED to reject: HTTP 400 EndPoint.0002; why:');
    expect(email).toContain('conn-3: approval policy would accept (dry run); why:');
    expect(message!.message.structure.sms).toContain('3 policy actions');
  });
});

describe('buildNotifications at the edges', () => {
  const action = (n: number): AlertEvent => event(n, { from: 'pendingAcceptance', to: 'accepted', action: { type: 'receive', mode: 'enforce', outcome: 'done', reason: 'r' } });

  it('heads a message of policy actions alone with their count', () => {
    expect(buildNotifications([action(1)], context)[0]!.message.subject).toBe('[VPCEP ap-southeast-1] 1 approval policy action');
    expect(buildNotifications([action(1), action(2)], context)[0]!.message.subject).toBe('[VPCEP ap-southeast-1] 2 approval policy actions');
    expect(buildNotifications([action(1), event(2)], context)[0]!.message.subject).toBe('[VPCEP ap-southeast-1] 1 connection changed: 1 failed; 1 approval policy action');
  });

  it('names the first 25 services of a burst and counts the rest', () => {
    const events = Array.from({ length: 3000 }, (_, n) => event(n, { description: 'x'.repeat(500), serviceId: `svc-${n % 30}` }));
    const [first] = buildNotifications(events, context);
    expect(first!.message.structure.email).toContain('\n  ...and 5 more services.\n');
  });

  it('sends an event too large for any publish on its own, for SMN to refuse and delivery to set aside', () => {
    const huge = event(1, { description: 'y'.repeat(300_000) });
    const parts = buildNotifications([huge, event(2)], context);
    expect(parts.map((part) => part.eventIds)).toEqual([['id-1'], ['id-2']]);
    expect(bodyBytes(parts[0]!.message)).toBeGreaterThan(LIMIT);
    expect(bodyBytes(parts[1]!.message)).toBeLessThanOrEqual(LIMIT);
  });
});

describe('the words of a notice when something is missing', () => {
  it('says "no new alerts" when there are only policy actions, and counts them for SMS', () => {
    const action = event(1, { from: 'pendingAcceptance', to: 'accepted', action: { type: 'receive', mode: 'enforce', outcome: 'done', reason: 'r' } });
    const [message] = buildNotifications([action], context);
    expect(message!.message.structure.email).toContain('Project 0123456789abcdef0123456789abcdef, region ap-southeast-1: no new alerts.\n');
    expect(message!.message.structure.sms).toMatch(/^VPCEP ap-southeast-1: no new alerts; 1 policy action\b/);
  });

  it('names an unknown consumer, error code and service rather than print nothing', () => {
    const [message] = buildNotifications([event(1, { domainId: '', serviceName: '', errors: [{ code: '', message: 'boom' }] })], context);
    const email = message!.message.structure.email;
    expect(email).toContain('  - conn-1: accepted -> failed at 2026-11-01T00:00:00Z, consumer unknown, error unknown: boom (event id-1)');
    expect(email.split('\n')).toContain('Service (svc-1)');
  });

  it('marks a first run in SMS', () => {
    const [message] = buildNotifications([event(1, { from: null, baseline: true, to: 'failed' })], { ...context, baseline: true });
    expect(message!.message.structure.sms).toMatch(/^VPCEP ap-southeast-1 first run: /);
  });
});

describe('publishBodyBytes', () => {
  it('measures a plain message as the adapter sends it', () => {
    expect(publishBodyBytes({ subject: 'é', message: 'ab' })).toBe(Buffer.byteLength(JSON.stringify({ subject: 'é', message: 'ab' })));
    expect(publishBodyBytes({ subject: 's' })).toBe(Buffer.byteLength(JSON.stringify({ subject: 's', message: '' })));
  });
});

describe('buildReminder', () => {
  it('lists the waiting requests, longest first, for every protocol', () => {
    const reminder = buildReminder([
      { serviceId: 's', serviceName: 'payments', connectionId: 'c-short', domainId: 'd', description: '', since: '2026-11-01T00:00:00Z', waitingMs: 25 * 3_600_000 },
      { serviceId: 's', serviceName: 'payments', connectionId: 'c-long', domainId: 'd', description: 'team B', since: '2026-10-30T00:00:00Z', waitingMs: 73 * 3_600_000 },
    ], { projectId: context.projectId, region: context.region, runId: 'r' }, 24 * 3_600_000);
    expect(reminder.message.subject).toBe('[VPCEP ap-southeast-1] 2 connection requests still waiting for acceptance');
    const email = reminder.message.structure.email;
    expect(email.indexOf('c-long')).toBeLessThan(email.indexOf('c-short'));
    expect(email).toContain('c-long to payments: waiting 3d 1h (since 2026-10-30T00:00:00Z), consumer d, description "team B"');
    expect(email).toContain('for over 24h');
    expect(JSON.parse(reminder.message.structure.default)).toMatchObject({ type: 'reminder', events: [{ connectionId: 'c-long', waitingSeconds: 73 * 3600 }, { connectionId: 'c-short' }] });
    expect(Array.from(reminder.message.structure.sms).length).toBeLessThanOrEqual(SMS_MAX_CHARS);
    expect(reminder.eventIds).toEqual([]);
  });

  it('names an unknown consumer, and says one request in the singular', () => {
    const reminder = buildReminder([{ serviceId: 's', serviceName: 'payments', connectionId: 'c1', domainId: '', description: '', since: 'S', waitingMs: 3_600_000 }], { projectId: context.projectId, region: context.region, runId: 'r' }, 3_600_000);
    expect(reminder.message.subject).toBe('[VPCEP ap-southeast-1] 1 connection request still waiting for acceptance');
    expect(reminder.message.structure.email).toContain('  - c1 to payments: waiting 1h (since S), consumer unknown\n');
    expect(reminder.message.structure.email).not.toContain('more.');
  });

  it('lists the longest-waiting requests of a backlog too large for one publish, and counts the rest', () => {
    const many = Array.from({ length: 3000 }, (_, n) => ({ serviceId: 's', serviceName: 'payments', connectionId: `c${n}`, domainId: 'd', description: 'z'.repeat(300), since: 'S', waitingMs: (n + 1) * 3_600_000 }));
    const reminder = buildReminder(many, { projectId: context.projectId, region: context.region, runId: 'r' }, 3_600_000);
    expect(bodyBytes(reminder.message)).toBeLessThanOrEqual(LIMIT);
    expect(bodyBytes(reminder.message)).toBeGreaterThan(LIMIT * 0.7);
    const listed = reminder.message.structure.email.split('\n').filter((line) => line.startsWith('  - '));
    const payload = JSON.parse(reminder.message.structure.default) as { events: { connectionId: string }[] };
    expect(payload.events.map((e) => e.connectionId)).toEqual(listed.map((line) => line.split(' ')[3]));
    expect(listed[0]).toMatch(/^ {2}- c2999 /);
    expect(reminder.message.structure.email).toContain(`\n  ...and ${3000 - listed.length} more.\n`);
    expect(reminder.message.subject).toContain('3000 connection requests');
  });

  it('cleans the tenant’s text in the machines’ JSON too', () => {
    const reminder = buildReminder([
      { serviceId: 's', serviceName: 'payments', connectionId: 'c', domainId: 'd\u202e', description: 'a\r\nb\u200b\u0000c', since: '2026-11-01T00:00:00Z', waitingMs: 25 * 3_600_000 },
    ], { projectId: context.projectId, region: context.region, runId: 'r' }, 24 * 3_600_000);
    expect(JSON.parse(reminder.message.structure.default)).toMatchObject({ events: [{ domainId: 'd', description: 'a b c' }] });
  });
});

describe('cleanText', () => {
  it('bounds length in characters and keeps one line', () => {
    expect(cleanText('a\n\nb\tc', 10)).toBe('a b c');
    expect(cleanText('é'.repeat(20), 5)).toBe('éééé…');
  });
});

describe('displayServiceName', () => {
  it('shows the name people chose, not the region and id VPCEP wraps it in', () => {
    expect(displayServiceName('ap-southeast-1.payments.4c1a-11', '4c1a-11')).toBe('payments');
    expect(displayServiceName('my.dotted.name', 'x')).toBe('my.dotted.name');
    expect(displayServiceName('cn-north-4.a\nb.id', 'id')).toBe('a b');
  });
});

describe('buildNotifications, word for word', () => {
  const pid = context.projectId;
  const action = (n: number): AlertEvent => event(n, { from: 'pendingAcceptance', to: 'accepted', action: { type: 'receive', mode: 'enforce', outcome: 'done', reason: 'r' } });

  it('counts a first run of several connections, and its policy actions, in the subject', () => {
    const baseline = { ...context, baseline: true };
    const found = (n: number) => event(n, { from: null, baseline: true });
    expect(buildNotifications([found(1), found(2), action(3)], baseline)[0]!.message.subject).toBe('[VPCEP ap-southeast-1] 2 connections need attention (first run); 1 approval policy action');
  });

  it('marks the JSON of changes as changes, and of a single publish without part numbers', () => {
    const payload = JSON.parse(buildNotifications([event(1)], context)[0]!.message.structure.default) as Record<string, unknown>;
    expect(payload.type).toBe('changes');
    expect(payload).not.toHaveProperty('part');
    expect(payload).not.toHaveProperty('parts');
  });

  it('gives people of every part of a burst the same summary, and machines the part numbers', () => {
    const long = 'x'.repeat(500);
    const events = Array.from({ length: 3000 }, (_, n) => event(n, { description: long, serviceId: `svc-${n % 3}` }));
    const parts = buildNotifications(events, context);
    const count = parts.length;
    parts.forEach((part, index) => {
      expect(JSON.parse(part.message.structure.default)).toMatchObject({ type: 'changes', part: index + 1, parts: count });
      expect(part.message.subject).toBe(`[VPCEP ap-southeast-1] 3000 connections changed: 3000 failed (part ${index + 1} of ${count})`);
      expect(part.message.structure.email).toBe([
        'VPC Endpoint connections entered alert states.',
        `Project ${pid}, region ap-southeast-1: 3000 failed.`,
        '',
        `This burst is too large for one message: 3000 events in ${count} messages (this is part ${index + 1}). People get this summary in each; the JSON for HTTP/HTTPS/FunctionGraph subscribers carries every event, and so does the audit trail ("${LOCAL_CLI} audit").`,
        '',
        'By service:',
        '  payments: 1000 failed',
        '  payments: 1000 failed',
        '  payments: 1000 failed',
        '',
        'Most urgent 25:',
        'payments (svc-0)',
        ...Array.from({ length: 25 }, (_, k) => `  - conn-${3 * k}: accepted -> failed at 2026-11-01T00:00:00Z, consumer dom-1, description "${long}" (event id-${3 * k})`),
        '  ...and 2975 more.',
        '',
        'Run run-1. Each event id is stable: if a message repeats an id you have seen, it is a repeat delivery.',
        '',
      ].join('\n'));
    });
  });

  it('lists all of a burst of exactly 25 events in 25 services, with nothing left to count', () => {
    const events = Array.from({ length: 25 }, (_, n) => event(n, { description: 'y'.repeat(12_000), serviceId: `svc-${n}`, serviceName: `name-${n}` }));
    const parts = buildNotifications(events, context);
    expect(parts.length).toBeGreaterThan(1);
    const email = parts[0]!.message.structure.email;
    const lines = email.split('\n');
    const byService = lines.slice(lines.indexOf('By service:') + 1, lines.indexOf('Most urgent 25:') - 1);
    expect(byService).toEqual(Array.from({ length: 25 }, (_, n) => `  name-${n}: 1 failed`));
    expect(email).not.toContain('more');
    expect(email).toContain(`(event id-24)\n\n\nRun run-1.`);
  });

  it('names at most 25 services in a burst', () => {
    const events = Array.from({ length: 3000 }, (_, n) => event(n, { description: 'x'.repeat(500), serviceId: `svc-${n % 30}`, serviceName: `name-${n % 30}` }));
    const lines = buildNotifications(events, context)[0]!.message.structure.email.split('\n');
    expect(lines.slice(lines.indexOf('By service:') + 1, lines.indexOf('  ...and 5 more services.'))).toEqual(Array.from({ length: 25 }, (_, n) => `  name-${n}: 100 failed`));
  });
});

describe('buildNotifications at 256,000 bytes', () => {
  // Every byte of a description past the 512 the e-mail shows adds one byte to the body (in the JSON).
  const sized = (events: (size: number) => AlertEvent[], bytes: number) => {
    const measured = bodyBytes(buildNotifications(events(1000), context)[0]!.message);
    return events(1000 + bytes - measured);
  };

  it('publishes a message of exactly 256,000 bytes of body whole', () => {
    const events = sized((size) => [event(1, { description: 'd'.repeat(size) })], LIMIT);
    const parts = buildNotifications(events, context);
    expect(parts).toHaveLength(1);
    expect(bodyBytes(parts[0]!.message)).toBe(LIMIT);
    expect(parts[0]!.message.subject).toBe('[VPCEP ap-southeast-1] 1 connection changed: 1 failed');
  });

  it('splits a message one byte over, though its events alone would fit', () => {
    const events = sized((size) => [event(1, { description: 'a'.repeat(100_000) }), event(2, { description: 'b'.repeat(size) })], LIMIT + 1);
    const parts = buildNotifications(events, context);
    expect(parts.map((part) => part.eventIds)).toEqual([['id-1'], ['id-2']]);
    for (const part of parts) expect(bodyBytes(part.message)).toBeLessThanOrEqual(LIMIT);
  });
});

describe('buildNotifications packs a burst tightly', () => {
  it('sends an event too large for any publish alone, and packs the rest of the burst as usual', () => {
    const parts = buildNotifications([event(0, { description: 'y'.repeat(300_000) }), ...Array.from({ length: 300 }, (_, n) => event(n + 1))], context);
    expect(parts.map((part) => part.eventIds.length)).toEqual([1, 300]);
    expect(bodyBytes(parts[1]!.message)).toBeLessThanOrEqual(LIMIT);
  });

  it('fills every part but the last until the next event would not fit', () => {
    const events = Array.from({ length: 3000 }, (_, n) => event(n, { description: 'x'.repeat(500), serviceId: `svc-${n % 3}` }));
    const parts = buildNotifications(events, context);
    // What one more event costs a part: its JSON escaped in the structure and the body, and a comma.
    const cost = (id: string) => {
      const payload = JSON.parse(parts.find((part) => part.eventIds.includes(id))!.message.structure.default) as { events: { id: string }[] };
      return Buffer.byteLength(JSON.stringify(JSON.stringify(JSON.stringify(payload.events.find((e) => e.id === id)))), 'utf8') - 6 + 1;
    };
    parts.slice(0, -1).forEach((part, index) => {
      const next = parts[index + 1]!.eventIds[0]!;
      expect(LIMIT - bodyBytes(part.message)).toBeLessThan(cost(next) + 32);
    });
  });
});

describe('subjects with door events', () => {
  it('counts door changes apart from connections, by kind', async () => {
    const { buildNotifications: build } = await import('../../lib/monitor/notify.js');
    const base = { serviceId: 's', serviceName: 'payments', domainId: '', from: null, at: 'a', detectedAt: 'd', description: '', errors: [] };
    const doors = [
      { ...base, id: 'd1', connectionId: '', to: 'approval-off', door: { kind: 'approval-off' as const } },
      { ...base, id: 'd2', connectionId: '', to: 'open-to-all', door: { kind: 'open-to-all' as const } },
    ];
    const connection = { ...base, id: 'c1', connectionId: 'c1', domainId: 'x', to: 'failed' };
    const context = { projectId: 'p', region: 'ap-southeast-1', runId: 'r', baseline: false };
    expect(build(doors, context)[0]!.message.subject).toBe('[VPCEP ap-southeast-1] 2 door changes (1 open-to-all, 1 approval-off)');
    expect(build([doors[0]!, connection], context)[0]!.message.subject).toBe('[VPCEP ap-southeast-1] 1 door change (1 approval-off); 1 connection changed');
  });
});
