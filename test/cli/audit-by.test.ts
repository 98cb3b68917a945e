/** `audit --by NAME` and the door records in the table, against a trail the test writes into the local cloud's bucket. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCloud } from '../../lib/emulator/index.js';
import type { AuditRecord } from '../../lib/monitor/audit.js';
import { auditKey, stateKey } from '../../lib/monitor/keys.js';
import { emptyState, serializeState } from '../../lib/monitor/state.js';
import { userDataFor } from '../e2e/harness.js';
import { runCli } from './run-cli.js';

const credentials = { ak: 'AUDITBYACCESSKEY0001', sk: 'audit-by-secret-key-0000000000000000001' };
let cloud: LocalCloud;
let env: NodeJS.ProcessEnv;
const at = new Date(Date.now() - 3_600_000).toISOString();
const base = { at, runId: 'run-1', serviceId: '11111111-1111-4111-8111-111111111111', serviceName: 'payments', domainId: 'd', from: 'pendingAcceptance', eventId: 'e' };
const trail: AuditRecord[] = [
  { ...base, connectionId: 'c1', change: 'status', to: 'rejected', eventId: 'e1', raised: true, attribution: 'trace', by: 'Alice', sourceIp: '192.0.2.1', traceId: 't1' },
  { ...base, connectionId: 'c2', change: 'status', to: 'accepted', eventId: 'e2', raised: false, attribution: 'trace', by: 'bob' },
  { ...base, connectionId: 'c3', change: 'status', to: 'accepted', eventId: 'e3', raised: false, attribution: 'pending' },
  { ...base, connectionId: 'c3', change: 'attribution', to: 'accepted', eventId: 'e3', attribution: 'unknown' },
  { ...base, connectionId: '', change: 'door', from: null, to: 'whitelist-changed', eventId: 'e4', raised: true, door: 'whitelist-changed', accountsAdded: ['aaa'], accountsRemoved: ['*'] },
];

beforeAll(async () => {
  cloud = await LocalCloud.start({ credentials: [credentials] });
  cloud.createBucket('by-bucket');
  cloud.putObject('by-bucket', auditKey('vpcep-monitor/', new Date(at), 'run-1'), trail.map((record) => JSON.stringify(record)).join('\n') + '\n');
  const state = { ...emptyState(), savedAt: at, runId: 'run-1', generation: 1 };
  state.services.set('11111111-1111-4111-8111-111111111111', { name: 'payments', scannedAt: at, total: 0, pages: [] });
  state.services.set('22222222-2222-4222-8222-222222222222', { name: 'orders', scannedAt: at, total: 0, pages: [] });
  state.doors = new Map([
    ['11111111-1111-4111-8111-111111111111', { approvalEnabled: false, whitelist: ['*'], checkedAt: at }],
    ['22222222-2222-4222-8222-222222222222', { approvalEnabled: true, checkedAt: at }],
  ]);
  cloud.putObject('by-bucket', stateKey('vpcep-monitor/'), serializeState(state).join(''));
  env = { HUAWEICLOUD_SDK_AK: credentials.ak, HUAWEICLOUD_SDK_SK: credentials.sk, ...userDataFor(cloud, 'by-bucket'), LOG_LEVEL: 'silent', NO_COLOR: '1' };
});
afterAll(async () => {
  await cloud?.stop();
});

const ids = (out: string) => out.trim().split('\n').filter(Boolean).map((line) => (JSON.parse(line) as AuditRecord).connectionId);

describe('vpcep-monitor audit --by', () => {
  it('lists the changes a user made, in any case, and "unknown" the ones nobody was found for', async () => {
    expect(ids((await runCli(env, ['audit', '--json', '--by', 'alice'])).out)).toEqual(['c1']);
    expect(ids((await runCli(env, ['audit', '--json', '--by', 'BOB'])).out)).toEqual(['c2']);
    expect(ids((await runCli(env, ['audit', '--json', '--by', 'unknown'])).out)).toEqual(['c3']);
    expect(ids((await runCli(env, ['audit', '--json', '--by', 'mallory'])).out)).toEqual([]);
  });

  it('says who in the table, and what a door record changed', async () => {
    const { code, out } = await runCli(env, ['audit']);
    expect(code).toBe(0);
    expect(out).toMatch(/c1 .* pendingAcceptance -> rejected by Alice from 192\.0\.2\.1 \(alert raised/);
    expect(out).toMatch(/c3 .* by: not known yet/);
    expect(out).toMatch(/\(the service\) .* door .* whitelist-changed \+aaa -\* \(alert raised/);
  });

  it('refuses --by without a name', async () => {
    const { code, err } = await runCli(env, ['audit', '--by', '']);
    expect(code).toBe(2);
    expect(err).toContain('--by needs a user name');
  });
});

describe('vpcep-monitor status', () => {
  it("shows each service's door as the state keeps it", async () => {
    const { code, out } = await runCli(env, ['status']);
    expect(code).toBe(0);
    expect(out).toContain(`door: approval OFF (whitelisted accounts get in unreviewed); whitelist OPEN TO EVERY ACCOUNT (*), read ${at}`);
    expect(out).toContain(`door: approval on; whitelist not read yet (first seen ${at})`);
    const json = JSON.parse((await runCli(env, ['status', '--json'])).out) as { services: { door?: unknown }[] };
    expect(json.services.map((service) => service.door)).toEqual([{ approvalEnabled: false, whitelist: ['*'], checkedAt: at }, { approvalEnabled: true, checkedAt: at }]);
  });
});
