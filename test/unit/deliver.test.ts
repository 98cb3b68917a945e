import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { UNLIMITED } from '../../lib/huaweicloud/budget.js';
import type { AlertEvent } from '../../lib/monitor/alerts.js';
import { deliver } from '../../lib/monitor/deliver.js';
import { ChannelRefusedError } from '../../lib/monitor/errors.js';
import type { Checkpoint, MonitorDeps, PublishReceipt, Publisher, SmnMessage } from '../../lib/monitor/ports.js';
import type { DueReminder } from '../../lib/monitor/reminders.js';
import { emptyState, type MonitorState } from '../../lib/monitor/state.js';
import { failedEvent, FakeObjects, FakeVpcep, memoryLogger } from '../fakes.js';

const PROJECT = '0123456789abcdef0123456789abcdef';
const config = loadConfig((name) => ({ OBS_BUCKET: 'bucket', SMN_TOPIC_URN: `urn:smn:ap-southeast-1:${PROJECT}:alerts`, HUAWEICLOUD_PROJECT_ID: PROJECT })[name]);
const NOW = new Date('2026-11-25T12:00:00Z');
const EARLIER = '2026-11-20T12:00:00.000Z';

const event = failedEvent;

const reminder: DueReminder = {
  key: { serviceId: 'svc-1', connectionId: 'p1' },
  serviceId: 'svc-1',
  serviceName: 'payments',
  connectionId: 'p1',
  domainId: 'domain-1',
  description: '',
  since: EARLIER,
  waitingMs: 5 * 86_400_000,
};

/** What a publish carries: its alerts' connection ids, and the payload's type. */
const payload = (message: SmnMessage) => JSON.parse(message.structure!.default) as { type?: string; events?: { connectionId: string }[] };
const ids = (message: SmnMessage): string[] => (payload(message).events ?? []).map((e) => e.connectionId);

/** SMN's answer as the adapter throws it: HTTP status, SMN code, request id. */
const smnError = (status: number, code?: string) => Object.assign(new Error(`smn:topic:publish failed: HTTP ${status}${code ? ` ${code}` : ''}`), { status, ...(code ? { code } : {}), requestId: 'req-1' });

/** A publisher answering each message as `answer` says: an error to throw, or acceptance. */
class ScriptedPublisher implements Publisher {
  accepted: SmnMessage[] = [];
  constructor(private readonly answer: (message: SmnMessage) => Error | undefined = () => undefined) {}
  async publish(message: SmnMessage): Promise<PublishReceipt> {
    const error = this.answer(message);
    if (error) throw error;
    this.accepted.push(message);
    return { messageId: `m${this.accepted.length}`, requestId: undefined };
  }
}

function world(outbox: AlertEvent[], answer?: (message: SmnMessage) => Error | undefined, objects = new FakeObjects()) {
  const publisher = new ScriptedPublisher(answer);
  const { logger, lines } = memoryLogger();
  const deps: MonitorDeps = { vpcep: new FakeVpcep(), objects, publisher, logger, now: () => NOW, budget: UNLIMITED };
  const state: MonitorState = { ...emptyState(), outbox };
  state.pending.set('svc-1', new Map([['p1', { since: EARLIER, notifiedAt: EARLIER }]]));
  const steps: Checkpoint[] = [];
  const run = (reminders: DueReminder[] = []) => deliver(config, deps, state, reminders, { runId: 'run-1', step: async (step) => { steps.push(step); } });
  const logs = () => lines().map((text) => JSON.parse(text) as Record<string, unknown> & { level: number; msg: string });
  const notifiedAt = () => state.pending.get('svc-1')!.get('p1')!.notifiedAt;
  return { deps, objects, publisher, state, steps, run, logs, notifiedAt };
}

/** An object store whose writes under one prefix fail. */
class FailingObjects extends FakeObjects {
  constructor(private readonly failing: string) {
    super();
  }
  override async put(key: string, parts: string | readonly string[]): Promise<void> {
    if (key.includes(this.failing)) throw new Error(`obs:putObject failed: HTTP 403 AccessDenied (${key})`);
    return super.put(key, parts);
  }
}

describe('deliver', () => {
  it('saves the state without the delivered alerts, then reports the step', async () => {
    const w = world([event('a1')]);
    expect(await w.run()).toMatchObject({ published: 1, undelivered: 0, deadLettered: 0 });
    expect(w.steps).toEqual(['published', 'delivered-saved']);
    expect(w.objects.objects.has('vpcep-monitor/state.json')).toBe(true);
    expect(w.state.generation).toBe(1);
  });

  it('does not count a reminder as told when only an alert was published and the reminder failed', async () => {
    const w = world([event('a1')], (message) => (payload(message).type === 'reminder' ? smnError(500) : undefined));
    const delivery = await w.run([reminder]);
    expect(delivery).toMatchObject({ published: 1, reminderFailed: true });
    expect(w.notifiedAt()).toBe(EARLIER);
  });

  it('does not count a reminder as told when SMN refused an alert and delivery stopped before the reminder', async () => {
    const w = world([event('a1')], (message) => (ids(message).length > 0 ? smnError(400, 'SMN.0021') : undefined));
    const delivery = await w.run([reminder]);
    // The lone refused alert was set aside; the reminder was never offered.
    expect(delivery).toMatchObject({ deadLettered: 1 });
    expect(w.publisher.accepted.map((m) => payload(m).type)).toEqual(['dead-lettered']);
    expect(w.notifiedAt()).toBe(EARLIER);
  });

  it('logs SMN\'s message ids and at most 100 event ids when the delivered records cannot be written', async () => {
    const outbox = Array.from({ length: 120 }, (_, i) => event(`c${String(i).padStart(3, '0')}`));
    const w = world(outbox, undefined, new FailingObjects('/audit/'));
    const delivery = await w.run();
    expect(delivery.error).toBeInstanceOf(Error);
    expect(delivery.undelivered).toBe(0);
    const line = w.logs().find((l) => l.level === 50)!;
    expect(line.messageIds).toEqual(w.publisher.accepted.map((_, i) => `m${i + 1}`));
    expect(line.eventIds).toEqual(outbox.slice(0, 100).map((e) => e.id));
    expect(line.err).toMatchObject({ message: expect.stringContaining('AccessDenied') });
  });

  it('blames the channel when SMN refused an alert and delivery then failed before any was accepted', async () => {
    // a2's publish fails as a channel (HTTP 500): a1's refusal alone, with nothing accepted, says
    // nothing about a1, so it is not set aside.
    const w = world([event('a1'), event('a2')], (message) => {
      const carried = ids(message);
      if (carried.includes('a1')) return smnError(400, 'SMN.0021');
      if (carried.includes('a2')) return smnError(500);
      return undefined;
    });
    const delivery = await w.run();
    expect(delivery).toMatchObject({ deadLettered: 0, undelivered: 2 });
    expect(w.publisher.accepted).toEqual([]);
    expect(w.logs().find((l) => typeof l.refused === 'number')).toMatchObject({ level: 50, refused: 1, accepted: 0 });
  });

  it('names SMN\'s first refusal in the channel error, and logs how many were refused and accepted', async () => {
    const w = world([event('a1'), event('a2'), event('a3')], (message) => (ids(message).length > 0 ? smnError(400, 'SMN.0021') : undefined));
    const delivery = await w.run();
    expect(delivery.error).toBeInstanceOf(ChannelRefusedError);
    expect((delivery.error as Error).message).toBe(
      'SMN refused 2 alert(s) as messages and accepted 0 (HTTP 400 SMN.0021 smn:topic:publish failed: HTTP 400 SMN.0021); refusing most of a delivery points at the topic or the account, not the alerts, so none is set aside and all stay in the outbox',
    );
    expect(delivery).toMatchObject({ deadLettered: 0, undelivered: 3 });
    expect(w.logs().find((l) => l.msg === (delivery.error as Error).message)).toMatchObject({ level: 50, refused: 2, accepted: 0, err: expect.objectContaining({ type: 'ChannelRefusedError' }) });
  });

  it('leaves out of the channel error what SMN did not say', async () => {
    const w = world([event('a1'), event('a2')], (message) => (ids(message).length > 0 ? smnError(400) : undefined));
    const delivery = await w.run();
    expect((delivery.error as Error).message).toContain('accepted 0 (HTTP 400 smn:topic:publish failed: HTTP 400);');
  });

  it('logs the failure when the refused alerts cannot be set aside', async () => {
    const w = world([event('a1'), event('a2')], (message) => (ids(message).includes('a1') ? smnError(400, 'SMN.0021') : undefined), new FailingObjects('/dead-letter/'));
    const delivery = await w.run();
    expect(delivery).toMatchObject({ deadLettered: 0, undelivered: 1 });
    expect(w.logs().find((l) => l.level === 50)).toMatchObject({ err: expect.objectContaining({ message: expect.stringContaining('AccessDenied') }) });
  });

  it('logs SMN\'s refusal of the reminder and of a publish it then splits', async () => {
    const w = world([event('a1'), event('a2')], (message) => (payload(message).type === 'reminder' || ids(message).length > 1 ? smnError(400, 'SMN.0021') : undefined));
    const delivery = await w.run([reminder]);
    expect(delivery).toMatchObject({ published: 2, undelivered: 0 });
    const logs = w.logs();
    expect(logs.find((l) => l.level === 40)).toMatchObject({ events: 2, err: expect.objectContaining({ message: 'smn:topic:publish failed: HTTP 400 SMN.0021' }) });
    expect(logs.find((l) => l.level === 50)).toMatchObject({ err: expect.objectContaining({ message: 'smn:topic:publish failed: HTTP 400 SMN.0021' }) });
    // Refused, the reminder still counts as told, and the state says so.
    expect(w.notifiedAt()).toBe(NOW.toISOString());
  });
});
