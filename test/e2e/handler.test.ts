/**
 * The built bundle, invoked the way FunctionGraph invokes it, against the local Huawei Cloud.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../functions/connection-monitor/index.js';
import { functionGraphContext, timerEvent } from '../../lib/cli/function-context.js';
import { LocalCloud } from '../../lib/emulator/index.js';
import { bundle, capturingOutput, userDataFor } from './harness.js';

const credentials = { ak: 'E2EACCESSKEY000000001', sk: 'e2e-secret-key-0000000000000000000000001', securityToken: 'e2e-security-token-value' };

describe('the bundled handler against the local cloud', () => {
  let cloud: LocalCloud;
  let userData: Record<string, string>;
  let first: string;
  let second: string;
  let stdout: string[] = [];

  beforeAll(async () => {
    cloud = await LocalCloud.start({ credentials: [credentials] });
    cloud.createBucket('monitor-state');
    first = cloud.addService({ name: 'payments' }).id;
    second = cloud.addService({ name: 'orders' }).id;
    cloud.addConnections(first, 1500);
    cloud.addConnections(second, 1001);
    userData = userDataFor(cloud, 'monitor-state');
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  const invoke = async (requestId: string, data: Record<string, string> = userData): Promise<Summary> => {
    cloud.resetCalls();
    stdout = [];
    return capturingOutput(stdout, () => bundle.handler(timerEvent(), functionGraphContext({ userData: data, credentials, requestId })));
  };
  const connectionCalls = (serviceId: string) =>
    cloud.calls.filter((call) => call.api === 'vpcep:connections:list' && call.path.includes(serviceId));

  it('records the baseline silently when nothing is in an alert state, in ceil(n/1000) calls per service', async () => {
    const summary = await invoke('run-1');
    expect(summary).toMatchObject({ services: 2, connections: 2501, changes: 2501, alerts: 0, published: 0 });
    expect(connectionCalls(first)).toHaveLength(2);
    expect(connectionCalls(second)).toHaveLength(2);
    expect(connectionCalls(first).every((call) => call.query.limit === '1000')).toBe(true);
    expect(cloud.published).toHaveLength(0);
    expect(cloud.objectKeys('monitor-state')).toContain('vpcep-monitor/state.json');
  });

  it('publishes every alerting transition exactly once, in one message', async () => {
    const accepted = cloud.listConnections(first).filter((c) => c.status === 'accepted');
    const pending = cloud.addConnection(first, { status: 'pendingAcceptance', description: 'please accept' });
    const failedOnArrival = cloud.addConnection(second, { status: 'failed', error: [{ error_code: 'EndPoint.2014', error_message: 'No free IP addresses.' }] });
    cloud.setStatus(first, accepted[0]!.id, 'failed', [{ error_code: 'EndPoint.0001', error_message: 'Route update failed.' }]);
    // In the console, so CTS names who: a rejection without a trace would be looked up again next run (#20).
    cloud.rejectAs(second, cloud.listConnections(second)[0]!.id, 'alice');
    cloud.removeConnection(first, accepted[1]!.id);

    const summary = await invoke('run-2');
    expect(summary).toMatchObject({ services: 2, connections: 2502, changes: 5, alerts: 4, published: 1 });
    expect(cloud.published).toHaveLength(1);
    const text = cloud.published[0]!.messageStructure!.email!;
    expect(text).toContain(`${pending.id}: new -> pendingAcceptance`);
    expect(text).toContain(`${failedOnArrival.id}: new -> failed`);
    expect(text).toContain('error EndPoint.2014: No free IP addresses.');
    expect(text).toContain(`${accepted[0]!.id}: accepted -> failed`);
    expect(text).toMatch(/accepted -> rejected at \S+, by alice/);
    expect(text).not.toContain(accepted[1]!.id); // a removal is audited, not alerted
    const payload = JSON.parse(cloud.published[0]!.messageStructure!.default!) as { events: { connectionId: string }[] };
    expect(payload.events).toHaveLength(4);
    expect(cloud.published[0]!.subject).toBe('[VPCEP ap-southeast-1] 4 connections changed: 2 failed, 1 rejected, 1 pendingAcceptance');
    expect(connectionCalls(first)).toHaveLength(2);
    expect(connectionCalls(second)).toHaveLength(2);
  });

  it('a quiet run publishes nothing, writes nothing, and logs one summary line', async () => {
    const writes = cloud.objectWrites('monitor-state', 'vpcep-monitor/state.json');
    const summary = await invoke('run-3');
    expect(summary).toMatchObject({ changes: 0, alerts: 0, published: 0 });
    expect(cloud.published).toHaveLength(1);
    expect(cloud.objectWrites('monitor-state', 'vpcep-monitor/state.json')).toBe(writes);
    const lines = stdout.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    const summaries = lines.filter((line) => line.msg === 'run complete');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ runId: 'run-3', summary: { services: 2, connections: 2502, published: 0 } });
  });

  it('fails before any network call when a setting is malformed, naming the setting', async () => {
    const bad = { ...userData, SMN_TOPIC_URN: 'arn:aws:sns:topic' };
    await expect(invoke('run-bad', bad)).rejects.toThrow(/SMN_TOPIC_URN/);
    expect(cloud.calls).toHaveLength(0);
    expect(stdout.join('')).toContain('configuration error');
  });
});
