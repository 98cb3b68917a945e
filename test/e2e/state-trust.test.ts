/**
 * What the monitor believes without checking, checked: whose state it is, whether a service a
 * listing left out is really gone, and whether a lease is honest. The built bundle, invoked as
 * FunctionGraph would, against the local cloud. Each test names its row of the fault table.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Summary } from '../../functions/connection-monitor/index.js';
import { functionGraphContext, timerEvent } from '../../lib/cli/function-context.js';
import { LocalCloud } from '../../lib/emulator/index.js';
import type { AuditRecord } from '../../lib/monitor/audit.js';
import { parseState } from '../../lib/monitor/state.js';
import { failure } from '../support.js';
import { bundle, capturingOutput, jsonLogLines, userDataFor } from './harness.js';

const credentials = { ak: 'STATETRUSTAK00000001', sk: 'state-trust-secret-key-00000000000001' };
const OTHER_PROJECT = 'f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0';
const STATE = 'vpcep-monitor/state.json';
const LEASE = 'vpcep-monitor/lease.json';

let cloud: LocalCloud;
let userData: Record<string, string>;
let good: string;
let other: string;
let output: string[];

beforeEach(async () => {
  cloud = await LocalCloud.start({ credentials: [credentials] });
  cloud.createBucket('state');
  good = cloud.addService({ name: 'good' }).id;
  other = cloud.addService({ name: 'other' }).id;
  cloud.addConnections(good, 30);
  cloud.addConnections(other, 20);
  // A connection that needs someone and does not change: only a baseline may report it.
  cloud.addConnection(other, { status: 'failed', error: [{ error_code: 'EndPoint.2014', error_message: 'No free IP addresses.' }] });
  userData = userDataFor(cloud, 'state');
  output = [];
});
afterEach(async () => {
  await cloud.stop();
});

const invoke = (data: Record<string, string> = userData, functionName?: string): Promise<Summary> =>
  capturingOutput(output, () => bundle.handler(timerEvent(), functionGraphContext({ userData: data, credentials, ...(functionName ? { functionName } : {}) })));
const stored = (key = STATE) => cloud.getObject('state', key)?.toString();
const alerts = () => cloud.published.filter((message) => !/monitor stopped|unreadable/.test(message.subject ?? ''));
const notices = () => cloud.published.filter((message) => /monitor stopped/.test(message.subject ?? ''));
const trail = (): AuditRecord[] =>
  cloud.objectKeys('state', 'vpcep-monitor/audit/').flatMap((key) => stored(key)!.split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditRecord));

describe('whose state it is', () => {
  it("F33: a state written for another project raises no alert, stays readable where it is, and fails every run naming both projects", async () => {
    await invoke();
    const baseline = alerts().length;
    const theirs = stored()!.replace(`"projectId":"${cloud.projectId}"`, `"projectId":"${OTHER_PROJECT}"`);
    cloud.putObject('state', STATE, theirs);
    cloud.addConnection(good, { status: 'pendingAcceptance' });
    for (let run = 0; run < 2; run++) {
      const error = await failure(invoke());
      expect(error.name).toBe('ForeignStateError');
      expect(error.message).toContain(`written for project ${OTHER_PROJECT} in ap-southeast-1`);
      expect(error.message).toContain(`this monitor is project ${cloud.projectId} in ap-southeast-1`);
      expect(error.message).toMatch(/set this one's OBS_PREFIX to vpcep-monitor\/ap-southeast-1-[0-9a-f]+-vpcep-connection-monitor\//);
    }
    expect(alerts()).toHaveLength(baseline);
    expect(notices()).toHaveLength(1);
    // An operator notice keeps the channel contract: JSON for machines, e-mail text, a short SMS.
    const notice = notices()[0]!.messageStructure!;
    expect(notice.email).toContain(OTHER_PROJECT);
    expect(JSON.parse(notice.default!)).toMatchObject({ type: 'foreign-state', owner: { projectId: OTHER_PROJECT } });
    expect(notice.sms!.length).toBeLessThanOrEqual(490);
    expect(stored()).toBe(theirs);
    expect(parseState(stored()!).owner).toMatchObject({ projectId: OTHER_PROJECT });
    expect(jsonLogLines(output).filter((line) => String(line.msg).startsWith('run failed: state vpcep-monitor/state.json belongs to another monitor'))).toHaveLength(2);
  });

  it('F34: two deployments on one prefix never alert an unchanged connection; the second to come is stopped and told, whichever it is, with the same filter or another', async () => {
    const onlyGood = { ...userData, VPCEP_SERVICE_IDS: good };
    const cases = [['one/', userData, onlyGood], ['two/', onlyGood, userData], ['same/', userData, userData], ['same-list/', onlyGood, onlyGood]] as const;
    for (const [prefix, first, second] of cases) {
      const a = { ...first, OBS_PREFIX: prefix };
      const b = { ...second, OBS_PREFIX: prefix };
      await invoke(a, 'monitor-a'); // the baseline: reports what already needs someone, once
      const afterBaseline = alerts().length;
      const noticesBefore = notices().length;
      for (let round = 0; round < 3; round++) {
        const error = await failure(invoke(b, 'monitor-b'));
        expect(error.name).toBe('ForeignStateError');
        expect(error.message).toMatch(/watching (all services|service\(s\) [0-9a-f-]+) \(function default\/monitor-a\)/);
        expect(error.message).toContain(`set this one's OBS_PREFIX to ${prefix}ap-southeast-1-${cloud.projectId}-monitor-b/`);
        expect(await invoke(a, 'monitor-a')).toMatchObject({ changes: 0, alerts: 0, published: 0 });
      }
      expect(alerts()).toHaveLength(afterBaseline);
      expect(notices()).toHaveLength(noticesBefore + 1);
      expect(parseState(stored(`${prefix}state.json`)!).owner).toMatchObject({ deployment: 'default/monitor-a' });
    }
  });

  it('adopts a state written before owners were recorded, once, without alerting, and stamps it', async () => {
    await invoke();
    const sent = cloud.published.length;
    cloud.putObject('state', STATE, stored()!.replace(/"owner":\{[^}]*\},/, ''));
    expect(parseState(stored()!).owner).toBeUndefined();
    expect(await invoke()).toMatchObject({ changes: 0, alerts: 0, published: 0 });
    expect(parseState(stored()!).owner).toEqual({ projectId: cloud.projectId, region: 'ap-southeast-1', services: '*', prefix: 'vpcep-monitor/', deployment: 'default/vpcep-connection-monitor' });
    expect(cloud.published).toHaveLength(sent);
  });
});

describe('a deployment reconfigured', () => {
  const deploymentLines = () => jsonLogLines(output).filter((line) => String(line.msg).includes('accepted as a reconfiguration'));

  it('F53: the same function changing VPCEP_SERVICE_IDS keeps running, alerts nothing that did not change, and still delivers what waited in the outbox', async () => {
    await invoke(); // the baseline, watching all services
    // An alert raised while SMN is down waits in the outbox, on a service about to leave the filter.
    cloud.inject({ service: 'smn', kind: 'status', status: 500, times: Infinity, body: { request_id: 'r', code: 'SMN.0001', message: 'Internal error.' } });
    const waiting = cloud.addConnection(other, { status: 'pendingAcceptance' });
    expect((await failure(invoke())).name).toBe('RunIncompleteError');
    expect(parseState(stored()!).outbox.map((event) => event.connectionId)).toEqual([waiting.id]);
    cloud.clearFaults();
    const sent = alerts().length;

    // terraform apply with service_ids = [good]: the same function, another filter.
    const narrowed = { ...userData, VPCEP_SERVICE_IDS: good };
    expect(await invoke(narrowed)).toMatchObject({ services: 1, changes: 0, alerts: 0, published: 1, undelivered: 0 });
    expect(alerts()).toHaveLength(sent + 1);
    expect(alerts().at(-1)!.messageStructure!.email).toContain(waiting.id);
    const state = parseState(stored()!);
    expect(state.owner).toEqual({ projectId: cloud.projectId, region: 'ap-southeast-1', services: [good], prefix: 'vpcep-monitor/', deployment: 'default/vpcep-connection-monitor' });
    expect([...state.services.keys()]).toEqual([good]);
    expect([...state.pending.keys()]).not.toContain(other);
    expect(trail().filter((record) => record.change === 'removed')).toEqual([]);
    expect(notices()).toEqual([]);
    const [logged, ...more] = deploymentLines();
    expect(more).toEqual([]);
    expect(logged).toMatchObject({ level: 'info', unwatched: [other] });
    expect(logged!.msg).toContain(`changed from all services to service(s) ${good}`);
    expect(logged!.msg).toContain(`service(s) ${other} left the filter: no longer watched`);

    // Restamped: the next run is quiet, saves nothing and logs no reconfiguration again.
    expect(await invoke(narrowed)).toMatchObject({ changes: 0, alerts: 0, published: 0 });
    expect(parseState(stored()!).generation).toBe(state.generation);
    expect(deploymentLines()).toHaveLength(1);

    // Back to all services: the service that joins is read as a new one, so what in it needs
    // someone is reported as for a new service (under the event ids it had); nothing of good's is.
    const summary = await invoke();
    expect(summary).toMatchObject({ services: 2, changes: 22, alerts: 2 });
    expect(alerts().slice(-1).map((message) => message.messageStructure!.email)).toEqual([expect.stringContaining(waiting.id)]);
    expect(trail().filter((record) => record.serviceId === good && record.change !== 'status' && record.at > state.savedAt)).toEqual([]);
    expect(parseState(stored()!).owner).toMatchObject({ services: '*' });
  });

  it('F54: a CLI run between two function runs changes nothing for the function; the CLI keeps the function as the owner', async () => {
    await invoke();
    const before = parseState(stored()!);
    const env = { PATH: process.env.PATH, HUAWEICLOUD_SDK_AK: credentials.ak, HUAWEICLOUD_SDK_SK: credentials.sk, ...userData, LOG_LEVEL: 'warn' };
    cloud.addConnection(good, { status: 'pendingAcceptance' }); // so the CLI run saves
    await promisify(execFile)(process.execPath, ['dist/cli.js', 'run'], { env });
    const afterCli = parseState(stored()!);
    expect(afterCli.generation).toBeGreaterThan(before.generation); // it saved, and stamped an owner
    expect(afterCli.owner).toEqual(before.owner);
    expect(await invoke()).toMatchObject({ changes: 0, alerts: 0, published: 0 });
    expect(parseState(stored()!).generation).toBe(afterCli.generation);
    expect(deploymentLines()).toEqual([]);

    // The CLI has no deployment of its own: only the filter tells it is the same monitor.
    const refused = await failure(promisify(execFile)(process.execPath, ['dist/cli.js', 'run'], { env: { ...env, VPCEP_SERVICE_IDS: good } }));
    expect((refused as Error & { stderr: string }).stderr).toContain('belongs to another monitor');
    expect(parseState(stored()!).generation).toBe(afterCli.generation);

    // A state the previous version wrote (an owner, no deployment) is the function's, stamped once.
    cloud.putObject('state', STATE, stored()!.replace(/,"deployment":"[^"]*"/, ''));
    expect(await invoke()).toMatchObject({ changes: 0, alerts: 0, published: 0 });
    expect(parseState(stored()!).owner).toEqual(before.owner);
    expect(notices()).toHaveLength(1); // the refused CLI run's
  });
});

describe('a service missing from a listing', () => {
  it('F35: gets no removed record and nothing is re-alerted; VPCEP is asked about it on its own', async () => {
    await invoke();
    const sent = cloud.published.length;
    const listedWithout = { endpoint_services: [{ id: good, service_name: 'good' }], total_count: 1 };
    cloud.inject({ service: 'vpcep', api: 'vpcep:epservices:list', kind: 'malformed', body: JSON.stringify(listedWithout) });
    cloud.resetCalls();
    expect(await invoke()).toMatchObject({ services: 2, changes: 0, alerts: 0 });
    expect(cloud.calls.filter((call) => call.api === 'vpcep:epservices:get').map((call) => [call.path.endsWith(other), call.status])).toEqual([[true, 200]]);
    expect(await invoke()).toMatchObject({ services: 2, changes: 0, alerts: 0 });
    expect(cloud.published).toHaveLength(sent);
    expect(trail().filter((record) => record.change === 'removed')).toEqual([]);
    // A service VPCEP says is gone is removed, as before.
    cloud.removeService(other);
    expect(await invoke()).toMatchObject({ services: 1, changes: 21, alerts: 0 });
    expect(trail().filter((record) => record.change === 'removed')).toHaveLength(21);
  });
});

describe('leases', () => {
  it('F36: a lease claiming a year is taken over, with a warning naming its holder, and the alert goes out in the same run', async () => {
    await invoke();
    const yearAhead = new Date(Date.now() + 365 * 86_400_000).toISOString();
    cloud.putObject('state', LEASE, JSON.stringify({ runId: 'cli-left-by-ctrl-c', expiresAt: yearAhead }));
    const waiting = cloud.addConnection(good, { status: 'pendingAcceptance' });
    expect(await invoke()).toMatchObject({ alerts: 1, published: 1 });
    expect(cloud.published.at(-1)!.messageStructure!.email).toContain(waiting.id);
    const warning = jsonLogLines(output).find((line) => line.level === 'warn' && String(line.msg).includes('taken over as stale'))!;
    expect(warning.msg).toContain(`the state lease of cli-left-by-ctrl-c claimed until ${yearAhead}`);
    expect(stored(LEASE)).toBeUndefined();
  });

  it('F37: the second run skipped for a lease fails, and run_skipped reaches Cloud Eye', async () => {
    const data = { ...userData, METRICS_NAMESPACE: 'VPCEP.Trust', CES_ENDPOINT: cloud.endpoints.ces };
    await invoke(data);
    cloud.putObject('state', LEASE, JSON.stringify({ runId: 'busy-holder', expiresAt: new Date(Date.now() + 600_000).toISOString() }));
    cloud.addConnection(good, { status: 'pendingAcceptance' });
    const sent = cloud.published.length;
    expect(await invoke(data)).toMatchObject({ skipped: 'lease held by busy-holder', published: 0, undelivered: 1 });
    const error = await failure(invoke(data));
    expect(error.name).toBe('LeaseHeldError');
    expect(error.message).toMatch(/lease is held by busy-holder until .*2 runs in a row found it so; 1 alert\(s\) wait/);
    expect(cloud.published).toHaveLength(sent);
    expect(cloud.metrics.filter((metric) => metric.metricName === 'run_skipped').map((metric) => metric.value)).toEqual([0, 1, 1]);
    // The holder gone, the next run delivers what waited.
    cloud.putObject('state', LEASE, '');
    expect(await invoke(data)).toMatchObject({ alerts: 1, published: 1 });
  });
});
