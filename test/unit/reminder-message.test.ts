import { describe, expect, it } from 'vitest';
import { PAYLOAD_SCHEMA } from '../../lib/monitor/message-text.js';
import { buildReminder, type Reminder } from '../../lib/monitor/reminder-message.js';

const context = { projectId: 'p1', region: 'ap-southeast-1', runId: 'run-1' };
const HOUR = 3_600_000;
const request = (connectionId: string, waitingMs: number, extra: Partial<Reminder> = {}): Reminder => ({
  serviceId: 'svc-1', serviceName: 'payments', connectionId, domainId: 'dom-1', description: '', since: '2026-11-01T00:00:00Z', waitingMs, ...extra,
});

describe('buildReminder', () => {
  it('words every protocol for several requests, longest first', () => {
    const reminder = buildReminder([request('c-short', 25 * HOUR), request('c-long', 73 * HOUR, { description: 'team B' })], context, 24 * HOUR);
    expect(reminder.kind).toBe('reminder');
    expect(reminder.eventIds).toEqual([]);
    expect(reminder.events).toEqual([]);
    const { sms, email } = reminder.message.structure;
    expect(sms).toBe('VPCEP ap-southeast-1: 2 requests waiting over 24h: c-long, c-short');
    expect(email).toBe([
      'These requests have been pendingAcceptance for over 24h. Accept or reject them; this reminder repeats every 24h while they wait.',
      'Project p1, region ap-southeast-1.',
      '',
      '  - c-long to payments: waiting 3d 1h (since 2026-11-01T00:00:00Z), consumer dom-1, description "team B"',
      '  - c-short to payments: waiting 25h (since 2026-11-01T00:00:00Z), consumer dom-1',
      '',
      'Run run-1.',
      '',
    ].join('\n'));
    expect(JSON.parse(reminder.message.structure.default)).toEqual({
      schema: PAYLOAD_SCHEMA, type: 'reminder', runId: 'run-1', projectId: 'p1', region: 'ap-southeast-1',
      events: [
        { serviceId: 'svc-1', serviceName: 'payments', connectionId: 'c-long', domainId: 'dom-1', status: 'pendingAcceptance', since: '2026-11-01T00:00:00Z', waitingSeconds: 73 * 3600, description: 'team B' },
        { serviceId: 'svc-1', serviceName: 'payments', connectionId: 'c-short', domainId: 'dom-1', status: 'pendingAcceptance', since: '2026-11-01T00:00:00Z', waitingSeconds: 25 * 3600, description: '' },
      ],
    });
  });

  it('says one request in the singular, in SMS too', () => {
    const reminder = buildReminder([request('c1', 2 * HOUR)], context, HOUR);
    expect(reminder.message.structure.sms).toBe('VPCEP ap-southeast-1: 1 request waiting over 1h: c1');
  });
});

describe('buildReminder at 256,000 bytes', () => {
  const LIMIT = 256_000;
  const bodyBytes = (message: { subject: string; structure?: object }) =>
    Buffer.byteLength(JSON.stringify({ subject: message.subject, message_structure: JSON.stringify(message.structure) }), 'utf8');
  const listed = (reminder: ReturnType<typeof buildReminder>) => (JSON.parse(reminder.message.structure.default) as { events: unknown[] }).events.length;

  it('lists every request of a reminder of exactly 256,000 bytes of body', () => {
    // Past the 200 characters the e-mail shows, each byte of a description adds one to the body.
    const requests = (size: number) => [request('c1', 2 * HOUR, { description: 'z'.repeat(size) }), request('c2', HOUR)];
    const measured = bodyBytes(buildReminder(requests(1000), context, HOUR).message);
    const reminder = buildReminder(requests(1000 + LIMIT - measured), context, HOUR);
    expect(bodyBytes(reminder.message)).toBe(LIMIT);
    expect(listed(reminder)).toBe(2);
  });

  it('sends a single request too large for any publish as it is, for SMN to refuse', () => {
    const reminder = buildReminder([request('c1', 2 * HOUR, { description: 'z'.repeat(300_000) })], context, HOUR);
    expect(bodyBytes(reminder.message)).toBeGreaterThan(LIMIT);
    expect(listed(reminder)).toBe(1);
  });
});
