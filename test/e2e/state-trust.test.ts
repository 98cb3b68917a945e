/**
 * What the monitor believes without checking, checked: whose state it is, whether a service a
 * listing left out is really gone, and whether a lease is honest. The built bundle, invoked as
 * FunctionGraph would, against the local cloud. Each test names its row of the fault table.
 */
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

const invoke = (data: Record<string, string> = userData, requestId?: string): Promise<Summary> =>
  capturingOutput(output, () => bundle.handler(timerEvent(), functionGraphContext({ userData: data, credentials, ...(requestId ? { requestId } : {}) })));
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
      expect(error.message).toMatch(/set this one's OBS_PREFIX to vpcep-monitor\/ap-southeast-1-[0-9a-f]+-all\//);
    }
    expect(alerts()).toHaveLength(baseline);
    expect(notices()).toHaveLength(1);
    expect(notices()[0]!.message).toContain(OTHER_PROJECT);
    expect(stored()).toBe(theirs);
    expect(parseState(stored()!).owner).toMatchObject({ projectId: OTHER_PROJECT });
    expect(jsonLogLines(output).filter((line) => String(line.msg).startsWith('run failed: state vpcep-monitor/state.json belongs to another monitor'))).toHaveLength(2);
  });

  it('F34: two deployments on one prefix never alert an unchanged connection; the second to come is stopped and told, whichever it is', async () => {
    const onlyGood = { ...userData, VPCEP_SERVICE_IDS: good };
    for (const [prefix, first, second] of [['one/', userData, onlyGood], ['two/', onlyGood, userData]] as const) {
      const a = { ...first, OBS_PREFIX: prefix };
      const b = { ...second, OBS_PREFIX: prefix };
      await invoke(a); // the baseline: reports what already needs someone, once
      const afterBaseline = alerts().length;
      const noticesBefore = notices().length;
      for (let round = 0; round < 3; round++) {
        const error = await failure(invoke(b));
        expect(error.message).toMatch(/watching (all services|service\(s\) [0-9a-f-]+)/);
        expect(error.message).toContain(`set this one's OBS_PREFIX to ${prefix}ap-southeast-1-`);
        expect(await invoke(a)).toMatchObject({ changes: 0, alerts: 0, published: 0 });
      }
      expect(alerts()).toHaveLength(afterBaseline);
      expect(notices()).toHaveLength(noticesBefore + 1);
    }
  });

  it('adopts a state written before owners were recorded, once, without alerting, and stamps it', async () => {
    await invoke();
    const sent = cloud.published.length;
    cloud.putObject('state', STATE, stored()!.replace(/"owner":\{[^}]*\},/, ''));
    expect(parseState(stored()!).owner).toBeUndefined();
    expect(await invoke()).toMatchObject({ changes: 0, alerts: 0, published: 0 });
    expect(parseState(stored()!).owner).toEqual({ projectId: cloud.projectId, region: 'ap-southeast-1', services: '*', prefix: 'vpcep-monitor/' });
    expect(cloud.published).toHaveLength(sent);
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
