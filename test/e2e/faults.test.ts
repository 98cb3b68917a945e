/**
 * Fault injection: the built bundle, invoked as FunctionGraph would, against a local cloud that
 * throttles, fails, hangs, cuts bodies short, moves lists between pages and loses SMN and OBS.
 * Each test names the row of the fault table (docs/guarantees.md) it proves.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Summary } from '../../functions/connection-monitor/index.js';
import { functionGraphContext, timerEvent } from '../../lib/cli/function-context.js';
import { LocalCloud } from '../../lib/emulator/index.js';
import { bundle, capturingOutput, jsonLogLines, userDataFor } from './harness.js';
import { parseState } from '../../lib/monitor/state.js';
import { closedPort, failure } from '../support.js';

const credentials = { ak: 'FAULTTESTACCESSKEY01', sk: 'fault-test-secret-key-0000000000000001', securityToken: 'fault-test-security-token-ABCDEFGH' };

let cloud: LocalCloud;
let userData: Record<string, string>;
let good: string;
let bad: string;
let output: string[];

beforeEach(async () => {
  cloud = await LocalCloud.start({ credentials: [credentials] });
  cloud.createBucket('state');
  good = cloud.addService({ name: 'good' }).id;
  bad = cloud.addService({ name: 'bad' }).id;
  cloud.addConnections(good, 1200);
  cloud.addConnections(bad, 1200);
  userData = userDataFor(cloud, 'state');
  output = [];
});
afterEach(async () => {
  await cloud.stop();
});

async function invoke(options: { remainingMs?: number; data?: Record<string, string>; creds?: typeof credentials } = {}): Promise<Summary> {
  const context = functionGraphContext({ userData: options.data ?? userData, credentials: options.creds ?? credentials, timeoutMs: options.remainingMs ?? 60_000 });
  return capturingOutput(output, () => bundle.handler(timerEvent(), context));
}
const logLines = () => jsonLogLines(output);
const stateOf = () => parseState(cloud.getObject('state', 'vpcep-monitor/state.json')!.toString());
const snapshotSize = (serviceId: string) => stateOf().services.get(serviceId)!.total;
const pendingIn = (serviceId: string) => cloud.addConnection(serviceId, { status: 'pendingAcceptance' }).id;

describe('fault tolerance of the deployed function', () => {
  it('F3: a service that keeps failing is not diffed, keeps its snapshot, and is named; the others alert', async () => {
    await invoke();
    const alertId = pendingIn(good);
    for (const c of cloud.listConnections(bad).slice(0, 5)) cloud.removeConnection(bad, c.id); // would be 5 false removals
    cloud.inject({ service: 'vpcep', api: 'vpcep:connections:list', match: (req) => req.path.includes(bad), kind: 'status', status: 503, times: Infinity, body: { error_code: 'EndPoint.0001', error_msg: 'System error.' } });
    const error = await failure(invoke());
    expect(error.message).toContain(bad);
    expect(error.message).not.toContain(good);
    expect(cloud.published.at(-1)!.messageStructure!.email).toContain(alertId);
    expect(snapshotSize(bad)).toBe(1200);
    const line = logLines().find((l) => l.serviceId === bad && l.level === 'error')!;
    expect(String(line.msg)).toMatch(/could not be read: .*HTTP 503 EndPoint\.0001.*request id .*next run will read it again/);
    cloud.clearFaults();
    expect(await invoke()).toMatchObject({ changes: 5, alerts: 0 });
  });

  it('F5: a hanging endpoint cannot take the function past its deadline; what was read is saved', async () => {
    await invoke();
    const alertId = pendingIn(good);
    cloud.inject({ service: 'vpcep', api: 'vpcep:connections:list', match: (req) => req.path.includes(bad), kind: 'hang', times: Infinity });
    const started = Date.now();
    const error = await failure(invoke({ remainingMs: 8_000 }));
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(error.message).toContain(bad);
    expect(cloud.published.at(-1)!.messageStructure!.email).toContain(alertId);
  });

  it('F10: SMN failing keeps the alert in the outbox, fails the run, and the next run delivers it', async () => {
    await invoke();
    const alertId = pendingIn(good);
    cloud.inject({ service: 'smn', kind: 'status', status: 500, times: Infinity, body: { request_id: 'r', code: 'SMN.0001', message: 'Internal error.' } });
    const error = await failure(invoke());
    expect(error.message).toMatch(/1 alert\(s\) not delivered/);
    expect(stateOf().outbox).toHaveLength(1);
    cloud.clearFaults();
    expect(await invoke()).toMatchObject({ published: 1, undelivered: 0 });
    expect(cloud.published.at(-1)!.messageStructure!.email).toContain(alertId);
    expect(stateOf().outbox).toHaveLength(0);
  });

  it('F8: a list that moves between pages is read again, so the pass stays exact', async () => {
    await invoke();
    cloud.inject({ service: 'vpcep', api: 'vpcep:connections:list', match: (req) => req.path.includes(good) && req.query.offset === '1000', kind: 'mutate', run: (c) => { c.addConnection(good, { status: 'pendingAcceptance' }); } });
    cloud.resetCalls();
    const summary = await invoke();
    expect(summary).toMatchObject({ connections: 2401, alerts: 1, published: 1 });
    expect(cloud.calls.filter((call) => call.api === 'vpcep:connections:list' && call.path.includes(good))).toHaveLength(4);
  });

  it('F7: a malformed page is a scan failure of that service, not a crash', async () => {
    await invoke();
    cloud.inject({ service: 'vpcep', api: 'vpcep:connections:list', match: (req) => req.path.includes(bad), kind: 'malformed', body: '{"connections":[{"id":42}],"total_count":1}', times: Infinity });
    const error = await failure(invoke());
    expect(error.message).toContain(bad);
    expect(snapshotSize(bad)).toBe(1200);
  });

  it('F13: OBS refusing the writes loses nothing: the next run sees the same changes and alerts', async () => {
    await invoke();
    const alertId = pendingIn(good);
    cloud.inject({ service: 'obs', api: 'obs:object:PutObject', kind: 'status', status: 503, times: Infinity });
    await failure(invoke());
    expect(cloud.published).toHaveLength(0);
    cloud.clearFaults();
    expect(await invoke()).toMatchObject({ alerts: 1, published: 1 });
    expect(cloud.published.at(-1)!.messageStructure!.email).toContain(alertId);
  });

  it('F17: corrupt state is quarantined with one operator notice and no flood of alerts', async () => {
    pendingIn(good);
    cloud.putObject('state', 'vpcep-monitor/state.json', '{"schemaVersion":1,"generation":3,"services":{"');
    const summary = await invoke();
    expect(summary).toMatchObject({ alerts: 0 });
    expect(cloud.published).toHaveLength(1);
    expect(cloud.published[0]!.subject).toContain('unreadable');
    expect(cloud.objectKeys('state', 'vpcep-monitor/quarantine/')).toHaveLength(1);
    expect(await invoke()).toMatchObject({ changes: 0, published: 0 });
  });

  it('F20/F21: no credential reaches any output on an authentication failure or a network failure', async () => {
    const wrong = { ...credentials, sk: 'wrong-secret-key-ZZZZZZZZZZZZZZZZZZZZ' };
    await failure(invoke({ creds: wrong }));
    const closed = await closedPort();
    await failure(invoke({ data: { ...userData, VPCEP_ENDPOINT: `http://127.0.0.1:${closed}` }, remainingMs: 8_000 }));
    const all = output.join('');
    expect(all).toMatch(/HTTP 403 SignatureDoesNotMatch|HTTP 401 APIGW.0301/);
    expect(all).toContain(`could not connect to http://127.0.0.1:${closed} (ECONNREFUSED): check VPCEP_ENDPOINT and the network`);
    expect(all).not.toContain('"stack"');
    for (const secret of [credentials.ak, credentials.sk, credentials.securityToken, wrong.sk, 'SDK-HMAC-SHA256', 'Signature=']) {
      expect(all).not.toContain(secret);
    }
  });

  it('F22: hostile text from another tenant is cleaned, bounded and kept out of the subject', async () => {
    await invoke();
    cloud.addConnection(good, { status: 'pendingAcceptance', description: `ok\r\nSubject: pwned\u0007\u202e\u200b${'x'.repeat(600)}`, domain_id: 'dom\nain' });
    await invoke();
    const message = cloud.published.at(-1)!;
    expect(message.subject).not.toMatch(/pwned|dom/);
    for (const text of [message.messageStructure!.email!, message.messageStructure!.sms!]) {
      expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e\u200b]/);
    }
    expect(message.messageStructure!.email).toContain('description "ok Subject: pwned');
    const description = /description "(.*)" \(event/.exec(message.messageStructure!.email!)![1]!;
    expect(Array.from(description).length).toBeLessThanOrEqual(512);
  });
});
