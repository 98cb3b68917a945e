/** The VPCEP adapter's service calls against the local cloud: one service, and a listing read whole, each service once. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UNLIMITED } from '../../lib/huaweicloud/budget.js';
import { SignedClient } from '../../lib/huaweicloud/signed-client.js';
import { VpcepClient } from '../../lib/huaweicloud/vpcep.js';
import { LocalCloud, whitelistRefused } from '../../lib/emulator/index.js';
import { failure } from '../support.js';

const credentials = { ak: 'VPCEPADAPTERAK000001', sk: 'vpcep-adapter-secret-key-00000000000001' };
let cloud: LocalCloud;
let client: VpcepClient;
beforeEach(async () => {
  cloud = await LocalCloud.start({ credentials: [credentials] });
  client = new VpcepClient(new SignedClient({ endpoint: cloud.endpoints.vpcep, credentials, retry: { retries: 0, minDelayMs: 10, maxDelayMs: 20, requestTimeoutMs: 2_000 }, budget: UNLIMITED }), cloud.projectId);
});
afterEach(async () => {
  await cloud.stop();
});

describe('VpcepClient.getService', () => {
  it('answers a service as the listing shows it, and undefined only for VPCEP 404', async () => {
    const service = cloud.addService({ name: 'payments' });
    const listed = await client.listServices();
    expect(await client.getService(service.id)).toEqual(listed[0]);
    expect(cloud.calls.at(-1)).toMatchObject({ api: 'vpcep:epservices:get', method: 'GET', path: `/v1/${cloud.projectId}/vpc-endpoint-services/${service.id}`, status: 200 });
    expect(await client.getService('0000aaaa-0000-4000-8000-000000000000')).toBeUndefined();
    expect(cloud.calls.at(-1)).toMatchObject({ api: 'vpcep:epservices:get', status: 404 });
  });

  it('fails, rather than answering "gone", on any other error', async () => {
    const service = cloud.addService({ name: 'payments' });
    cloud.inject({ service: 'vpcep', api: 'vpcep:epservices:get', kind: 'status', status: 503, body: { error_code: 'EndPoint.0001', error_msg: 'System error.' } });
    expect((await failure(client.getService(service.id))).message).toMatch(/vpcep:epservices:get failed: HTTP 503 EndPoint\.0001/);
    cloud.inject({ service: 'vpcep', api: 'vpcep:epservices:get', kind: 'status', status: 404, body: { error_code: 'APIGW.0101', error_msg: 'The API does not exist.' } });
    expect((await failure(client.getService(service.id))).message).toMatch(/HTTP 404 APIGW\.0101/);
  });
});

describe('VpcepClient.listServices', () => {
  it('reads again a listing whose total moved between pages, so no service is pushed off a page', async () => {
    const services = Array.from({ length: 1001 }, (_, i) => cloud.addService({ name: `s${i}` }));
    // While the second page is asked for, one service is deleted: the one left on page 2 moves to page 1.
    cloud.inject({ service: 'vpcep', api: 'vpcep:epservices:list', match: (req) => req.query.offset === '1000', kind: 'mutate', run: (world) => world.removeService(services[500]!.id) });
    cloud.resetCalls();
    const listed = await client.listServices();
    expect(listed.map((s) => s.id).sort()).toEqual(cloud.listServices().map((s) => s.id).sort());
    expect(cloud.calls.filter((call) => call.api === 'vpcep:epservices:list').map((call) => call.query.offset)).toEqual(['0', '1000', '0']);
  });

  it('returns a service listed twice once', async () => {
    const service = cloud.addService({ name: 'payments' });
    const item = { id: service.id, service_name: 'payments' };
    cloud.inject({ service: 'vpcep', api: 'vpcep:epservices:list', kind: 'malformed', body: JSON.stringify({ endpoint_services: [item, item], total_count: 2 }) });
    expect(await client.listServices()).toEqual([{ id: service.id, name: 'payments' }]);
  });
});

describe('VpcepClient.listConnections', () => {
  it('gives a digest of each answer, and answers `same` without parsing when the bytes are the known ones', async () => {
    const service = cloud.addService({ name: 'payments' });
    const [first] = cloud.addConnections(service.id, 3);
    const page = await client.listConnections(service.id, 0, 1000, undefined);
    expect('same' in page).toBe(false);
    const { answerDigest } = page as { answerDigest: string; totalCount: number };
    expect(answerDigest).toMatch(/^[0-9a-f]{32}$/);
    expect(await client.listConnections(service.id, 0, 1000, answerDigest)).toEqual({ same: true, answerDigest });
    // Any change to the answer, even a description no snapshot keeps, is a new answer, parsed.
    cloud.setStatus(service.id, first!.id, 'failed');
    const changed = await client.listConnections(service.id, 0, 1000, answerDigest);
    expect(changed).toMatchObject({ totalCount: 3 });
    expect((changed as { answerDigest: string }).answerDigest).not.toBe(answerDigest);
    // An error is never taken for a known answer.
    cloud.inject({ service: 'vpcep', api: 'vpcep:connections:list', kind: 'status', status: 503, body: { error_code: 'EndPoint.0001', error_msg: 'System error.' } });
    expect((await failure(client.listConnections(service.id, 0, 1000, answerDigest))).message).toMatch(/HTTP 503/);
  });
});

describe('VpcepClient: approval_enabled', () => {
  it('reads approval_enabled from the listing and the one-service query, and leaves it out when the answer has no boolean there', async () => {
    const open = cloud.addService({ name: 'open', approvalEnabled: false });
    const guarded = cloud.addService({ name: 'guarded' });
    const listed = await client.listServices();
    expect(listed.find((s) => s.id === open.id)?.approvalEnabled).toBe(false);
    expect(listed.find((s) => s.id === guarded.id)?.approvalEnabled).toBe(true);
    expect((await client.getService(open.id))?.approvalEnabled).toBe(false);
    cloud.inject({ service: 'vpcep', api: 'vpcep:epservices:list', kind: 'malformed', body: JSON.stringify({ endpoint_services: [{ id: open.id, service_name: 'open', approval_enabled: 'false' }], total_count: 1 }) });
    expect(await client.listServices()).toEqual([{ id: open.id, name: 'open' }]);
  });
});

describe('VpcepClient.listPermissions', () => {
  const domain = (n: number) => n.toString(16).padStart(32, '0');

  it('reads every page of 500 with offset paging, each entry once, and stops at total_count', async () => {
    const service = cloud.addService({ name: 'payments' });
    cloud.setWhitelist(service.id, [...Array.from({ length: 1001 }, (_, i) => domain(i)), '*']);
    cloud.resetCalls();
    const entries = await client.listPermissions(service.id);
    expect(entries).toHaveLength(1002);
    expect(new Set(entries)).toEqual(new Set(cloud.whitelist(service.id)));
    expect(entries).toContain('iam:domain::*');
    const calls = cloud.calls.filter((call) => call.api === 'vpcep:permissions:list');
    expect(calls.map((call) => [call.query.limit, call.query.offset])).toEqual([['500', '0'], ['500', '500'], ['500', '1000']]);
    expect(calls[0]).toMatchObject({ method: 'GET', path: `/v1/${cloud.projectId}/vpc-endpoint-services/${service.id}/permissions`, status: 200 });
  });

  it('asks once for an empty whitelist or one of exactly 500', async () => {
    const empty = cloud.addService({ name: 'empty' });
    const full = cloud.addService({ name: 'full' });
    cloud.setWhitelist(full.id, Array.from({ length: 500 }, (_, i) => domain(i)));
    cloud.resetCalls();
    expect(await client.listPermissions(empty.id)).toEqual([]);
    expect(await client.listPermissions(full.id)).toHaveLength(500);
    expect(cloud.calls.map((call) => call.query.offset)).toEqual(['0', '0']);
  });

  it('fails with the action named on a 403, and on an answer that is not the documented shape', async () => {
    const service = cloud.addService({ name: 'payments' });
    cloud.inject(whitelistRefused());
    expect(await failure(client.listPermissions(service.id))).toMatchObject({ status: 403, code: 'EndPoint.0004', message: expect.stringMatching(/^vpcep:permissions:list failed: HTTP 403 EndPoint\.0004/) });
    for (const body of [{ permissions: [{ id: 'x' }], total_count: 1 }, { permissions: 'all', total_count: 1 }, { permissions: [], total_count: -1 }, { permissions: [{ permission: `iam:domain::${'a'.repeat(200)}` }], total_count: 1 }]) {
      cloud.inject({ service: 'vpcep', api: 'vpcep:permissions:list', kind: 'malformed', body: JSON.stringify(body) });
      expect((await failure(client.listPermissions(service.id))).name, JSON.stringify(body).slice(0, 60)).toBe('ResponseShapeError');
    }
  });

  it('gives up on a total_count that never ends, rather than paging for ever', async () => {
    const service = cloud.addService({ name: 'payments' });
    cloud.inject({ service: 'vpcep', api: 'vpcep:permissions:list', kind: 'malformed', times: Infinity, body: JSON.stringify({ permissions: [{ permission: 'iam:domain::*' }], total_count: 1_000_000 }) });
    expect((await failure(client.listPermissions(service.id))).message).toMatch(/kept announcing more pages after 10000 entries/);
    expect(cloud.calls.filter((call) => call.api === 'vpcep:permissions:list')).toHaveLength(20);
  });
});
