import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { UNLIMITED } from '../../lib/huaweicloud/budget.js';
import { type AuditRecord } from '../../lib/monitor/audit.js';
import { type DeadLetter, deadLetter, type Refusal, refusesMessage } from '../../lib/monitor/dead-letter.js';
import { auditKey } from '../../lib/monitor/keys.js';
import type { MonitorDeps } from '../../lib/monitor/ports.js';
import { failedEvent, FakeObjects, FakePublisher, FakeVpcep, memoryLogger } from '../fakes.js';

const PROJECT = '0123456789abcdef0123456789abcdef';
const config = loadConfig((name) => ({ OBS_BUCKET: 'bucket', SMN_TOPIC_URN: `urn:smn:ap-southeast-1:${PROJECT}:alerts`, HUAWEICLOUD_PROJECT_ID: PROJECT })[name]);

const event = failedEvent;

const refusal = (connectionId: string): Refusal => ({ event: event(connectionId), failure: { status: 400, code: 'SMN.0021', message: 'message refused', requestId: 'req-1' } });

/** An object store whose writes under one prefix fail, as OBS does when the bucket refuses them. */
class FailingObjects extends FakeObjects {
  constructor(private readonly failing: string) {
    super();
  }
  override async put(key: string, parts: string | readonly string[]): Promise<void> {
    // Fails after a turn of the event loop, as a network write does: a caller that does not wait
    // for it has already moved on.
    await new Promise((resolve) => setImmediate(resolve));
    if (key.includes(this.failing)) throw Object.assign(new Error(`obs:putObject failed: HTTP 403 AccessDenied (${key})`), { status: 403 });
    return super.put(key, parts);
  }
}

function deps(objects: FakeObjects) {
  const publisher = new FakePublisher();
  const { logger, lines } = memoryLogger();
  const all: MonitorDeps = { vpcep: new FakeVpcep(), objects, publisher, logger, now: () => new Date('2026-11-25T12:00:00Z'), budget: UNLIMITED };
  return { deps: all, objects, publisher, lines };
}

describe('deadLetter', () => {
  it('writes the refused events, announces them and records them as undeliverable', async () => {
    const w = deps(new FakeObjects());
    await deadLetter(config, w.deps, [refusal('bad')], 'run-1');
    const letters = [...w.objects.objects.entries()].filter(([key]) => key.includes('/dead-letter/'));
    expect(letters).toHaveLength(1);
    expect(JSON.parse(letters[0]![1].trim())).toMatchObject({ runId: 'run-1', event: { connectionId: 'bad' }, smn: { status: 400, code: 'SMN.0021' } });
    expect(w.publisher.messages).toHaveLength(1);
    expect(w.publisher.messages[0]!.structure!.email).toContain(letters[0]![0]);
    expect(JSON.parse(w.publisher.messages[0]!.structure!.default)).toMatchObject({ type: 'dead-lettered', deadLetterKey: letters[0]![0] });
  });

  it('writes one JSON line per refused event, as NDJSON, with SMN\'s whole answer', async () => {
    const types: (string | undefined)[] = [];
    const objects = new (class extends FakeObjects {
      override async put(key: string, parts: string | readonly string[], contentType?: string): Promise<void> {
        if (key.includes('/dead-letter/')) types.push(contentType);
        return super.put(key, parts);
      }
    })();
    const w = deps(objects);
    await deadLetter(config, w.deps, [refusal('one'), refusal('two')], 'run-1');
    const [body] = [...w.objects.objects.entries()].filter(([key]) => key.includes('/dead-letter/')).map(([, text]) => text);
    expect(body!.endsWith('\n')).toBe(true);
    const letters = body!.trimEnd().split('\n').map((line) => JSON.parse(line) as DeadLetter);
    expect(letters.map((letter) => letter.event.connectionId)).toEqual(['one', 'two']);
    expect(letters[0]).toEqual({ refusedAt: '2026-11-25T12:00:00.000Z', runId: 'run-1', event: event('one'), smn: { status: 400, code: 'SMN.0021', message: 'message refused', requestId: 'req-1' } });
    expect(types).toEqual(['application/x-ndjson']);
  });

  it('records each refused event in an audit object of its own, as undeliverable, with SMN\'s answer', async () => {
    const w = deps(new FakeObjects());
    await deadLetter(config, w.deps, [refusal('bad'), { event: event('worse'), failure: { code: 'SMN.0021', message: 'too long' } }], 'run-1');
    const at = new Date('2026-11-25T12:00:00Z');
    // Not the run's own audit object, which this would overwrite.
    expect(w.objects.objects.has(auditKey(config.obsPrefix, at, 'run-1'))).toBe(false);
    const records = w.objects.objects.get(auditKey(config.obsPrefix, at, 'run-1', 'dead-letter'))!.trim().split('\n').map((line) => JSON.parse(line) as AuditRecord);
    expect(records).toEqual([
      expect.objectContaining({ connectionId: 'bad', change: 'undeliverable', eventId: 'evt-bad', error: 'HTTP 400 SMN.0021 message refused (request id req-1)' }),
      expect.objectContaining({ connectionId: 'worse', change: 'undeliverable', error: 'SMN.0021 too long' }),
    ]);
  });

  it('logs the key and each event with SMN\'s answer as one error line', async () => {
    const w = deps(new FakeObjects());
    await deadLetter(config, w.deps, [refusal('bad')], 'run-1');
    const [line, ...more] = w.lines().map((text) => JSON.parse(text) as { level: number; msg: string; key: string; events: unknown[] });
    expect(more).toEqual([]);
    expect(line!.level).toBe(50);
    expect(line!.key).toContain('/dead-letter/');
    expect(line!.msg).toBe(`SMN refused 1 alert(s) for good; set aside in ${line!.key} and announced to the topic`);
    expect(line!.events).toEqual([{ eventId: 'evt-bad', connectionId: 'bad', smn: { status: 400, code: 'SMN.0021', message: 'message refused', requestId: 'req-1' } }]);
  });

  it('announces one refused alert in the singular, with where it went and why', async () => {
    const w = deps(new FakeObjects());
    await deadLetter(config, w.deps, [{ event: { ...event('bad'), from: null }, failure: { status: 400, message: 'refused' } }], 'run-1');
    const [notice] = w.publisher.messages;
    const key = [...w.objects.objects.keys()].find((k) => k.includes('/dead-letter/'))!;
    expect(notice!.subject).toBe('[VPCEP ap-southeast-1] 1 alert could not be delivered and was set aside');
    expect(notice!.structure!.email).toBe(
      'SMN refused this alert of the VPC Endpoint connection monitor for good, so it was moved out of the outbox ' +
        `to obs://bucket/${key} (every other alert was delivered as usual):\n  - bad (new -> failed, event evt-bad): HTTP 400 refused\n\n` +
        'Read them with "npm exec --no -- vpcep-monitor status" (in the monitor\'s checkout) and the object above; the audit trail records them as undeliverable.\nRun run-1.\n',
    );
  });

  it('announces many in the plural, naming the first 20 and counting the rest', async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => refusal(`c${i}`));
    const w = deps(new FakeObjects());
    await deadLetter(config, w.deps, many(22), 'run-1');
    const [notice] = w.publisher.messages;
    expect(notice!.subject).toBe('[VPCEP ap-southeast-1] 22 alerts could not be delivered and were set aside');
    expect(notice!.structure!.email).toMatch(/^SMN refused these alerts of the VPC Endpoint connection monitor for good, so they were moved out of the outbox to obs:/);
    const listed = notice!.structure!.email!.split('\n').filter((line) => line.startsWith('  - '));
    expect(listed).toHaveLength(20);
    expect(listed[0]).toBe('  - c0 (accepted -> failed, event evt-c0): HTTP 400 SMN.0021 message refused (request id req-1)');
    expect(notice!.structure!.email).toContain('\n  ...and 2 more.\n');
    const exactly = deps(new FakeObjects());
    await deadLetter(config, exactly.deps, many(20), 'run-1');
    expect(exactly.publisher.messages[0]!.structure!.email).not.toContain('more.');
  });

  it('says on SMS how many were set aside, in the singular or the plural, and lists at most 20 in the details', async () => {
    const one = deps(new FakeObjects());
    await deadLetter(config, one.deps, [refusal('bad')], 'run-1');
    expect(one.publisher.messages[0]!.structure!.sms).toBe('VPCEP ap-southeast-1: 1 alert SMN refused for good was set aside; see the e-mail or vpcep-monitor status. Run run-1.');
    const many = deps(new FakeObjects());
    await deadLetter(config, many.deps, Array.from({ length: 22 }, (_, i) => refusal(`c${i}`)), 'run-1');
    expect(many.publisher.messages[0]!.structure!.sms).toBe('VPCEP ap-southeast-1: 22 alerts SMN refused for good were set aside; see the e-mail or vpcep-monitor status. Run run-1.');
    const details = JSON.parse(many.publisher.messages[0]!.structure!.default) as { count: number; refused: { connectionId: string }[] };
    expect(details.count).toBe(22);
    expect(details.refused.map((r) => r.connectionId)).toEqual(Array.from({ length: 20 }, (_, i) => `c${i}`));
  });

  it('rejects with SMN\'s refusal, and warns naming the object, when the object cannot be removed after its notice was refused', async () => {
    const objects = new (class extends FakeObjects {
      override async delete(): Promise<void> {
        throw new Error('obs:deleteObject failed: HTTP 503');
      }
    })();
    const w = deps(objects);
    w.publisher.refuse = () => ({ status: 400, code: 'SMN.0021' });
    await expect(deadLetter(config, w.deps, [refusal('bad')], 'run-1')).rejects.toThrow(/SMN\.0021/);
    const key = [...w.objects.objects.keys()].find((k) => k.includes('/dead-letter/'))!;
    const lines = w.lines().map((text) => JSON.parse(text) as { level: number; key?: string; err?: { message: string } });
    expect(lines).toEqual([expect.objectContaining({ level: 40, key, msg: `removing ${key} after its notice was refused failed; its events stay in the outbox all the same`, err: expect.objectContaining({ message: 'obs:deleteObject failed: HTTP 503' }) })]);
  });

  it('rejects, announces nothing and records nothing when the dead-letter object cannot be written', async () => {
    // Otherwise the events would leave the outbox with no copy anywhere, and the write's failure
    // would surface later as an unhandled rejection.
    const w = deps(new FailingObjects('/dead-letter/'));
    await expect(deadLetter(config, w.deps, [refusal('bad')], 'run-1')).rejects.toThrow(/AccessDenied/);
    expect(w.publisher.attempts).toEqual([]);
    expect([...w.objects.objects.keys()].filter((key) => key.includes('/audit/'))).toEqual([]);
  });

  it('rejects when the audit records cannot be written, so the events stay in the outbox', async () => {
    const w = deps(new FailingObjects('/audit/'));
    await expect(deadLetter(config, w.deps, [refusal('bad')], 'run-1')).rejects.toThrow(/AccessDenied/);
  });

  it('rejects when SMN refuses the notice too: the channel, not the message, is the problem', async () => {
    const w = deps(new FakeObjects());
    w.publisher.refuse = () => ({ status: 400, code: 'SMN.0021' });
    await expect(deadLetter(config, w.deps, [refusal('bad')], 'run-1')).rejects.toThrow(/SMN\.0021/);
  });
});

describe('refusesMessage', () => {
  const error = (status: number | undefined, code?: string) => Object.assign(new Error(`HTTP ${status} ${code}`), { status, ...(code ? { code } : {}) });

  it('counts a client error about the message as a refusal of that message', () => {
    expect(refusesMessage(error(400, 'SMN.0021'))).toBe(true);
    expect(refusesMessage(error(400))).toBe(true);
    expect(refusesMessage(error(499))).toBe(true);
    expect(refusesMessage(error(413, 'APIGW.0201'))).toBe(true);
    expect(refusesMessage(error(413, 'APIG.0201'))).toBe(true);
  });

  it('leaves throttling to the channel even without an error code', () => {
    // A bare 429 (no code in the body) would otherwise fall through to "the message is refused",
    // and a burst of alerts throttled by SMN would be dead-lettered instead of retried.
    expect(refusesMessage(error(429))).toBe(false);
    expect(refusesMessage(error(429, 'SMN.0099'))).toBe(false);
  });

  it('leaves authentication, permission and a missing topic to the channel, whatever the code', () => {
    for (const status of [401, 403, 404]) {
      expect(refusesMessage(error(status))).toBe(false);
      expect(refusesMessage(error(status, 'SMN.0021'))).toBe(false);
    }
    expect(refusesMessage(error(400, 'SMN.0005'))).toBe(false);
    expect(refusesMessage(error(400, 'SMN.0006'))).toBe(false);
  });

  it('treats the API gateway codes as the route, signature or rate, except its body-too-large', () => {
    expect(refusesMessage(error(400, 'APIGW.0101'))).toBe(false);
    expect(refusesMessage(error(400, 'APIG.0308'))).toBe(false);
    expect(refusesMessage(error(413, 'APIGW.02011'))).toBe(false);
    // Only a code that starts with the gateway's prefix is the gateway's.
    expect(refusesMessage(error(400, 'APIG.X.APIG.0201'))).toBe(false);
    expect(refusesMessage(error(400, 'X.APIG.0101'))).toBe(true);
  });

  it('never counts a server error, a network failure or a success as a refusal', () => {
    expect(refusesMessage(error(500, 'SMN.0021'))).toBe(false);
    expect(refusesMessage(error(399))).toBe(false);
    expect(refusesMessage(error(500))).toBe(false);
    expect(refusesMessage(new Error('socket hang up'))).toBe(false);
    expect(refusesMessage('not even an error')).toBe(false);
  });
});
