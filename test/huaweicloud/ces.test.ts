/**
 * CesClient against the local Cloud Eye, asserting on what went over the wire: the datum Cloud Eye
 * documents, a large project's metrics in several requests of at most 512,000 bytes each, and Cloud
 * Eye's own error body turned into a typed error that keeps its `ces.xxxx` code.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UNLIMITED } from '../../lib/huaweicloud/budget.js';
import { CES_REQUEST_MAX_BYTES, CesClient, type MetricInput } from '../../lib/huaweicloud/ces.js';
import { ApiError, NetworkError } from '../../lib/huaweicloud/errors.js';
import type { RetryPolicy } from '../../lib/huaweicloud/retry.js';
import { SignedClient } from '../../lib/huaweicloud/signed-client.js';
import { LocalCloud } from '../../lib/emulator/index.js';
import { runMetrics, type ServiceCounts } from '../../lib/monitor/metrics.js';
import { closedPort, failure } from '../support.js';

const credentials = { ak: 'CESWIRETESTAK0000001', sk: 'ces-wire-test-secret-key-000000000001', securityToken: 'ces-wire-test-token-ABCDEF0123' };
const fast: RetryPolicy = { retries: 2, minDelayMs: 10, maxDelayMs: 20, requestTimeoutMs: 2_000 };
const NAMESPACE = 'VPCEP.ConnectionMonitor';

let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await LocalCloud.start({ credentials: [credentials] });
});
afterAll(async () => {
  await cloud?.stop();
});
afterEach(() => {
  cloud.clearFaults();
  cloud.resetCalls();
  cloud.metrics.length = 0;
});

const ces = (endpoint = cloud.endpoints.ces, retry = fast) => new CesClient(new SignedClient({ endpoint, credentials, retry, budget: UNLIMITED }), cloud.projectId);
// Whole seconds, near the real clock: the gateway refuses a signature 15 minutes away from it.
const now = () => new Date(Math.floor(Date.now() / 1000) * 1000);
const metric = (overrides: Partial<MetricInput> = {}): MetricInput => ({
  name: 'connections_pending',
  dimension: { name: 'service_id', value: '4c1a7e0e-5b2f-4c4e-9f0a-0b1c2d3e4f50' },
  value: 2,
  unit: 'count',
  ...overrides,
});
const metricCalls = () => cloud.calls.filter((call) => call.api === 'ces:metricData:create');

describe('CesClient', () => {
  it('sends each metric as the datum Cloud Eye documents, signed with the temporary credentials', async () => {
    const at = now();
    await ces().send(NAMESPACE, [metric(), metric({ name: 'run_duration_ms', dimension: { name: 'project_id', value: cloud.projectId }, value: 812.5, unit: 'ms' })], at);
    expect(cloud.metrics).toEqual([
      {
        namespace: NAMESPACE,
        metricName: 'connections_pending',
        dimensions: [{ name: 'service_id', value: '4c1a7e0e-5b2f-4c4e-9f0a-0b1c2d3e4f50' }],
        ttl: 604_800,
        // Milliseconds: seconds would lie 50 years back, outside Cloud Eye's [now - 3 d, now + 10 min].
        collectTime: at.getTime(),
        value: 2,
        unit: 'count',
        type: 'int',
        receivedAt: expect.any(Date),
      },
      expect.objectContaining({ metricName: 'run_duration_ms', dimensions: [{ name: 'project_id', value: cloud.projectId }], value: 812.5, unit: 'ms', type: 'float' }),
    ]);
    const [call] = metricCalls();
    expect(call).toMatchObject({ method: 'POST', path: `/V1.0/${cloud.projectId}/metric-data`, status: 201 });
    expect(call!.headers['content-type']).toBe('application/json;charset=UTF-8');
    expect(call!.headers['x-security-token']).toBe(credentials.securityToken);
    expect(call!.headers.authorization).toMatch(/^SDK-HMAC-SHA256 Access=CESWIRETESTAK0000001, SignedHeaders=[^,]*x-security-token/);
  });

  it("sends a large project's metrics in as few requests as fit 512,000 bytes each, losing none", async () => {
    const services: ServiceCounts[] = Array.from({ length: 1_000 }, (_, i) => ({
      serviceId: `${String(i).padStart(8, '0')}-5b2f-4c4e-9f0a-0b1c2d3e4f50`,
      total: 1_000 + i,
      byStatus: new Map([['accepted', 990 + i], ['pendingAcceptance', 10]]),
      oldestPendingSince: Date.now() - 3_600_000,
    }));
    const at = now();
    const metrics = runMetrics({ projectId: cloud.projectId, services, unreadable: 0, undelivered: 0, durationMs: 4_000, now: at });
    expect(metrics).toHaveLength(6_004);
    await ces().send(NAMESPACE, metrics, at);

    const sizes = metricCalls().map((call) => Number(call.headers['content-length']));
    expect(sizes.length).toBeGreaterThanOrEqual(3);
    expect(metricCalls().every((call) => call.status === 201)).toBe(true);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(CES_REQUEST_MAX_BYTES);
    // As few as fit: every request but the last is full to within one datum (~230 bytes).
    for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThan(CES_REQUEST_MAX_BYTES - 300);
    expect(cloud.metrics.map((m) => [m.metricName, m.dimensions[0]!.value, m.value])).toEqual(metrics.map((m) => [m.name, m.dimension.value, m.value]));
  });

  // Both v1 bodies Cloud Eye's error-code pages show, as the local cloud sends them (see lib/emulator/ces.ts).
  it.each(['http_code', 'element'] as const)("keeps Cloud Eye's code and its specific message from the v1 error body (%s shape), and does not retry a refusal", async (shape) => {
    const local = shape === 'http_code' ? cloud : await LocalCloud.start({ credentials: [credentials], cesErrorShape: shape });
    try {
      await refusalsKeepTheirCode(local);
    } finally {
      if (local !== cloud) await local.stop();
    }
  });

  async function refusalsKeepTheirCode(cloud: LocalCloud): Promise<void> {
    const ces = () => new CesClient(new SignedClient({ endpoint: cloud.endpoints.ces, credentials, retry: fast, budget: UNLIMITED }), cloud.projectId);
    const metricCalls = () => cloud.calls.filter((call) => call.api === 'ces:metricData:create');
    const error = await failure(ces().send(NAMESPACE, [metric({ dimension: { name: 'service_id', value: 'urn:smn' } })], now()));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, code: 'ces.0014', api: 'ces:metricData:create' });
    expect((error as ApiError).requestId).toBeTruthy();
    expect(error.message).toMatch(/^ces:metricData:create failed: HTTP 400 ces\.0014 Some content in message body is not correct: \[0\]\.metric\.dimensions\[0\]\.value .* \(request id [0-9a-f-]+\)$/);
    expect(error.message).not.toContain('cannot be recognized');
    expect(metricCalls()).toHaveLength(1);

    const system = await failure(ces().send('SYS.ECS', [metric()], now()));
    expect(system).toMatchObject({ status: 403, code: 'ces.0009' });
    expect(system.message).toContain('Adding SYS metric is not allowed');
    expect(cloud.metrics).toHaveLength(0);
  }

  it("keeps the code of Cloud Eye's newer error page and of its v2 APIs", async () => {
    cloud.inject({ service: 'ces', kind: 'status', status: 403, body: { http_code: '403', message: { details: "Policy doesn't allow [ces:metricData:create] to be performed", code: 'ces.0017' } } });
    expect(await failure(ces().send(NAMESPACE, [metric()], now()))).toMatchObject({ status: 403, code: 'ces.0017', detail: "Policy doesn't allow [ces:metricData:create] to be performed" });
    cloud.inject({ service: 'ces', kind: 'status', status: 400, body: { error_code: 'ces.0001', error_msg: 'The content must be specified.' } });
    expect(await failure(ces().send(NAMESPACE, [metric()], now()))).toMatchObject({ status: 400, code: 'ces.0001', detail: 'The content must be specified.' });
  });

  it('retries an outage within its bound, then fails with the last answer; an unreachable endpoint names CES_ENDPOINT', async () => {
    cloud.inject({ service: 'ces', kind: 'status', status: 503, times: Infinity });
    const error = await failure(ces().send(NAMESPACE, [metric()], now()));
    expect(error).toMatchObject({ status: 503, code: 'APIGW.0203' });
    expect(metricCalls()).toHaveLength(1 + fast.retries);

    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const unreachable = await failure(ces(endpoint, { ...fast, retries: 0 }).send(NAMESPACE, [metric()], now()));
    expect(unreachable).toBeInstanceOf(NetworkError);
    expect(unreachable.message).toBe(`ces:metricData:create failed: could not connect to ${endpoint} (ECONNREFUSED): check CES_ENDPOINT and the network`);
  });
});
