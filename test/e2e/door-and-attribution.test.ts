/**
 * Who did it, and the door (#20), through the built bundle against the local cloud: CTS traces the
 * console records with a user's name, approval switched off, a whitelist opened to every account,
 * CTS refusing, and how often whitelists are read. Each test has a cloud of its own.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Summary } from '../../functions/connection-monitor/index.js';
import { functionGraphContext, timerEvent } from '../../lib/cli/function-context.js';
import { API, ctsRefused, LocalCloud, whitelistRefused } from '../../lib/emulator/index.js';
import type { AuditRecord } from '../../lib/monitor/audit.js';
import { bundle, capturingOutput, jsonLogLines, userDataFor } from './harness.js';

const credentials = { ak: 'DOORACCESSKEY0000001', sk: 'door-secret-key-000000000000000000000001', securityToken: 'door-security-token' };
const BUCKET = 'door-state';

let cloud: LocalCloud;
let userData: Record<string, string>;
let run = 0;
let output: string[] = [];

beforeEach(async () => {
  cloud = await LocalCloud.start({ credentials: [credentials] });
  cloud.createBucket(BUCKET);
  userData = { ...userDataFor(cloud, BUCKET), LOG_LEVEL: 'warn' };
});
afterEach(async () => {
  await cloud?.stop();
});

async function invoke(settings: Record<string, string> = {}): Promise<Summary> {
  output = [];
  return capturingOutput(output, () => bundle.handler(timerEvent(), functionGraphContext({ userData: { ...userData, ...settings }, credentials, requestId: `door-run-${++run}` })));
}
const trail = (): AuditRecord[] =>
  cloud.objectKeys(BUCKET, 'vpcep-monitor/audit/').sort().flatMap((key) => cloud.getObject(BUCKET, key)!.toString().trim().split('\n').map((line) => JSON.parse(line) as AuditRecord));
const email = (index = -1): string => cloud.published.at(index)?.messageStructure?.email ?? '';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('who did it (bundle)', () => {
  it('alerts a reject with the name CTS gives, records it in the trail, and records an accept by a person with theirs', async () => {
    const service = cloud.addService({ name: 'payments' }).id;
    cloud.addConnections(service, 5);
    const [first, second] = cloud.addConnections(service, 2, { status: 'pendingAcceptance' });
    await invoke();
    cloud.rejectAs(service, first!.id, 'alice');
    cloud.acceptAs(service, second!.id, 'bob');
    const summary = await invoke();
    expect(summary).toMatchObject({ alerts: 1, published: 1, undelivered: 0 });
    expect(email()).toMatch(new RegExp(`${first!.id}: pendingAcceptance -> rejected at .*, by alice`));
    expect(cloud.published.at(-1)?.messageStructure?.sms).toContain(`rejected ${first!.id} by alice`);
    const records = trail();
    expect(records.find((r) => r.connectionId === first!.id && r.change === 'status')).toMatchObject({ to: 'rejected', attribution: 'trace', by: 'alice', raised: true, traceId: expect.any(String) });
    expect(records.find((r) => r.connectionId === second!.id && r.change === 'status')).toMatchObject({ from: 'pendingAcceptance', attribution: 'trace', by: 'bob' });
    expect(cloud.calls.filter((call) => call.api === API.listTraces)).toHaveLength(1);
  });

  it('F60: delivers the reject alert without a name when CTS answers 403, logs it once, and does not fail', async () => {
    const service = cloud.addService({ name: 'payments' }).id;
    const [first] = cloud.addConnections(service, 1, { status: 'pendingAcceptance' });
    await invoke();
    cloud.rejectAs(service, first!.id, 'alice');
    cloud.inject(ctsRefused());
    const summary = await invoke();
    expect(summary).toMatchObject({ alerts: 1, published: 1, undelivered: 0, failedServices: [] });
    expect(email()).toContain(`${first!.id}: pendingAcceptance -> rejected`);
    expect(email()).not.toContain('alice');
    expect(email()).toContain('by: not known yet');
    const warnings = jsonLogLines(output).filter((line) => String(line.msg).startsWith('asking CTS'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ status: 403 });
    expect(trail().find((r) => r.change === 'status')).toMatchObject({ attribution: 'pending' });
  });

  it('F61: records who made a change whose trace arrived late, in the next run', async () => {
    const service = cloud.addService({ name: 'payments' }).id;
    const [first] = cloud.addConnections(service, 1, { status: 'pendingAcceptance' });
    await invoke();
    const rejectedAt = new Date();
    cloud.setStatus(service, first!.id, 'rejected'); // CTS has not delivered the trace yet
    await invoke();
    expect(email()).toContain('by: not known yet');
    cloud.recordTrace({ serviceId: service, connectionIds: [first!.id], action: 'reject', user: { name: 'erin' }, time: rejectedAt, traceType: 'ConsoleAction' });
    await invoke();
    const records = trail().filter((r) => r.connectionId === first!.id);
    expect(records.find((r) => r.change === 'status')).toMatchObject({ attribution: 'pending' });
    expect(records.find((r) => r.change === 'attribution')).toMatchObject({ attribution: 'trace', by: 'erin', from: 'pendingAcceptance', to: 'rejected' });
  });
});

describe('the door (bundle)', () => {
  it('alerts approval switched off, then a connection that arrives already accepted', async () => {
    const service = cloud.addService({ name: 'orders' }).id;
    cloud.addConnections(service, 3);
    await invoke();
    expect(cloud.published).toHaveLength(0);
    cloud.setApprovalEnabled(service, false, 'carol');
    expect((await invoke()).alerts).toBe(1);
    expect(cloud.published.at(-1)?.subject).toBe(`[VPCEP ${cloud.region}] 1 door change (1 approval-off)`);
    expect(email()).toContain('door: connection approval switched OFF');
    const arrived = cloud.addConnection(service, { status: 'accepted' });
    expect((await invoke()).alerts).toBe(1);
    expect(email()).toContain(`${arrived.id}: new -> accepted without review (connection approval is off)`);
    expect(trail().filter((r) => r.change === 'door').map((r) => [r.door, r.connectionId])).toEqual([['approval-off', ''], ['accepted-without-review', arrived.id]]);
  });

  it('alerts a whitelist that gains * within POSTURE_CHECK_INTERVAL', async () => {
    const service = cloud.addService({ name: 'search' }).id;
    cloud.addConnections(service, 2);
    const settings = { POSTURE_CHECK_INTERVAL: '1s' };
    await invoke(settings); // first sight: the door is recorded
    await sleep(1_100);
    await invoke(settings); // the whitelist's first read: its baseline, silent
    expect(cloud.published).toHaveLength(0);
    cloud.changeWhitelist(service, 'add', ['*'], 'dave');
    // One interval later the whitelist is due again whatever its offset: the first run after it reads it.
    await sleep(1_100);
    await invoke(settings);
    expect(email()).toContain('door: whitelist opened to EVERY account (*)');
    expect(trail().filter((r) => r.change === 'door').map((r) => r.door)).toEqual(['open-to-all']);
  });

  it('reads each of 5 whitelists at most once in four runs in a row at the default interval', async () => {
    const services = ['a', 'b', 'c', 'd', 'e'].map((name) => cloud.addService({ name }).id);
    for (const service of services) cloud.addConnections(service, 2);
    const reads: string[] = [];
    for (let i = 0; i < 4; i++) {
      cloud.resetCalls();
      await invoke();
      reads.push(...cloud.calls.filter((call) => call.api === API.listPermissions).map((call) => call.path));
    }
    for (const service of services) expect(reads.filter((path) => path.includes(service)).length).toBeLessThanOrEqual(1);
    expect(reads.length).toBeLessThan(services.length);
  });

  it('F62: costs a whitelist read VPCEP refuses (403) only that run\'s check, logged once, and reads it again next run', async () => {
    const services = [cloud.addService({ name: 'a' }).id, cloud.addService({ name: 'b' }).id];
    for (const service of services) cloud.addConnections(service, 2, { status: 'pendingAcceptance' });
    const settings = { POSTURE_CHECK_INTERVAL: '1s' };
    await invoke(settings);
    await sleep(1_100);
    cloud.inject(whitelistRefused({ times: 2 }));
    const summary = await invoke(settings);
    expect(summary).toMatchObject({ failedServices: [], undelivered: 0 });
    const warnings = jsonLogLines(output).filter((line) => String(line.msg).startsWith('reading the whitelist'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ status: 403, failed: 2 });
    cloud.resetCalls();
    await invoke(settings);
    expect(cloud.calls.filter((call) => call.api === API.listPermissions)).toHaveLength(2);
  });
});
