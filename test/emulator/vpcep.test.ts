/** Local VPCEP: listing services and connections, paging, the accept/reject action, EndPoint.* errors. */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type EmulatedConnection, type LocalCloud, offsetPastEndRefused, vpcepThrottled } from '../../lib/emulator/index.js';
import { apigFetch, startCloud } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
let now: Date;
let cloud: LocalCloud;

beforeEach(async () => {
  now = new Date(Date.now());
  cloud = await startCloud({ clock: () => now });
});
afterEach(() => cloud.stop());

function tick(seconds: number): void {
  now = new Date(now.getTime() + seconds * 1000);
}

function get(path: string, query: Record<string, string> = {}) {
  return apigFetch(cloud.endpoints.vpcep, { method: 'GET', path: `/v1/${cloud.projectId}${path}`, query });
}

function action(serviceId: string, body: unknown, sentBody?: string) {
  return apigFetch(cloud.endpoints.vpcep, {
    method: 'POST',
    path: `/v1/${cloud.projectId}/vpc-endpoint-services/${serviceId}/connections/action`,
    body,
    ...(sentBody === undefined ? {} : { sentBody }),
  });
}

function ids(res: { json: Record<string, unknown> }): string[] {
  return (res.json.connections as EmulatedConnection[]).map((c) => c.id);
}

describe('list endpoint services', () => {
  test('returns the documented fields, newest first by default', async () => {
    const a = cloud.addService({ name: 'alpha', approvalEnabled: true });
    tick(1);
    const b = cloud.addService({ name: 'beta', approvalEnabled: false });
    cloud.addConnections(a.id, 3);
    const res = await get('/vpc-endpoint-services');
    expect(res.status).toBe(200);
    expect(res.json.total_count).toBe(2);
    const services = res.json.endpoint_services as Record<string, unknown>[];
    expect(services.map((s) => s.id)).toEqual([b.id, a.id]);
    expect(services[1]).toEqual({
      id: a.id,
      port_id: expect.stringMatching(UUID),
      service_name: `${cloud.region}.alpha.${a.id}`,
      server_type: 'VM',
      vpc_id: a.vpcId,
      approval_enabled: true,
      status: 'available',
      service_type: 'interface',
      created_at: a.createdAt,
      updated_at: a.createdAt,
      project_id: cloud.projectId,
      domain_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      cidr_type: 'internal',
      ports: [{ client_port: 443, server_port: 8443, protocol: 'TCP' }],
      tags: [],
      connection_count: 3,
      tcp_proxy: 'close',
      error: [],
      description: '',
      public_border_group: 'center',
      enable_policy: false,
    });
    // One owner for the project's services; a port of its own for each, the same on every read.
    expect(services[0]!.domain_id).toBe(services[1]!.domain_id);
    expect(services[0]!.port_id).not.toBe(services[1]!.port_id);
    expect(((await get('/vpc-endpoint-services')).json.endpoint_services as Record<string, unknown>[])[1]!.port_id).toBe(services[1]!.port_id);
  });

  test('carries every field of the SDK models (Go v3 ServiceList and ListServiceDetailsResponse, Node v3 ServiceList)', async () => {
    cloud.addService();
    const [service] = (await get('/vpc-endpoint-services')).json.endpoint_services as Record<string, unknown>[];
    // vip_port_id is sent only for VIP services, and these are VM services.
    const goServiceList = ['id', 'port_id', 'service_name', 'service_type', 'vpc_id', 'approval_enabled', 'status', 'server_type', 'created_at', 'updated_at', 'project_id', 'domain_id', 'ports', 'tags', 'connection_count', 'tcp_proxy', 'error'];
    const goDetails = ['cidr_type'];
    const nodeServiceList = ['description', 'public_border_group', 'enable_policy'];
    expect(Object.keys(service!).sort()).toEqual([...goServiceList, ...goDetails, ...nodeServiceList].sort());
  });

  test('pages with limit (default 10) and offset, and filters by name', async () => {
    for (let i = 0; i < 12; i++) cloud.addService({ name: i % 2 === 0 ? `even-${i}` : `odd-${i}` });
    expect(((await get('/vpc-endpoint-services')).json.endpoint_services as unknown[]).length).toBe(10);
    const tail = await get('/vpc-endpoint-services', { offset: '10', sort_dir: 'asc' });
    expect((tail.json.endpoint_services as unknown[]).length).toBe(2);
    expect(tail.json.total_count).toBe(12);
    const odd = await get('/vpc-endpoint-services', { endpoint_service_name: 'odd-', limit: '100' });
    expect(odd.json.total_count).toBe(6);
  });

  test('limit=0 answers the count only', async () => {
    cloud.addService();
    const res = await get('/vpc-endpoint-services', { limit: '0' });
    expect(res.json).toEqual({ endpoint_services: [], total_count: 1 });
  });

  test.each([
    [{ limit: '1001' }, 'EndPoint.0006'],
    [{ offset: '-1' }, 'EndPoint.0010'],
    [{ sort_key: 'name' }, 'EndPoint.0017'],
    [{ sort_dir: 'up' }, 'EndPoint.0018'],
    [{ status: 'bogus' }, 'EndPoint.0019'],
  ])('rejects %o with 400 %s', async (query, code) => {
    const res = await get('/vpc-endpoint-services', query);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error_code: code });
  });

  test('connection_count counts only creating and accepted endpoints', async () => {
    const svc = cloud.addService();
    for (const status of ['pendingAcceptance', 'creating', 'accepted', 'rejected', 'failed', 'deleting']) cloud.addConnection(svc.id, { status });
    cloud.addConnection(svc.id);
    const count = async () => ((await get('/vpc-endpoint-services')).json.endpoint_services as { connection_count: number }[])[0]?.connection_count;
    expect(await count()).toBe(3);
    const pending = cloud.listConnections(svc.id).find((c) => c.status === 'pendingAcceptance');
    await action(svc.id, { action: 'receive', endpoints: [pending?.id] });
    expect(await count()).toBe(4); // creating counts
  });

  test('accepts both sort_key spellings', async () => {
    for (const sort_key of ['created_at', 'create_at', 'updated_at', 'update_at']) {
      expect((await get('/vpc-endpoint-services', { sort_key })).status).toBe(200);
    }
  });

  test("another project's path is 403 EndPoint.0004", async () => {
    const res = await apigFetch(cloud.endpoints.vpcep, { method: 'GET', path: `/v1/${'f'.repeat(32)}/vpc-endpoint-services` });
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ error_code: 'EndPoint.0004' });
  });
});

describe('list connections', () => {
  test('defaults to 10 newest-first, with total_count ignoring limit', async () => {
    const svc = cloud.addService();
    const seeded = cloud.addConnections(svc.id, 25, { status: 'pendingAcceptance', description: 'hello' });
    const res = await get(`/vpc-endpoint-services/${svc.id}/connections`);
    expect(res.status).toBe(200);
    expect(res.json.total_count).toBe(25);
    // Same created_at for all: ties fall back to marker_id, so desc is highest marker first.
    expect(ids(res)).toEqual(seeded.slice(15).reverse().map((c) => c.id));
    const first = (res.json.connections as EmulatedConnection[])[0];
    expect(first).toEqual(seeded[24]);
    expect(first?.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(typeof first?.marker_id).toBe('number');
    expect(first).not.toHaveProperty('error');
  });

  test('sorts by create_at or update_at, asc or desc', async () => {
    const svc = cloud.addService();
    const [a, b, c] = [cloud.addConnection(svc.id), (tick(1), cloud.addConnection(svc.id)), (tick(1), cloud.addConnection(svc.id))];
    tick(1);
    cloud.setStatus(svc.id, a?.id ?? '', 'failed', [{ error_code: 'Endpoint.1001', error_message: 'boom' }]);
    const path = `/vpc-endpoint-services/${svc.id}/connections`;
    expect(ids(await get(path, { sort_dir: 'asc' }))).toEqual([a?.id, b?.id, c?.id]);
    expect(ids(await get(path, { sort_key: 'update_at' }))).toEqual([a?.id, c?.id, b?.id]);
    expect(ids(await get(path, { sort_key: 'update_at', sort_dir: 'asc' }))).toEqual([b?.id, c?.id, a?.id]);
    const failed = (await get(path, { status: 'failed' })).json.connections as EmulatedConnection[];
    expect(failed).toEqual([expect.objectContaining({ id: a?.id, error: [{ error_code: 'Endpoint.1001', error_message: 'boom' }] })]);
  });

  test('paging with offset visits every connection exactly once, deterministically', async () => {
    const svc = cloud.addService();
    for (let i = 0; i < 5; i++) {
      cloud.addConnections(svc.id, 7);
      tick(1);
    }
    const seen: string[] = [];
    for (let offset = 0; offset < 35; offset += 6) {
      seen.push(...ids(await get(`/vpc-endpoint-services/${svc.id}/connections`, { limit: '6', offset: String(offset) })));
    }
    expect(new Set(seen).size).toBe(35);
    expect(ids(await get(`/vpc-endpoint-services/${svc.id}/connections`, { limit: '35' }))).toEqual(seen);
  });

  test('filters by id, marker_id and status', async () => {
    const svc = cloud.addService();
    const [x, y] = cloud.addConnections(svc.id, 2, { status: 'pendingAcceptance' });
    cloud.addConnections(svc.id, 3);
    const path = `/vpc-endpoint-services/${svc.id}/connections`;
    expect(ids(await get(path, { id: x?.id ?? '' }))).toEqual([x?.id]);
    expect(ids(await get(path, { marker_id: String(y?.marker_id) }))).toEqual([y?.id]);
    expect(ids(await get(path, { id: x?.id ?? '', status: 'accepted' }))).toEqual([]);
    const pending = await get(path, { status: 'pendingAcceptance' });
    expect(pending.json.total_count).toBe(2);
  });

  test.each([
    [{ limit: '1001' }, 'EndPoint.0006'],
    [{ limit: '10.5' }, 'EndPoint.0006'],
    [{ offset: '-1' }, 'EndPoint.0010'],
    [{ offset: 'x' }, 'EndPoint.0010'],
    [{ sort_key: 'created_at' }, 'EndPoint.0017'],
    [{ sort_dir: 'DESC' }, 'EndPoint.0018'],
    [{ status: 'pending' }, 'EndPoint.0019'],
  ])('rejects %o with 400 %s', async (query, code) => {
    const svc = cloud.addService();
    const res = await get(`/vpc-endpoint-services/${svc.id}/connections`, query);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error_code: code, error_msg: expect.any(String) });
  });

  test('an offset at or past the total answers an empty page with the true total_count', async () => {
    const svc = cloud.addService();
    const path = `/vpc-endpoint-services/${svc.id}/connections`;
    const empty = await get(path, { offset: '0' });
    expect([empty.status, empty.json]).toEqual([200, { connections: [], total_count: 0 }]);
    cloud.addConnections(svc.id, 3);
    expect(ids(await get(path, { offset: '2' }))).toHaveLength(1);
    for (const offset of ['3', '1000']) {
      const res = await get(path, { offset, limit: '1000' });
      expect([res.status, res.json]).toEqual([200, { connections: [], total_count: 3 }]);
    }
    // The total is the filtered one.
    const filtered = await get(path, { offset: '1', status: 'pendingAcceptance' });
    expect([filtered.status, filtered.json]).toEqual([200, { connections: [], total_count: 0 }]);
    const services = await get('/vpc-endpoint-services', { offset: '5' });
    expect([services.status, services.json]).toEqual([200, { endpoint_services: [], total_count: 1 }]);
  });

  test('limit=0 answers the count only', async () => {
    const svc = cloud.addService();
    cloud.addConnections(svc.id, 4);
    const res = await get(`/vpc-endpoint-services/${svc.id}/connections`, { limit: '0' });
    expect([res.status, res.json]).toEqual([200, { connections: [], total_count: 4 }]);
  });

  test('a list that shrank between pages answers the next page empty, with the new total', async () => {
    const svc = cloud.addService();
    const seeded = cloud.addConnections(svc.id, 2500);
    const path = `/vpc-endpoint-services/${svc.id}/connections`;
    expect((await get(path, { limit: '1000' })).json.total_count).toBe(2500);
    for (const conn of seeded.slice(0, 1500)) cloud.removeConnection(svc.id, conn.id);
    const second = await get(path, { limit: '1000', offset: '1000' });
    expect([second.status, second.json]).toEqual([200, { connections: [], total_count: 1000 }]);
  });

  test('offsetPastEndRefused: the stricter reading, 400 EndPoint.0010 at or past the end, as an injected fault', async () => {
    const svc = cloud.addService();
    cloud.addConnections(svc.id, 3);
    cloud.addConnections(svc.id, 1, { status: 'pendingAcceptance' });
    cloud.inject(offsetPastEndRefused(cloud));
    const path = `/vpc-endpoint-services/${svc.id}/connections`;
    for (const offset of ['4', '1000']) {
      const res = await get(path, { offset });
      expect([res.status, res.json]).toEqual([400, { error_code: 'EndPoint.0010', error_msg: 'Invalid offset.' }]);
    }
    expect(ids(await get(path, { offset: '3' }))).toHaveLength(1);
    expect((await get(path, { offset: '0' })).status).toBe(200);
    // Counted with the status filter, when the request arrives.
    expect((await get(path, { offset: '1', status: 'pendingAcceptance' })).status).toBe(400);
    cloud.addConnection(svc.id);
    expect((await get(path, { offset: '4' })).status).toBe(200);
    expect((await get(`/vpc-endpoint-services/${'0'.repeat(32)}/connections`, { offset: '1' })).json).toMatchObject({ error_code: 'EndPoint.0005' });
  });

  test('vpcepThrottled: VPCEP\'s own throttling, 400 EndPoint.0022, for as many requests as asked', async () => {
    const svc = cloud.addService();
    cloud.inject(vpcepThrottled({ api: 'vpcep:connections:list', times: 2 }));
    const path = `/vpc-endpoint-services/${svc.id}/connections`;
    for (let i = 0; i < 2; i++) {
      const res = await get(path);
      expect([res.status, res.json]).toEqual([400, { error_code: 'EndPoint.0022', error_msg: 'The number of requests exceeded the limit.' }]);
    }
    expect((await get(path)).status).toBe(200);
    cloud.inject(vpcepThrottled());
    expect((await get('/vpc-endpoint-services')).json).toMatchObject({ error_code: 'EndPoint.0022' });
  });

  test('limit 1000 is accepted', async () => {
    const svc = cloud.addService();
    cloud.addConnections(svc.id, 1001);
    const res = await get(`/vpc-endpoint-services/${svc.id}/connections`, { limit: '1000' });
    expect((res.json.connections as unknown[]).length).toBe(1000);
    expect(res.json.total_count).toBe(1001);
  });

  test('an unknown or removed service is 404 EndPoint.0005', async () => {
    const svc = cloud.addService();
    cloud.removeService(svc.id);
    const res = await get(`/vpc-endpoint-services/${svc.id}/connections`);
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ error_code: 'EndPoint.0005' });
  });
});

describe('error body shape', () => {
  test('flat by default, nested {"error":{"code","message"}} on request, for every VPCEP error', async () => {
    const flat = await get('/vpc-endpoint-services/no-such-service/connections');
    expect(flat.json).toEqual({ error_code: 'EndPoint.0005', error_msg: 'Endpoint service no-such-service not found.' });

    await cloud.stop();
    cloud = await startCloud({ clock: () => now, vpcepErrorShape: 'nested' });
    const svc = cloud.addService();
    const notFound = await get('/vpc-endpoint-services/no-such-service/connections');
    expect([notFound.status, notFound.json]).toEqual([404, { error: { code: 'EndPoint.0005', message: 'Endpoint service no-such-service not found.' } }]);
    const forbidden = await apigFetch(cloud.endpoints.vpcep, { method: 'GET', path: `/v1/${'f'.repeat(32)}/vpc-endpoint-services` });
    expect([forbidden.status, forbidden.json]).toEqual([403, { error: { code: 'EndPoint.0004', message: expect.any(String) } }]);
    const badAction = await action(svc.id, { action: 'accept', endpoints: ['x'] });
    expect(badAction.json).toEqual({ error: { code: 'EndPoint.0007', message: expect.any(String) } });
    // The gateway in front keeps its own shape.
    const unsigned = await fetch(`${cloud.endpoints.vpcep}/v1/${cloud.projectId}/vpc-endpoint-services`);
    expect(await unsigned.json()).toMatchObject({ error_code: 'APIGW.0301' });
  });
});

describe('world changes', () => {
  test('setStatus moves updated_at forward by a second even when the clock stands still', () => {
    const svc = cloud.addService();
    const conn = cloud.addConnection(svc.id, { status: 'pendingAcceptance' });
    cloud.setStatus(svc.id, conn.id, 'accepted');
    cloud.setStatus(svc.id, conn.id, 'rejected');
    const after = cloud.listConnections(svc.id)[0];
    expect(Date.parse(after?.updated_at ?? '') - Date.parse(conn.updated_at)).toBe(2000);
    expect(after?.created_at).toBe(conn.created_at);
  });

  test('removed connections disappear from the listing', async () => {
    const svc = cloud.addService();
    const [a, b] = cloud.addConnections(svc.id, 2);
    cloud.removeConnection(svc.id, a?.id ?? '');
    const res = await get(`/vpc-endpoint-services/${svc.id}/connections`);
    expect(ids(res)).toEqual([b?.id]);
    expect(res.json.total_count).toBe(1);
  });
});

describe('connection action', () => {
  test('receive answers the connection as creating; it is accepted once the accept delay has passed', async () => {
    const svc = cloud.addService();
    const conn = cloud.addConnection(svc.id, { status: 'pendingAcceptance' });
    tick(5);
    const actedAt = now.getTime();
    const res = await action(svc.id, { action: 'receive', endpoints: [conn.id] });
    expect(res.status).toBe(200);
    const [updated] = res.json.connections as EmulatedConnection[];
    expect(updated).toMatchObject({ id: conn.id, status: 'creating' });
    expect(Date.parse(updated?.updated_at ?? '') - Date.parse(conn.updated_at)).toBe(5000);
    expect(cloud.calls.at(-1)?.api).toBe('vpcep:connections:update');

    tick(1); // 1 s of the default 1.5 s
    const during = (await get(`/vpc-endpoint-services/${svc.id}/connections`)).json.connections as EmulatedConnection[];
    expect(during[0]?.status).toBe('creating');
    tick(1);
    const after = (await get(`/vpc-endpoint-services/${svc.id}/connections`)).json.connections as EmulatedConnection[];
    expect(after[0]?.status).toBe('accepted');
    // updated_at is when the accept completed (action + 1.5 s, in whole seconds), not when it was read.
    expect(Date.parse(after[0]?.updated_at ?? '')).toBe(Math.floor((actedAt + 1500) / 1000) * 1000);
  });

  test('the accept delay follows acceptDelayMs; settleConnections completes every accept at once', async () => {
    await cloud.stop();
    cloud = await startCloud({ clock: () => now, acceptDelayMs: 60_000 });
    const svc = cloud.addService();
    const [a, b] = cloud.addConnections(svc.id, 2, { status: 'pendingAcceptance' });
    for (const conn of [a, b]) expect((await action(svc.id, { action: 'receive', endpoints: [conn?.id] })).status).toBe(200);
    tick(59);
    expect(cloud.listConnections(svc.id).map((c) => c.status)).toEqual(['creating', 'creating']);
    expect(cloud.settleConnections()).toBe(2);
    expect(cloud.listConnections(svc.id).map((c) => c.status)).toEqual(['accepted', 'accepted']);
    expect(cloud.settleConnections()).toBe(0);
  });

  test('a status set from outside wins over an accept in flight; a removed connection never comes back', async () => {
    const svc = cloud.addService();
    const [a, b] = cloud.addConnections(svc.id, 2, { status: 'pendingAcceptance' });
    await action(svc.id, { action: 'receive', endpoints: [a?.id] });
    await action(svc.id, { action: 'receive', endpoints: [b?.id] });
    cloud.setStatus(svc.id, a?.id ?? '', 'failed', [{ error_code: 'EndPoint.0001', error_message: 'boom' }]);
    cloud.removeConnection(svc.id, b?.id ?? '');
    tick(10);
    expect(cloud.listConnections(svc.id).map((c) => [c.id, c.status])).toEqual([[a?.id, 'failed']]);
  });

  test('a connection still creating cannot be accepted or rejected again', async () => {
    const svc = cloud.addService();
    const conn = cloud.addConnection(svc.id, { status: 'pendingAcceptance' });
    await action(svc.id, { action: 'receive', endpoints: [conn.id] });
    for (const verb of ['receive', 'reject']) {
      const res = await action(svc.id, { action: verb, endpoints: [conn.id] });
      expect([res.status, res.json.error_code]).toEqual([400, 'EndPoint.0002']);
    }
  });

  test('reject takes effect at once', async () => {
    const svc = cloud.addService();
    const conn = cloud.addConnection(svc.id, { status: 'pendingAcceptance' });
    const res = await action(svc.id, { action: 'reject', endpoints: [conn.id] });
    expect((res.json.connections as EmulatedConnection[])[0]?.status).toBe('rejected');
    expect(cloud.listConnections(svc.id)[0]?.status).toBe('rejected');
  });

  test('takes exactly one endpoint per request', async () => {
    const svc = cloud.addService();
    const [a, b] = cloud.addConnections(svc.id, 2, { status: 'pendingAcceptance' });
    for (const endpoints of [[a?.id, b?.id], []]) {
      const res = await action(svc.id, { action: 'receive', endpoints });
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ error_code: 'EndPoint.0002' });
    }
    expect(cloud.listConnections(svc.id).map((c) => c.status)).toEqual(['pendingAcceptance', 'pendingAcceptance']);
  });

  test('rejects an unknown action, an unknown endpoint, malformed JSON and a body that is no object', async () => {
    const svc = cloud.addService();
    const conn = cloud.addConnection(svc.id, { status: 'pendingAcceptance' });
    const accept = await action(svc.id, { action: 'accept', endpoints: [conn.id] });
    expect([accept.status, accept.json.error_code]).toEqual([400, 'EndPoint.0007']);
    const unknown = await action(svc.id, { action: 'receive', endpoints: ['no-such-endpoint'] });
    expect([unknown.status, unknown.json.error_code]).toEqual([404, 'EndPoint.0005']);
    // JSON.stringify cannot produce broken JSON, so leave the body out of the signature.
    const malformed = await apigFetch(cloud.endpoints.vpcep, {
      method: 'POST',
      path: `/v1/${cloud.projectId}/vpc-endpoint-services/${svc.id}/connections/action`,
      headers: { 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' },
      sentBody: '{"action":',
    });
    expect([malformed.status, malformed.json.error_code]).toEqual([400, 'EndPoint.0002']);
    const notAnObject = await action(svc.id, [conn.id]);
    expect([notAnObject.status, notAnObject.json.error_code, notAnObject.json.error_msg]).toEqual([400, 'EndPoint.0002', 'The request body must be a JSON object.']);
  });
});

test('serves any page of 50,000 connections in time proportional to the page', async () => {
  const svc = cloud.addService();
  const seeded = cloud.addConnections(svc.id, 50_000);
  const path = `/vpc-endpoint-services/${svc.id}/connections`;
  await get(path, { limit: '1' }); // builds the sorted view once
  const started = Date.now();
  const offsets = Array.from({ length: 20 }, (_, i) => i * 2500 + 1500);
  for (const offset of offsets) {
    const res = await get(path, { limit: '1000', offset: String(offset) });
    const page = res.json.connections as EmulatedConnection[];
    expect(page).toHaveLength(1000);
    expect(page[0]?.id).toBe(seeded[49_999 - offset]?.id);
  }
  // Generous for a loaded CI box; a scan or sort per request would take several times longer.
  expect((Date.now() - started) / offsets.length).toBeLessThan(100);
});
