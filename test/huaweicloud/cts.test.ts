/**
 * The CTS adapter against the local cloud: one paged ListTraces query for a window, the query as
 * the API documents it, every trace's fields type-checked and bounded (CTS writes them from what
 * somebody sent), a trace that cannot be read skipped and counted, and a refusal an error that
 * names the action.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ctsRefused, LocalCloud } from '../../lib/emulator/index.js';
import { loadConfig } from '../../lib/config.js';
import { createAdapters } from '../../lib/huaweicloud/adapters.js';
import { UNLIMITED } from '../../lib/huaweicloud/budget.js';
import { CtsClient, MAX_TRACE_PAGES } from '../../lib/huaweicloud/cts.js';
import { MAX_API_RESPONSE_BYTES } from '../../lib/huaweicloud/limits.js';
import { SignedClient } from '../../lib/huaweicloud/signed-client.js';
import type { CtsApi } from '../../lib/monitor/ports.js';
import { memoryLogger } from '../fakes.js';
import { failure } from '../support.js';

const credentials = { ak: 'CTSADAPTERAK00000001', sk: 'cts-adapter-secret-key-000000000000001' };
let now: Date;
let cloud: LocalCloud;
let skipped: { count: number; first: string }[];
let client: CtsClient;
let serviceId: string;

beforeEach(async () => {
  now = new Date(Math.floor(Date.now() / 1000) * 1000);
  cloud = await LocalCloud.start({ credentials: [credentials], clock: () => now });
  skipped = [];
  client = new CtsClient(
    new SignedClient({ endpoint: cloud.endpoints.cts, credentials, retry: { retries: 0, minDelayMs: 10, maxDelayMs: 20, requestTimeoutMs: 2_000 }, budget: UNLIMITED }),
    cloud.projectId,
    { onSkipped: (count, first) => skipped.push({ count, first }) },
  );
  serviceId = cloud.addService({ name: 'payments' }).id;
});
afterEach(() => cloud.stop());

const hour = () => ({ fromMs: now.getTime() - 3_600_000, toMs: now.getTime() });
const raw = (traces: unknown[], marker: string | null = null) => JSON.stringify({ traces, meta_data: { count: traces.length, marker } });
const trace = (fields: Record<string, unknown> = {}) => ({
  trace_id: 'a1b2c3d4-0000-4000-8000-000000000001',
  trace_name: 'serviceConnectionsAction',
  resource_id: serviceId,
  time: now.getTime() - 60_000,
  request: JSON.stringify({ action: 'reject', endpoints: ['ep-1'] }),
  user: { name: 'alice', type: 'User', domain: { id: 'd'.repeat(32), name: 'acme' } },
  source_ip: '203.0.113.7',
  ...fields,
});

describe('CtsClient.listTraces', () => {
  it('asks for VPCEP serviceConnectionsAction traces of EndpointService in the window, and reads each as the port declares it', async () => {
    const [connection] = cloud.addConnections(serviceId, 1, { status: 'pendingAcceptance' });
    const recorded = cloud.rejectAs(serviceId, connection!.id, { type: 'User', name: 'alice' });
    // Another kind of trace of the same service is not asked for.
    cloud.changeWhitelist(serviceId, 'add', ['*'], 'bob');
    const traces = await client.listTraces(hour());
    expect(traces).toEqual([{
      traceId: recorded.trace_id,
      time: now.toISOString(),
      traceName: 'serviceConnectionsAction',
      resourceId: serviceId,
      connectionIds: [connection!.id],
      action: 'reject',
      user: { name: 'alice', type: 'User', accountName: 'local-account', accountId: recorded.user.domain.id },
      sourceIp: recorded.source_ip,
    }]);
    expect(cloud.calls.at(-1)).toMatchObject({
      api: 'cts:trace:list',
      method: 'GET',
      path: `/v3/${cloud.projectId}/traces`,
      query: { trace_type: 'system', service_type: 'VPCEP', resource_type: 'EndpointService', trace_name: 'serviceConnectionsAction', from: String(hour().fromMs), to: String(hour().toMs), limit: '200' },
      status: 200,
    });
    expect(skipped).toEqual([]);
  });

  it('pages with next = the previous meta_data.marker until CTS sends none, each trace once', async () => {
    const connections = cloud.addConnections(serviceId, 450, { status: 'pendingAcceptance' });
    connections.forEach((connection, i) => cloud.recordTrace({ serviceId, connectionIds: [connection.id], action: 'receive', time: new Date(now.getTime() - 1_000_000 + i * 1000) }));
    cloud.resetCalls();
    const traces = await client.listTraces(hour());
    expect(traces).toHaveLength(450);
    expect(new Set(traces.map((t) => t.connectionIds[0])).size).toBe(450);
    const calls = cloud.calls.filter((call) => call.api === 'cts:trace:list');
    expect(calls.map((call) => call.query.next)).toEqual([undefined, traces[199]!.traceId, traces[399]!.traceId]);
  });

  it('asks for at most the seven days CTS keeps, and nothing for an empty window', async () => {
    const to = now.getTime();
    await client.listTraces({ fromMs: to - 30 * 86_400_000, toMs: to });
    expect(cloud.calls.at(-1)).toMatchObject({ status: 200, query: { from: String(to - 7 * 86_400_000), to: String(to) } });
    cloud.resetCalls();
    expect(await client.listTraces({ fromMs: to + 1, toMs: to })).toEqual([]);
    expect(cloud.calls).toEqual([]);
  });

  it('stops on a marker it was just given, or a page without meta_data, rather than asking again', async () => {
    cloud.inject({ service: 'cts', kind: 'malformed', body: raw([trace()], 'm-1') });
    cloud.inject({ service: 'cts', kind: 'malformed', body: raw([trace({ trace_id: 'a1b2c3d4-0000-4000-8000-000000000002' })], 'm-1') });
    expect(await client.listTraces(hour())).toHaveLength(2);
    cloud.inject({ service: 'cts', kind: 'malformed', body: JSON.stringify({ traces: [trace()] }) });
    expect(await client.listTraces(hour())).toHaveLength(1);
    expect(cloud.calls.filter((call) => call.api === 'cts:trace:list')).toHaveLength(3);
  });

  it('gives up after a bounded number of pages', async () => {
    for (let i = 0; i <= MAX_TRACE_PAGES; i++) cloud.inject({ service: 'cts', kind: 'malformed', body: raw([trace({ trace_id: `t-${i}` })], `m-${i}`) });
    expect((await failure(client.listTraces(hour()))).message).toMatch(/cts:trace:list kept announcing more pages after 10000 traces/);
    expect(cloud.calls.filter((call) => call.api === 'cts:trace:list')).toHaveLength(MAX_TRACE_PAGES);
  });

  it('skips and counts a trace it cannot read, keeping the others', async () => {
    const good = trace();
    cloud.inject({
      service: 'cts',
      kind: 'malformed',
      body: raw([
        'not an object',
        trace({ trace_id: undefined }),
        trace({ trace_id: 'x'.repeat(65) }),
        trace({ trace_id: 't-2', resource_id: 42 }),
        trace({ trace_id: 't-3', time: '2026-12-05T00:00:00Z' }),
        trace({ trace_id: 't-4', time: 1.5 }),
        good,
        good,
      ]),
    });
    expect((await client.listTraces(hour())).map((t) => t.traceId)).toEqual([good.trace_id]);
    expect(skipped).toEqual([{ count: 6, first: 'a trace that is not an object' }]);
  });

  it('bounds hostile fields: names cut to 128 characters, an unreadable body gives no connection ids, odd ids are dropped', async () => {
    cloud.inject({
      service: 'cts',
      kind: 'malformed',
      body: raw([
        trace({ trace_id: 't-1', user: { name: 'm'.repeat(5000), type: 7, domain: { id: 'not an id!', name: 'n'.repeat(500) } }, source_ip: 'i'.repeat(300) }),
        trace({ trace_id: 't-2', request: '{"action":"receive","endpoints":' }),
        trace({ trace_id: 't-3', request: JSON.stringify({ action: { evil: true }, endpoints: ['ok-1', 42, '', 'e'.repeat(65), 'has space', 'ok-2'] }) }),
        trace({ trace_id: 't-4', request: 'x'.repeat(70_000), user: 'nobody' }),
        trace({ trace_id: 't-5', request: JSON.stringify([1, 2]), user: { user_name: 'agency-session' } }),
      ]),
    });
    const [first, second, third, fourth, fifth] = await client.listTraces(hour());
    expect(first!.user).toEqual({ name: `${'m'.repeat(127)}…`, accountName: `${'n'.repeat(127)}…` });
    expect(first!.sourceIp).toHaveLength(64);
    expect(second).toMatchObject({ connectionIds: [] });
    expect(second!.action).toBeUndefined();
    expect(third).toMatchObject({ connectionIds: ['ok-1', 'ok-2'] });
    expect(third!.action).toBeUndefined();
    expect(fourth).toMatchObject({ connectionIds: [], user: { name: '' } });
    expect(fifth).toMatchObject({ connectionIds: [], user: { name: 'agency-session' } });
    expect(skipped).toEqual([]);
  });

  it('fails naming the action on a 403 or a 5xx, and on an answer that is not the documented shape or too large', async () => {
    cloud.inject(ctsRefused());
    expect(await failure(client.listTraces(hour()))).toMatchObject({ status: 403, api: 'cts:trace:list', message: expect.stringMatching(/^cts:trace:list failed: HTTP 403 CTS\.0403/) });
    cloud.inject(ctsRefused({ status: 503 }));
    expect(await failure(client.listTraces(hour()))).toMatchObject({ status: 503, message: expect.stringMatching(/^cts:trace:list failed: HTTP 503/) });
    cloud.inject({ service: 'cts', kind: 'malformed', body: JSON.stringify({ traces: 'none' }) });
    expect((await failure(client.listTraces(hour()))).name).toBe('ResponseShapeError');
    cloud.inject({ service: 'cts', kind: 'malformed', body: JSON.stringify({ traces: [], meta_data: { marker: 42 } }) });
    expect((await failure(client.listTraces(hour()))).name).toBe('ResponseShapeError');
    cloud.inject({ service: 'cts', kind: 'malformed', body: raw([trace({ request: 'x'.repeat(MAX_API_RESPONSE_BYTES) })]) });
    expect((await failure(client.listTraces(hour()))).name).toBe('ResponseTooLargeError');
  });

  it('is the CtsApi port the monitor declares', () => {
    const port: CtsApi = client;
    expect(typeof port.listTraces).toBe('function');
  });
});

describe('createAdapters', () => {
  it('wires a CTS client on CTS_ENDPOINT only when CTS_ATTRIBUTION is on, and logs skipped traces once as a warning', async () => {
    const settings = (extra: Record<string, string>) => loadConfig((name) => ({ OBS_BUCKET: 'state', SMN_TOPIC_URN: `urn:smn:${cloud.region}:${cloud.projectId}:alerts`, HUAWEICLOUD_PROJECT_ID: cloud.projectId, CTS_ENDPOINT: cloud.endpoints.cts, ...extra })[name]);
    const { logger, lines } = memoryLogger();
    const budgets = { scan: UNLIMITED, write: UNLIMITED };
    expect(createAdapters(settings({ CTS_ATTRIBUTION: 'off' }), credentials, budgets, logger).cts).toBeUndefined();
    const adapters = createAdapters(settings({}), credentials, budgets, logger);
    cloud.inject({ service: 'cts', kind: 'malformed', body: raw([trace(), { trace_id: 'x' }, 'junk']) });
    expect(await adapters.cts!.listTraces(hour())).toHaveLength(1);
    const warnings = lines().map((line) => JSON.parse(line) as { level: number; msg: string; skipped?: number });
    expect(warnings).toEqual([expect.objectContaining({ level: 40, skipped: 2, msg: 'cts:trace:list: 2 trace(s) could not be read and were skipped (first: trace x without resource_id)' })]);
  });
});
