/**
 * Per-protocol messages, reminders and the approval policy, through the real adapters against the
 * local cloud (which enforces SMN's message_structure and SMS rules and VPCEP's one-endpoint action).
 * The monitor's clock is a test clock, so "on time and not before" is exact.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../lib/config.js';
import { createAdapters } from '../../lib/huaweicloud/adapters.js';
import { UNLIMITED } from '../../lib/huaweicloud/budget.js';
import { LocalCloud } from '../../lib/emulator/index.js';
import type { AuditRecord } from '../../lib/monitor/audit.js';
import { runMonitor, type RunSummary } from '../../lib/monitor/run-monitor.js';
import { memoryLogger } from '../fakes.js';

const credentials = { ak: 'POLICYTESTACCESSKEY1', sk: 'policy-test-secret-key-00000000000001', securityToken: 'policy-token-0123456789' };
const TRUSTED = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const STRANGER = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const HOUR = 3_600_000;

let cloud: LocalCloud;
let service: string;
let clock: Date;

beforeEach(async () => {
  // Accepts stay `creating` until the test settles them, however slow the machine.
  cloud = await LocalCloud.start({ credentials: [credentials], acceptDelayMs: 3_600_000 });
  cloud.createBucket('policy-state');
  service = cloud.addService({ name: 'payments' }).id;
  cloud.addConnections(service, 20);
  clock = new Date('2026-11-25T00:00:00Z');
});
afterEach(async () => {
  await cloud.stop();
});

function configWith(settings: Record<string, string>): Config {
  const all: Record<string, string> = {
    HUAWEICLOUD_PROJECT_ID: cloud.projectId,
    OBS_BUCKET: 'policy-state',
    SMN_TOPIC_URN: `urn:smn:${cloud.region}:${cloud.projectId}:alerts`,
    VPCEP_ENDPOINT: cloud.endpoints.vpcep,
    SMN_ENDPOINT: cloud.endpoints.smn,
    OBS_ENDPOINT: cloud.endpoints.obs,
    ...settings,
  };
  return loadConfig((name) => all[name]);
}

let run = 0;
async function pass(config: Config): Promise<RunSummary> {
  const { logger } = memoryLogger();
  const adapters = createAdapters(config, credentials, { scan: UNLIMITED, write: UNLIMITED }, logger);
  return runMonitor(config, { ...adapters, logger, now: () => clock, budget: UNLIMITED }, { runId: `run-${++run}`, leaseExpiresAt: clock });
}
const auditRecords = (): AuditRecord[] =>
  cloud.objectKeys('policy-state', 'vpcep-monitor/audit/').flatMap((key) => cloud.getObject('policy-state', key)!.toString().trim().split('\n').map((line) => JSON.parse(line) as AuditRecord));

describe('messages for every channel', () => {
  it('publishes a message_structure SMN accepts, with e-mail, SMS and complete JSON', async () => {
    cloud.createTopic('alerts');
    const config = configWith({});
    await pass(config);
    const added = [
      cloud.addConnection(service, { status: 'pendingAcceptance', description: 'needs [review] 【now】' }),
      cloud.addConnection(service, { status: 'failed', error: [{ error_code: 'EndPoint.2014', error_message: 'No IP left.' }] }),
      ...cloud.addConnections(service, 60, { status: 'pendingAcceptance' }),
    ];
    await pass(config);
    const message = cloud.published.at(-1)!;
    expect(message.raw.message_structure).toEqual(expect.any(String));
    const structure = message.messageStructure!;
    // The JSON travels once, as the default that http, https and functiongraph subscribers receive.
    expect(Object.keys(structure).sort()).toEqual(['default', 'email', 'sms']);
    expect(Array.from(structure.sms!).length).toBeLessThanOrEqual(490);
    expect(structure.sms).not.toMatch(/[[\]【】]/);
    expect(structure.sms).toMatch(/^VPCEP ap-southeast-1: 1 failed, 61 pending\. failed /);
    expect(structure.email).toContain('error EndPoint.2014: No IP left.');
    const payload = JSON.parse(structure.default!) as { schema: string; runId: string; events: { connectionId: string; description: string }[] };
    expect(payload.schema).toBe('vpcep-connection-monitor/v1');
    expect(payload.events.map((e) => e.connectionId).sort()).toEqual(added.map((c) => c.id).sort());
    expect(payload.events.find((e) => e.connectionId === added[0]!.id)!.description).toBe('needs [review] 【now】');
  });
});

describe('reminders', () => {
  it('reminds about a request still pending REMIND_PENDING_AFTER after the alert, not before, then every period', async () => {
    cloud.createTopic('alerts');
    const config = configWith({ REMIND_PENDING_AFTER: '24h' });
    await pass(config);
    const waiting = cloud.addConnection(service, { status: 'pendingAcceptance' });
    clock = new Date(clock.getTime() + 5 * 60_000);
    await pass(config); // the alert
    const alertedAt = clock.getTime();
    expect(cloud.published).toHaveLength(1);

    clock = new Date(alertedAt + 24 * HOUR - 60_000);
    expect(await pass(config)).toMatchObject({ reminders: 0, published: 0 });
    clock = new Date(alertedAt + 24 * HOUR);
    expect(await pass(config)).toMatchObject({ reminders: 1, published: 1 });
    const reminder = cloud.published.at(-1)!;
    expect(reminder.subject).toBe('[VPCEP ap-southeast-1] 1 connection request still waiting for acceptance');
    expect(reminder.messageStructure!.email).toContain(`${waiting.id} to payments: waiting 24h`);

    clock = new Date(alertedAt + 24 * HOUR + 5 * 60_000);
    expect(await pass(config)).toMatchObject({ reminders: 0, published: 0 });
    clock = new Date(alertedAt + 48 * HOUR);
    expect(await pass(config)).toMatchObject({ reminders: 1, published: 1 });

    cloud.setStatus(service, waiting.id, 'accepted');
    clock = new Date(alertedAt + 96 * HOUR);
    expect(await pass(config)).toMatchObject({ reminders: 0, published: 0 });
    expect(cloud.published).toHaveLength(3);
  });
});

describe('approval policy', () => {
  it('enforce: accepts trusted domains and rejects strangers, one endpoint per request, reported and audited', async () => {
    cloud.createTopic('alerts');
    const config = configWith({ APPROVAL_MODE: 'enforce', AUTO_ACCEPT_DOMAINS: TRUSTED, AUTO_REJECT_DOMAINS: '*' });
    await pass(config);
    const trusted = cloud.addConnections(service, 2, { status: 'pendingAcceptance', domain_id: TRUSTED });
    const stranger = cloud.addConnection(service, { status: 'pendingAcceptance', domain_id: STRANGER });
    cloud.resetCalls();

    expect(await pass(config)).toMatchObject({ alerts: 3, actions: 3, published: 1 });
    const actions = cloud.calls.filter((call) => call.api === 'vpcep:connections:update');
    expect(actions.map((call) => call.status)).toEqual([200, 200, 200]); // the local cloud refuses a list of two
    // Accepting is asynchronous: the accepted requests pass through creating.
    const status = new Map(cloud.listConnections(service).map((c) => [c.id, c.status]));
    expect(trusted.map((c) => status.get(c.id))).toEqual(['creating', 'creating']);
    expect(status.get(stranger.id)).toBe('rejected');

    const email = cloud.published.at(-1)!.messageStructure!.email!;
    expect(email).toContain(`${trusted[0]!.id}: approval policy accepted; why: the consumer domain is on AUTO_ACCEPT_DOMAINS`);
    expect(email).toContain(`${stranger.id}: approval policy rejected; why: AUTO_REJECT_DOMAINS is * and the consumer domain is not on AUTO_ACCEPT_DOMAINS`);
    const records = auditRecords().filter((r) => r.change === 'action');
    expect(records.map((r) => [r.connectionId, r.action, r.outcome])).toEqual(
      expect.arrayContaining([[trusted[0]!.id, 'receive', 'done'], [trusted[1]!.id, 'receive', 'done'], [stranger.id, 'reject', 'done']]),
    );

    // Next run: the statuses moved because of us; they are audited, and nothing more is sent.
    // A connection still creating after our receive is not acted on again.
    cloud.resetCalls();
    expect(await pass(config)).toMatchObject({ changes: 3, actions: 0 });
    expect(cloud.calls.filter((call) => call.api === 'vpcep:connections:update')).toHaveLength(0);
    expect(cloud.settleConnections()).toBe(2);
    expect(await pass(config)).toMatchObject({ changes: 2, alerts: 0, actions: 0, published: 0 });
  });

  it('enforce: a failed action is reported and audited, and tried again next run', async () => {
    cloud.createTopic('alerts');
    const config = configWith({ APPROVAL_MODE: 'enforce', AUTO_REJECT_DOMAINS: STRANGER });
    await pass(config);
    const stranger = cloud.addConnection(service, { status: 'pendingAcceptance', domain_id: STRANGER });
    cloud.inject({ service: 'vpcep', api: 'vpcep:connections:update', kind: 'status', status: 403, body: { error_code: 'EndPoint.0004', error_msg: 'Permission denied.' } });
    await pass(config);
    expect(cloud.published.at(-1)!.messageStructure!.email).toContain(`${stranger.id}: approval policy FAILED to reject: vpcep:connections:update failed: HTTP 403 EndPoint.0004 Permission denied.`);
    expect(auditRecords().find((r) => r.change === 'action')).toMatchObject({ outcome: 'failed', action: 'reject' });
    await pass(config);
    expect(cloud.listConnections(service).find((c) => c.id === stranger.id)!.status).toBe('rejected');
  });

  it('dry-run: says what it would do and sends nothing', async () => {
    cloud.createTopic('alerts');
    const config = configWith({ APPROVAL_MODE: 'dry-run', AUTO_ACCEPT_DOMAINS: TRUSTED });
    await pass(config);
    const trusted = cloud.addConnection(service, { status: 'pendingAcceptance', domain_id: TRUSTED });
    cloud.resetCalls();
    expect(await pass(config)).toMatchObject({ actions: 1 });
    expect(cloud.calls.filter((call) => call.api === 'vpcep:connections:update')).toHaveLength(0);
    expect(cloud.listConnections(service).find((c) => c.id === trusted.id)!.status).toBe('pendingAcceptance');
    expect(cloud.published.at(-1)!.messageStructure!.email).toContain(`${trusted.id}: approval policy would accept (dry run)`);
    expect(auditRecords().find((r) => r.change === 'action')).toMatchObject({ outcome: 'planned', mode: 'dry-run' });
    // Reported once, not every run while it waits.
    expect(await pass(config)).toMatchObject({ actions: 0, published: 0 });
  });
});
