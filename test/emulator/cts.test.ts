/**
 * Local CTS: ListTraces as api-cts cts_api_0311 documents it (trace_type, limit ≤ 200, from/to in
 * ms used together, `next` = the previous page's marker, seven days kept), and the traces the rest
 * of the local cloud records: an accept or reject through the VPCEP API names the signing key's
 * user, the console names whoever `--as` says.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { runConsoleCommand, splitWords } from '../../lib/emulator/console-commands.js';
import { ctsRefused, TRACE_RETENTION_MS, type LocalCloud } from '../../lib/emulator/index.js';
import { apigFetch, PERMANENT, startCloud, TEMPORARY } from './helpers.js';

let now: Date;
let cloud: LocalCloud;
let serviceId: string;

beforeEach(async () => {
  // Near the real clock: the gateway refuses a request signed more than 15 minutes away from it.
  now = new Date(Math.floor(Date.now() / 1000) * 1000);
  cloud = await startCloud({ clock: () => now, credentials: [PERMANENT, TEMPORARY, { ak: 'AKALICE00000001', sk: 'alice-secret', user: { type: 'User', name: 'alice' } }] });
  serviceId = cloud.addService({ name: 'payments' }).id;
});
afterEach(() => cloud.stop());

function traces(query: Record<string, string>, projectId = cloud.projectId) {
  return apigFetch(cloud.endpoints.cts, { method: 'GET', path: `/v3/${projectId}/traces`, query });
}

const window = (): Record<string, string> => ({ trace_type: 'system', from: String(now.getTime() - 3_600_000), to: String(now.getTime() + 1000) });

describe('ListTraces', () => {
  test('lists the traces newest first with every field of the SDK model, and pages with next = meta_data.marker', async () => {
    const connections = cloud.addConnections(serviceId, 5, { status: 'pendingAcceptance' });
    connections.forEach((connection, index) => {
      cloud.recordTrace({ serviceId, connectionIds: [connection.id], action: 'reject', user: { type: 'User', name: `user-${index}` }, time: new Date(now.getTime() - (5 - index) * 1000) });
    });
    const first = await traces({ ...window(), limit: '2' });
    expect(first.status).toBe(200);
    const page1 = first.json.traces as Record<string, unknown>[];
    expect(page1.map((trace) => (trace.user as { name: string }).name)).toEqual(['user-4', 'user-3']);
    expect(page1[0]).toEqual({
      trace_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      trace_name: 'serviceConnectionsAction',
      trace_rating: 'normal',
      trace_type: 'ApiCall',
      service_type: 'VPCEP',
      resource_type: 'EndpointService',
      resource_id: serviceId,
      resource_name: expect.stringContaining('payments'),
      request: JSON.stringify({ action: 'reject', endpoints: [connections[4]!.id] }),
      response: '',
      code: '200',
      time: now.getTime() - 1000,
      record_time: now.getTime(),
      user: { type: 'User', name: 'user-4', domain: { id: expect.stringMatching(/^[0-9a-f]{32}$/), name: 'local-account' }, account_id: expect.stringMatching(/^[0-9a-f]{32}$/) },
      source_ip: '127.0.0.1',
      request_id: expect.any(String),
    });
    expect(first.json.meta_data).toEqual({ count: 2, marker: page1[1]!.trace_id });

    const second = await traces({ ...window(), limit: '2', next: String(page1[1]!.trace_id) });
    const third = await traces({ ...window(), limit: '2', next: String((second.json.meta_data as { marker: string }).marker) });
    expect((second.json.traces as { user: { name: string } }[]).map((trace) => trace.user.name)).toEqual(['user-2', 'user-1']);
    expect((third.json.traces as { user: { name: string } }[]).map((trace) => trace.user.name)).toEqual(['user-0']);
    // The last page says there is no next one.
    expect(third.json.meta_data).toEqual({ count: 1, marker: null });
  });

  test('filters by the query: time window, service_type, resource_type, resource_id, trace_name and user', async () => {
    const other = cloud.addService({ name: 'orders' }).id;
    cloud.recordTrace({ serviceId, connectionIds: ['c1'], action: 'receive', user: { name: 'alice' } });
    cloud.recordTrace({ serviceId: other, connectionIds: ['c2'], action: 'receive', user: { name: 'bob' } });
    cloud.recordTrace({ serviceId, traceName: 'servicePermissionAction', user: { name: 'carol' } });
    cloud.recordTrace({ serviceId, connectionIds: ['c3'], action: 'reject', user: { name: 'dave' }, time: new Date(now.getTime() - 2 * 3_600_000) });
    const names = async (query: Record<string, string>) => ((await traces({ ...window(), ...query })).json.traces as { user: { name: string } }[]).map((trace) => trace.user.name).sort();
    expect(await names({})).toEqual(['alice', 'bob', 'carol']);
    expect(await names({ resource_id: serviceId })).toEqual(['alice', 'carol']);
    expect(await names({ trace_name: 'serviceConnectionsAction', service_type: 'VPCEP', resource_type: 'EndpointService' })).toEqual(['alice', 'bob']);
    expect(await names({ resource_type: 'vpcEndpoint' })).toEqual([]);
    expect(await names({ user: 'bob' })).toEqual(['bob']);
    expect(await names({ from: String(now.getTime() - 3 * 3_600_000) })).toEqual(['alice', 'bob', 'carol', 'dave']);
    // Without from and to: the last hour.
    expect(((await traces({ trace_type: 'system' })).json.traces as unknown[]).length).toBe(3);
  });

  test('lists a trace only once CTS has recorded it: with a delivery lag, a minute later', async () => {
    cloud.setTraceDelay(60_000);
    const [connection] = cloud.addConnections(serviceId, 1, { status: 'pendingAcceptance' });
    const recorded = cloud.rejectAs(serviceId, connection!.id, 'alice');
    expect(recorded.record_time).toBe(now.getTime() + 60_000);
    expect((await traces(window())).json.traces).toEqual([]);
    expect(cloud.traces()).toEqual([]);
    now = new Date(now.getTime() + 60_000);
    expect(((await traces({ ...window(), to: String(now.getTime()) })).json.traces as { trace_id: string }[]).map((trace) => trace.trace_id)).toEqual([recorded.trace_id]);
    expect(() => cloud.setTraceDelay(-1)).toThrow('trace delay must be >= 0');
  });

  test('keeps seven days of traces', async () => {
    cloud.recordTrace({ serviceId, user: { name: 'old' }, time: new Date(now.getTime() - TRACE_RETENTION_MS - 1000) });
    cloud.recordTrace({ serviceId, user: { name: 'recent' }, time: new Date(now.getTime() - TRACE_RETENTION_MS + 60_000) });
    const res = await traces({ trace_type: 'system', from: String(now.getTime() - 8 * 86_400_000), to: String(now.getTime()) });
    expect((res.json.traces as { user: { name: string } }[]).map((trace) => trace.user.name)).toEqual(['recent']);
    expect(cloud.traces().map((trace) => trace.user.name)).toEqual(['recent']);
  });

  test.each([
    [{ from: '1' }, 'trace_type'],
    [{ trace_type: 'management' }, 'trace_type'],
    [{ trace_type: 'system', limit: '201' }, 'limit'],
    [{ trace_type: 'system', limit: '0' }, 'limit'],
    [{ trace_type: 'system', limit: '-1' }, 'limit'],
    [{ trace_type: 'system', from: '1700000000000' }, 'to'],
    [{ trace_type: 'system', to: '1700000000000' }, 'from'],
    [{ trace_type: 'system', from: '170000000000', to: '1700000000000' }, 'from'],
    [{ trace_type: 'system', from: '1700000000001', to: '1700000000000' }, 'from'],
    [{ trace_type: 'system', next: 'no-such-trace' }, 'next'],
    [{ trace_type: 'system', trace_rating: 'loud' }, 'trace_rating'],
    [{ trace_type: 'data' }, 'tracker_name'],
  ])('refuses %o naming %s', async (query, name) => {
    const res = await traces(query as Record<string, string>);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error_code: 'CTS.0005', error_msg: expect.stringContaining(`Invalid query criteria: ${name} `) });
  });

  test('takes limit 200, refuses another project, and is signed like every other call', async () => {
    expect((await traces({ ...window(), limit: '200' })).status).toBe(200);
    const otherProject = await traces(window(), '0123456789abcdef0123456789abcdef');
    expect(otherProject).toMatchObject({ status: 400, json: { error_code: 'CTS.0004' } });
    const unsigned = await apigFetch(cloud.endpoints.cts, { method: 'GET', path: `/v3/${cloud.projectId}/traces`, query: window(), sk: 'wrong' });
    expect(unsigned).toMatchObject({ status: 401, json: { error_code: 'APIGW.0301' } });
    expect((await apigFetch(cloud.endpoints.cts, { method: 'GET', path: `/v3/${cloud.projectId}/tracez` })).status).toBe(404);
    expect(cloud.calls.filter((call) => call.service === 'cts').map((call) => call.api)).toEqual(['cts:trace:list', 'cts:trace:list', 'cts:trace:list', 'cts:unknown']);
  });

  test('a 403 can be injected, as CTS answers a caller without cts:trace:list', async () => {
    cloud.inject(ctsRefused());
    expect(await traces(window())).toMatchObject({ status: 403, json: { error_code: 'CTS.0403', error_msg: expect.stringContaining('cts:trace:list') } });
    cloud.inject(ctsRefused({ status: 503 }));
    expect(await traces(window())).toMatchObject({ status: 503, json: { error_code: 'APIGW.0203' } });
    expect((await traces(window())).status).toBe(200);
  });
});

describe('what CTS records', () => {
  async function act(action: 'receive' | 'reject', connectionId: string, key: { ak: string; sk: string; securityToken?: string }) {
    return apigFetch(cloud.endpoints.vpcep, {
      method: 'POST',
      path: `/v1/${cloud.projectId}/vpc-endpoint-services/${serviceId}/connections/action`,
      body: { action, endpoints: [connectionId] },
      ak: key.ak,
      sk: key.sk,
      ...(key.securityToken === undefined ? {} : { headers: { 'X-Security-Token': key.securityToken } }),
    });
  }

  test('an accept or reject through the API, naming the user of the key that signed it', async () => {
    const [a, b, c] = cloud.addConnections(serviceId, 3, { status: 'pendingAcceptance' });
    expect((await act('reject', a!.id, { ak: 'AKALICE00000001', sk: 'alice-secret' })).status).toBe(200);
    expect((await act('receive', b!.id, TEMPORARY)).status).toBe(200);
    expect((await act('receive', c!.id, PERMANENT)).status).toBe(200);
    const [third, second, first] = cloud.traces();
    expect(first).toMatchObject({ trace_type: 'ApiCall', resource_id: serviceId, request: JSON.stringify({ action: 'reject', endpoints: [a!.id] }), user: { type: 'User', name: 'alice' } });
    // FunctionGraph signs with its agency's temporary key: CTS names the agency.
    expect(second).toMatchObject({ request: JSON.stringify({ action: 'receive', endpoints: [b!.id] }), user: { type: 'AssumedAgency', name: 'local-account/vpcep-connection-monitor' } });
    expect(third).toMatchObject({ user: { type: 'User', name: 'local-user' } });
    // A refused action is not an operation CTS records.
    expect((await act('reject', 'no-such-endpoint', PERMANENT)).status).toBe(404);
    expect(cloud.traces()).toHaveLength(3);
  });

  test('the console: accept and reject --as NAME, approval and whitelist changes', () => {
    const [a, b] = cloud.addConnections(serviceId, 2, { status: 'pendingAcceptance' });
    const run = (line: string) => runConsoleCommand(cloud, splitWords(line));
    expect(run(`accept ${a!.id} --as alice`).output).toContain('CTS records alice');
    expect(run(`reject ${b!.id}`).output).toContain('CTS records local-admin');
    expect(run(`reject ${b!.id} --as`)).toMatchObject({ ok: false, usage: true, output: expect.stringContaining('--as takes one NAME') });
    expect(run(`reject --as bob ${b!.id}`)).toMatchObject({ ok: false, usage: true });
    expect(run(`reject ${b!.id} --as "bad\u0007name"`)).toMatchObject({ ok: false, usage: true });
    expect(run('approval payments off --as carol').output).toBe('payments: connection approval is OFF; every whitelisted account is accepted without review (by carol)');
    expect(cloud.listServices()[0]!.approvalEnabled).toBe(false);
    expect(run('whitelist payments add * --as dave').output).toBe('payments: added iam:domain::* (by dave)');
    const traceList = cloud.traces();
    expect(traceList.map((trace) => [trace.trace_name, trace.user.name, trace.trace_type])).toEqual([
      ['servicePermissionAction', 'dave', 'ConsoleAction'],
      ['modifyEndpointService', 'carol', 'ConsoleAction'],
      ['serviceConnectionsAction', 'local-admin', 'ConsoleAction'],
      ['serviceConnectionsAction', 'alice', 'ConsoleAction'],
    ]);
    expect(traceList[3]!.request).toBe(JSON.stringify({ action: 'receive', endpoints: [a!.id] }));
    expect(traceList[3]!.source_ip).not.toBe('127.0.0.1');
    expect(run('traces payments').output).toMatch(/serviceConnectionsAction\s+alice/);
    expect(run('traces').output.split('\n')).toHaveLength(5);
  });
});
