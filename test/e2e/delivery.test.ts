/**
 * What the trail and the outbox say about delivery, through the built bundle against the local
 * cloud: raised is not delivered, a channel that refuses everything sets nothing aside, SMN's
 * "message is invalid" sets one event aside while "no permission" keeps them all, and the JSON for
 * machines is as clean as the e-mail. Each test names its row of the fault table
 * (docs/guarantees.md). SMN's answers are injected explicitly, whatever the emulator's own codes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Summary } from '../../functions/connection-monitor/index.js';
import { functionGraphContext, timerEvent } from '../../lib/cli/function-context.js';
import { LocalCloud } from '../../lib/emulator/index.js';
import type { AuditRecord } from '../../lib/monitor/audit.js';
import { parseState } from '../../lib/monitor/state.js';
import { failure } from '../support.js';
import { bundle, capturingOutput, userDataFor } from './harness.js';

const credentials = { ak: 'DELIVERYTESTKEY00001', sk: 'delivery-test-secret-key-000000000001' };

let cloud: LocalCloud;
let userData: Record<string, string>;
let one: string;
let two: string;
let output: string[];

beforeEach(async () => {
  cloud = await LocalCloud.start({ credentials: [credentials] });
  cloud.createBucket('state');
  one = cloud.addService({ name: 'one' }).id;
  two = cloud.addService({ name: 'two' }).id;
  cloud.addConnections(one, 3);
  cloud.addConnections(two, 3);
  userData = userDataFor(cloud, 'state');
  output = [];
});
afterEach(async () => {
  await cloud.stop();
});

async function invoke(): Promise<Summary> {
  const context = functionGraphContext({ userData, credentials, timeoutMs: 60_000 });
  return capturingOutput(output, () => bundle.handler(timerEvent(), context));
}
const outbox = () => parseState(cloud.getObject('state', 'vpcep-monitor/state.json')!.toString()).outbox;
const trail = (): AuditRecord[] =>
  cloud.objectKeys('state', 'vpcep-monitor/audit/').flatMap((key) => cloud.getObject('state', key)!.toString().trim().split('\n').map((line) => JSON.parse(line) as AuditRecord));
const deadLetters = () => cloud.objectKeys('state', 'vpcep-monitor/dead-letter/');
const structured = () => cloud.published.filter((message) => message.messageStructure);
/** The connection ids the machines' JSON of every accepted alert publish carries. */
const deliveredIds = () => structured().flatMap((message) => (JSON.parse(message.messageStructure!.default!) as { events: { connectionId: string }[] }).events.map((event) => event.connectionId));
const smnAnswer = (status: number, code: string, message: string) => ({ kind: 'status' as const, status, body: { request_id: `req-${code}`, code, message } });
const isStructured = (body: Buffer) => body.includes('message_structure');

describe('delivery through the deployed function', () => {
  it('D1: a state save that fails after the trail is written, then the connection recovering, leaves no record claiming delivery', async () => {
    await invoke();
    const flaky = cloud.addConnection(one, { status: 'pendingAcceptance' }).id;
    cloud.inject({ service: 'obs', api: 'obs:object:PutObject', match: (req) => req.path.endsWith('/state.json'), kind: 'status', status: 503, times: Infinity });
    await failure(invoke());
    expect(cloud.published).toHaveLength(0);
    expect(trail().filter((record) => record.connectionId === flaky)).toEqual([expect.objectContaining({ change: 'added', raised: true })]);
    cloud.clearFaults();
    cloud.setStatus(one, flaky, 'accepted'); // it recovers before the next run: no alert for it any more
    expect(await invoke()).toMatchObject({ alerts: 0, published: 0 });
    const records = trail().filter((record) => record.connectionId === flaky);
    expect(records.length).toBeGreaterThan(0);
    expect(records.filter((record) => record.change === 'delivered')).toEqual([]);
    expect(records.some((record) => 'alerted' in record)).toBe(false);
    expect(deliveredIds()).not.toContain(flaky);
  });

  it('D1: an alert SMN accepted gets a delivered record with SMN’s message id, after its raised record', async () => {
    await invoke();
    const id = cloud.addConnection(one, { status: 'pendingAcceptance' }).id;
    const messageIds: string[] = [];
    cloud.onPublish((message) => messageIds.push(message.messageId));
    await invoke();
    const records = trail().filter((record) => record.connectionId === id);
    expect(records.map((record) => record.change)).toEqual(['added', 'delivered']);
    expect(records[1]).toMatchObject({ eventId: records[0]!.eventId, messageId: messageIds[0] });
  });

  it('D2: SMN refusing every structured publish dead-letters nothing; the run fails, the alerts wait and arrive once SMN accepts again', async () => {
    await invoke();
    const ids = [cloud.addConnection(one, { status: 'pendingAcceptance' }).id, cloud.addConnection(two, { status: 'pendingAcceptance' }).id, cloud.addConnection(two, { status: 'pendingAcceptance' }).id];
    cloud.inject({ service: 'smn', match: (req) => isStructured(req.body), ...smnAnswer(400, 'SMN.0021', 'The message structure is not supported.'), times: Infinity });
    const error = await failure(invoke());
    expect(error.message).toMatch(/3 alert\(s\) not delivered \(SMN refused \d+ alert\(s\) as messages and accepted 0/);
    expect(deadLetters()).toEqual([]);
    expect(cloud.published).toHaveLength(0); // no notice says they were set aside
    expect(outbox().map((event) => event.connectionId).sort()).toEqual([...ids].sort());
    expect(trail().filter((record) => record.change === 'delivered' || record.change === 'undeliverable')).toEqual([]);
    cloud.clearFaults();
    expect(await invoke()).toMatchObject({ published: 1, undelivered: 0, deadLettered: 0 });
    expect(deliveredIds().sort()).toEqual([...ids].sort());
    expect(trail().filter((record) => record.change === 'delivered').map((record) => record.connectionId).sort()).toEqual([...ids].sort());
  });

  it('D3: a 403 SMN.0009 on one event dead-letters it while the others arrive, and the outbox drains', async () => {
    await invoke();
    const poison = cloud.addConnection(one, { status: 'pendingAcceptance' }).id;
    const fine = [cloud.addConnection(one, { status: 'pendingAcceptance' }).id, cloud.addConnection(two, { status: 'pendingAcceptance' }).id];
    cloud.inject({ service: 'smn', match: (req) => isStructured(req.body) && req.body.includes(poison), ...smnAnswer(403, 'SMN.0009', 'Message is invalid.'), times: Infinity });
    expect(await invoke()).toMatchObject({ alerts: 3, undelivered: 0, deadLettered: 1 });
    expect(deliveredIds().sort()).toEqual([...fine].sort());
    expect(outbox()).toEqual([]);
    const [letter, ...more] = deadLetters();
    expect(more).toEqual([]);
    expect(JSON.parse(cloud.getObject('state', letter!)!.toString())).toMatchObject({ event: { connectionId: poison }, smn: { status: 403, code: 'SMN.0009' } });
    expect(cloud.published.at(-1)!.subject).toContain('1 alert could not be delivered');
    expect(trail().filter((record) => record.connectionId === poison).map((record) => record.change)).toEqual(['added', 'undeliverable']);
    expect(await invoke()).toMatchObject({ published: 0, undelivered: 0 });
  });

  it('D4: a 403 SMN.0001 (no permission) on every publish dead-letters nothing, and everything arrives once it is lifted', async () => {
    await invoke();
    const ids = [cloud.addConnection(one, { status: 'pendingAcceptance' }).id, cloud.addConnection(two, { status: 'pendingAcceptance' }).id];
    cloud.inject({ service: 'smn', ...smnAnswer(403, 'SMN.0001', 'No permission.'), times: Infinity });
    cloud.resetCalls();
    const error = await failure(invoke());
    // A channel failure stops delivery at once: the publish is neither split nor probed with a notice.
    expect(cloud.calls.filter((call) => call.service === 'smn')).toHaveLength(1);
    expect(error.message).toMatch(/2 alert\(s\) not delivered \(.*HTTP 403 SMN\.0001/);
    expect(deadLetters()).toEqual([]);
    expect(outbox()).toHaveLength(2);
    await failure(invoke());
    expect(deadLetters()).toEqual([]);
    cloud.clearFaults();
    expect(await invoke()).toMatchObject({ published: 1, undelivered: 0, deadLettered: 0 });
    expect(deliveredIds().sort()).toEqual([...ids].sort());
    expect(outbox()).toEqual([]);
  });

  it('F22b: hostile description and domain_id reach the machines’ JSON cleaned like the e-mail', async () => {
    await invoke();
    const hostile = 'ok\r\nX-Injected: yes\u0000\u001b[2J\u202etxt.exe\u200b\u2066\ufeff end';
    cloud.addConnection(one, { status: 'pendingAcceptance', description: hostile, domain_id: `dom\n\u202eain` });
    await invoke();
    const json = cloud.published.at(-1)!.messageStructure!.default!;
    // Neither raw nor escaped: a JSON parser turns \u202e back into the override.
    expect(json).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]|\\u00[01][0-9a-f]|\\u20[02][0-9a-f]|\\r|\\n|\\t/i);
    const [event] = (JSON.parse(json) as { events: { description: string; domainId: string }[] }).events;
    expect(event).toMatchObject({ description: 'ok X-Injected: yes [2J txt.exe end', domainId: 'dom ain' });
  });
});
