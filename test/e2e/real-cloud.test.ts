/**
 * What the real cloud does that a lenient local cloud would not (issue 10), through the built
 * bundle invoked as FunctionGraph would: SMN measuring its 256 KB on the whole request body, SMN
 * refusing one event for good, a list that shrinks under the pager (VPCEP answering the page past
 * the end empty, or EndPoint.0010), VPCEP's nested error body, and an accept that passes through `creating`. OBS
 * speaks its production dialect here (host name endpoint, virtual-hosted bucket, OBS signature).
 * Each test names the row of the fault table (docs/guarantees.md) it proves.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Summary } from '../../functions/connection-monitor/index.js';
import { functionGraphContext, timerEvent } from '../../lib/cli/function-context.js';
import { main } from '../../lib/cli/main.js';
import { type ApiCall, type ConnectionError, LocalCloud, type LocalCloudOptions, offsetPastEndRefused, type PublishedMessage } from '../../lib/emulator/index.js';
import type { AuditRecord } from '../../lib/monitor/audit.js';
import { bundle, capturingOutput, jsonLogLines, userDataFor } from './harness.js';
import { parseState } from '../../lib/monitor/state.js';
import { failure } from '../support.js';

const credentials = { ak: 'REALCLOUDACCESSKEY01', sk: 'real-cloud-secret-key-00000000000000001', securityToken: 'real-cloud-token-0123456789' };
const BUCKET = 'monitor-state';
const SMN_LIMIT_BYTES = 256 * 1024;
/** What docs/messages.md promises for every publish's whole body: "256 KB" read as 256,000 bytes, the smaller reading. */
const PROMISED_BODY_BYTES = 256_000;
const TRUSTED = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

let cloud: LocalCloud | undefined;
let userData: Record<string, string>;
let output: string[];
let runs = 0;

async function start(options: Partial<LocalCloudOptions> = {}): Promise<LocalCloud> {
  const started = await LocalCloud.start({ credentials: [credentials], ...options });
  cloud = started;
  started.createBucket(BUCKET);
  userData = { ...userDataFor(started, BUCKET), OBS_ENDPOINT: started.endpoints.obsHost };
  output = [];
  return started;
}
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

/** One invocation; its run id is `run-N`, which the audit records and the dead-letter key carry. */
async function invoke(data: Record<string, string> = userData): Promise<Summary & { runId: string }> {
  const runId = `run-${++runs}`;
  const context = functionGraphContext({ userData: data, credentials, timeoutMs: 60_000, requestId: runId });
  const summary = await capturingOutput(output, () => bundle.handler(timerEvent(), context));
  return { ...summary, runId };
}
const logLines = () => jsonLogLines(output);

const current = (): LocalCloud => cloud!;
const jsonLines = <T>(key: string): T[] => current().getObject(BUCKET, key)!.toString().split('\n').filter(Boolean).map((line) => JSON.parse(line) as T);
const stateOf = () => parseState(current().getObject(BUCKET, 'vpcep-monitor/state.json')!.toString());
const snapshotSize = (serviceId: string) => stateOf().services.get(serviceId)!.total;
const auditRecords = (): AuditRecord[] => current().objectKeys(BUCKET, 'vpcep-monitor/audit/').flatMap((key) => jsonLines<AuditRecord>(key));
const smnCalls = (): ApiCall[] => current().calls.filter((call) => call.service === 'smn');
interface PayloadEvent { connectionId: string; to: string; action?: { type: string; outcome: string } }
/** The events of an alert publish's JSON, what HTTP/HTTPS/FunctionGraph subscribers receive. */
// Alert payloads carry `events`; an operator notice's JSON (type dead-lettered) carries none.
const payloadEvents = (message: PublishedMessage): PayloadEvent[] => (message.messageStructure ? (JSON.parse(message.messageStructure.default!) as { events?: PayloadEvent[] }).events ?? [] : []);
const dayPath = (date: Date) => date.toISOString().slice(0, 10).replaceAll('-', '/');

// What VPCEP reports for failed endpoints, and what consumers write: quotes, backslashes and CJK
// text make the escaped body grow unevenly, which is what a size estimate gets wrong.
const FAILURES: ConnectionError[][] = [
  [{ error_code: 'EndPoint.2014', error_message: 'The subnet has no available IP addresses.' }],
  [{ error_code: 'EndPoint.2011', error_message: 'Failed to add the route to route table "rtb-main": the quota of 200 routes is reached.' }],
  [{ error_code: 'EndPoint.0001', error_message: 'System error.' }, { error_code: 'EndPoint.2019', error_message: 'Failed to bind the security group sg-web.' }],
];
const description = (i: number): string =>
  [
    `Payments gateway for tenant #${i}, 支付网关（生产）, contact "ops-${i}@example.com"`,
    `Nightly export ${i}: C:\\exports\\vpcep\\batch-${i} -> obs://dw-${i}/raw, owner "data" team, change ticket CHG-${40_000 + i}`,
    `Consumer ${i} in cn-north-4 (VPC vpc-${i.toString(16)}), see runbook https://wiki.example.com/vpcep?id=${i}&lang=en for escalation`,
  ][i % 3]!;

describe('what the real cloud does, against the built bundle', () => {
  it('F27: a first run with 900 failed of 2,700 connections is delivered whole, every request body within 256 KiB', async () => {
    const world = await start();
    const failedIds: string[] = [];
    for (const name of ['payments', 'orders', 'analytics']) {
      const serviceId = world.addService({ name }).id;
      world.addConnections(serviceId, 600);
      for (let i = 0; i < 300; i++) {
        const n = failedIds.length;
        failedIds.push(world.addConnection(serviceId, { status: 'failed', description: description(n), error: FAILURES[n % FAILURES.length]! }).id);
      }
    }

    const summary = await invoke();

    expect(summary).toMatchObject({ baseline: true, connections: 2700, alerts: 900, undelivered: 0, deadLettered: 0 });
    const publishes = smnCalls();
    // Together the bodies far exceed one publish's limit: the burst had to be split.
    expect(publishes.reduce((sum, call) => sum + call.bodyBytes, 0)).toBeGreaterThan(SMN_LIMIT_BYTES);
    for (const call of publishes) expect(call.bodyBytes).toBeLessThanOrEqual(PROMISED_BODY_BYTES);
    expect(publishes.map((call) => call.status)).toEqual(publishes.map(() => 200)); // none refused, none retried
    expect(summary.published).toBe(publishes.length);
    expect(world.published).toHaveLength(publishes.length);
    const delivered = world.published.flatMap(payloadEvents).map((event) => event.connectionId);
    expect(delivered.sort()).toEqual([...failedIds].sort()); // every failed connection, each exactly once
    world.published.forEach((message, index) => expect(message.subject).toContain(`(part ${index + 1} of ${publishes.length})`));
    expect(stateOf().outbox).toHaveLength(0);
  });

  it('F28: one event SMN refuses for good is dead-lettered and announced; the others arrive; later runs are clean', async () => {
    const world = await start();
    const serviceId = world.addService({ name: 'payments' }).id;
    world.addConnections(serviceId, 300);
    await invoke(); // the baseline: nothing to say
    const others = [
      ...world.addConnections(serviceId, 3, { status: 'pendingAcceptance', description: 'partner onboarding' }),
      ...world.addConnections(serviceId, 2, { status: 'failed', error: FAILURES[0]! }),
    ].map((connection) => connection.id);
    // SMN refuses an event for what it carries: here the consumer's description. (Not its id: the
    // operator notice names the id, and a refused notice rightly means "the channel is broken".)
    const poisonText = 'free gift card, click https://phish.example/claim';
    const poison = world.addConnection(serviceId, { status: 'failed', description: poisonText, error: FAILURES[1]! });
    const refusal = { request_id: '5d2c0a1e-refused', code: 'SMN.0021', message: 'Parameter: message_structure is invalid: the message contains content that is not allowed.' };
    world.inject({ service: 'smn', api: 'smn:topic:publish', match: (request) => request.body.includes(poisonText), kind: 'status', status: 400, body: refusal, times: Infinity });
    const day = dayPath(new Date());

    const summary = await invoke();

    expect(summary).toMatchObject({ alerts: 6, deadLettered: 1, undelivered: 0 });
    expect(smnCalls().some((call) => call.status === 400)).toBe(true);
    // Every other alert arrived, each once; the refused event in no alert that SMN accepted.
    expect(world.published.flatMap(payloadEvents).map((event) => event.connectionId).sort()).toEqual([...others].sort());
    const keys = world.objectKeys(BUCKET, 'vpcep-monitor/dead-letter/');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^vpcep-monitor/dead-letter/(${day}|${dayPath(new Date())})/\\d{8}T\\d{9}Z-${summary.runId}\\.jsonl$`));
    const letters = jsonLines<{ runId: string; event: { connectionId: string; description: string }; smn: Record<string, unknown> }>(keys[0]!);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ runId: summary.runId, event: { connectionId: poison.id, description: poisonText }, smn: { status: 400, code: 'SMN.0021', message: expect.stringContaining(refusal.message) } });
    const notice = world.published.find((message) => message.subject?.includes('could not be delivered'))!;
    expect(notice.subject).toBe('[VPCEP ap-southeast-1] 1 alert could not be delivered and was set aside');
    // The channel contract of every message: JSON for machines, e-mail text, a short SMS.
    expect(JSON.parse(notice.messageStructure!.default!)).toMatchObject({ type: 'dead-lettered', deadLetterKey: keys[0], refused: [{ connectionId: poison.id }] });
    expect(notice.messageStructure!.email).toContain(poison.id);
    expect(notice.messageStructure!.email).toContain(`obs://${BUCKET}/${keys[0]}`);
    expect(notice.messageStructure!.sms!.length).toBeLessThanOrEqual(490);
    expect(auditRecords().filter((record) => record.change === 'undeliverable')).toEqual([
      expect.objectContaining({ runId: summary.runId, connectionId: poison.id, to: 'failed', error: expect.stringContaining('HTTP 400 SMN.0021') }),
    ]);
    expect(stateOf().outbox).toHaveLength(0);
    expect(await statusJson()).toMatchObject({ undelivered: 0, deadLettered: 1 });

    // SMN still refuses that text, but nothing is left to send it.
    const publishes = smnCalls().length;
    for (let i = 0; i < 2; i++) expect(await invoke()).toMatchObject({ changes: 0, published: 0, undelivered: 0, deadLettered: 0 });
    expect(smnCalls()).toHaveLength(publishes);
    expect(stateOf().outbox).toHaveLength(0);
  });

  // VPCEP answers a page past the end with an empty page and the true total (what the provider's
  // pager relies on); the reference's stricter "offset must be less than the total" is the
  // injected EndPoint.0010. The monitor must read the list again after either.
  it.each(['an empty page', 'EndPoint.0010'] as const)('F29: a list that loses 1,500 of 2,700 connections between pages is read again in the same run, with no false alert (past the end: %s)', async (pastEnd) => {
    const world = await start();
    if (pastEnd === 'EndPoint.0010') world.inject(offsetPastEndRefused(world));
    const serviceId = world.addService({ name: 'payments' }).id;
    const doomed = world.addConnections(serviceId, 1500).map((connection) => connection.id);
    world.addConnections(serviceId, 1180);
    // Already alerted by the baseline: a partial read that lost them would alert on them again.
    world.addConnections(serviceId, 20, { status: 'pendingAcceptance' });
    await invoke();
    const published = world.published.length;

    world.inject({ service: 'vpcep', api: 'vpcep:connections:list', match: (request) => request.path.includes(serviceId) && request.query.offset === '1000', kind: 'mutate', run: (w) => { for (const id of doomed) w.removeConnection(serviceId, id); } });
    // The third page arrives after the list shrank: past its end.
    world.inject({ service: 'vpcep', api: 'vpcep:connections:list', match: (request) => request.path.includes(serviceId) && request.query.offset === '2000', kind: 'delay', ms: 300 });
    world.resetCalls();
    const summary = await invoke();

    expect(summary).toMatchObject({ connections: 1200, changes: 1500, alerts: 0, published: 0, failedServices: [] });
    const reads = world.calls.filter((call) => call.api === 'vpcep:connections:list' && call.path.includes(serviceId));
    // ceil(2700/1000) calls for the first read, ceil(1200/1000) for the second.
    expect(reads.map((call) => call.query.offset)).toEqual(['0', expect.any(String), expect.any(String), '0', '1000']);
    expect(reads.slice(1, 3).map((call) => call.query.offset).sort()).toEqual(['1000', '2000']);
    expect(reads.find((call) => call.query.offset === '2000')!.status).toBe(pastEnd === 'EndPoint.0010' ? 400 : 200);
    expect(world.published).toHaveLength(published);
    const trail = auditRecords().filter((record) => record.runId === summary.runId);
    expect(trail.every((record) => record.change === 'removed' && record.raised === false)).toBe(true);
    expect(trail.map((record) => record.connectionId).sort()).toEqual([...doomed].sort());
    expect(snapshotSize(serviceId)).toBe(1200);
    expect(await invoke()).toMatchObject({ changes: 0, alerts: 0, published: 0 });
  });

  it.each(['nested', 'flat'] as const)('F30: a 403 in VPCEP\'s %s error body keeps EndPoint.0004 in the run\'s error and its log line', async (shape) => {
    const world = await start({ vpcepErrorShape: shape });
    world.addService({ name: 'payments' });
    // A project the credentials may not use: VPCEP itself answers 403 EndPoint.0004.
    const error = await failure(invoke({ ...userData, HUAWEICLOUD_PROJECT_ID: 'ffffffffffffffffffffffffffffffff' }));
    expect(world.calls.find((call) => call.api === 'vpcep:epservices:list')).toMatchObject({ status: 403 });
    const expected = /vpcep:epservices:list failed: HTTP 403 EndPoint\.0004 You do not have permission to access this project\. \(request id [0-9a-f-]+\)/;
    expect(error.message).toMatch(expected);
    const line = logLines().find((entry) => entry.level === 'error' && String(entry.msg).startsWith('run failed'));
    expect(String(line?.msg)).toMatch(expected);
  });

  it('F31: an auto-accepted connection passing through creating gets one receive in three runs and no alert for it', async () => {
    const world = await start({ acceptDelayMs: 3_600_000 }); // creating until the test settles it
    const serviceId = world.addService({ name: 'payments' }).id;
    world.addConnections(serviceId, 200);
    const data = { ...userData, APPROVAL_MODE: 'enforce', AUTO_ACCEPT_DOMAINS: TRUSTED };
    await invoke(data);
    const trusted = world.addConnection(serviceId, { status: 'pendingAcceptance', domain_id: TRUSTED, description: 'partner' }).id;
    world.resetCalls();

    const receiving = await invoke(data);
    expect(receiving).toMatchObject({ actions: 1, published: 1 });
    expect(world.listConnections(serviceId).find((c) => c.id === trusted)!.status).toBe('creating');
    const creating = await invoke(data);
    expect(creating).toMatchObject({ changes: 1, alerts: 0, actions: 0, published: 0 });
    expect(world.settleConnections()).toBe(1);
    const accepted = await invoke(data);
    expect(accepted).toMatchObject({ changes: 1, alerts: 0, actions: 0, published: 0 });

    const actions = world.calls.filter((call) => call.api === 'vpcep:connections:update');
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ status: 200, path: expect.stringContaining(serviceId) });
    // All that was said about it: the request arrived, and the policy accepted it.
    const said = world.published.flatMap(payloadEvents).filter((event) => event.connectionId === trusted);
    expect(said.map((event) => [event.to, event.action?.type, event.action?.outcome])).toEqual([['pendingAcceptance', undefined, undefined], ['accepted', 'receive', 'done']]);
    const trail = auditRecords().filter((record) => record.connectionId === trusted);
    expect(trail.map((record) => [record.runId, record.change, record.from, record.to, record.raised])).toEqual([
      [receiving.runId, 'added', null, 'pendingAcceptance', true],
      [receiving.runId, 'action', 'pendingAcceptance', 'accepted', true],
      // One publish carried both; SMN accepted it, and only then does the trail say so.
      [receiving.runId, 'delivered', null, 'pendingAcceptance', undefined],
      [receiving.runId, 'delivered', 'pendingAcceptance', 'accepted', undefined],
      [creating.runId, 'status', 'pendingAcceptance', 'creating', false],
      [accepted.runId, 'status', 'creating', 'accepted', false],
    ]);
  });
});

/** `vpcep-monitor status --json` against the same bucket, as an operator would run it. */
async function statusJson(): Promise<Record<string, unknown>> {
  let text = '';
  const stdout = new Writable({ write: (chunk: Buffer, _encoding, done) => { text += chunk.toString(); done(); } });
  const env = { HUAWEICLOUD_SDK_AK: credentials.ak, HUAWEICLOUD_SDK_SK: credentials.sk, HUAWEICLOUD_SDK_SECURITY_TOKEN: credentials.securityToken, OBS_BUCKET: BUCKET, OBS_ENDPOINT: userData.OBS_ENDPOINT, LOG_LEVEL: 'silent' };
  expect(await main(['status', '--json'], { stdout, stderr: stdout, env })).toBe(0);
  return JSON.parse(text) as Record<string, unknown>;
}
