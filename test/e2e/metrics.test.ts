/**
 * Cloud Eye metrics end to end: the built bundle, invoked as FunctionGraph would, against the local
 * cloud. What Cloud Eye received is held against the cloud's own counts; a Cloud Eye outage must
 * not touch alerting nor hold the run past its write budget; without METRICS_NAMESPACE no request
 * reaches Cloud Eye at all.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Summary } from '../../functions/connection-monitor/index.js';
import { functionGraphContext, timerEvent } from '../../lib/cli/function-context.js';
import { LocalCloud, type ReceivedMetric } from '../../lib/emulator/index.js';
import { bundle, capturingOutput, jsonLogLines, userDataFor } from './harness.js';
import { parseState } from '../../lib/monitor/state.js';
import { failure } from '../support.js';

const credentials = { ak: 'METRICSE2EACCESSKEY1', sk: 'metrics-e2e-secret-key-000000000000001', securityToken: 'metrics-e2e-security-token-ABCDEFGH' };
const NAMESPACE = 'VPCEP.ConnectionMonitor';
const HOUR = 3_600_000;
// The handler's own margins (functions/connection-monitor/index.ts): writes stop this long before the deadline.
const SAFETY_MARGIN_MS = 1_500;

let cloud: LocalCloud;
let userData: Record<string, string>;
let output: string[];
let busy: string;
let quiet: string;

beforeEach(async () => {
  cloud = await LocalCloud.start({ credentials: [credentials] });
  cloud.createBucket('state');
  busy = cloud.addService({ name: 'busy' }).id;
  quiet = cloud.addService({ name: 'quiet' }).id;
  cloud.addConnections(busy, 1_150);
  cloud.addConnections(busy, 3, { status: 'pendingAcceptance', created_at: new Date(Date.now() - 2 * HOUR) });
  cloud.addConnection(busy, { status: 'pendingAcceptance', created_at: new Date(Date.now() - 10 * 60_000) });
  cloud.addConnections(busy, 2, { status: 'failed', error: [{ error_code: 'EndPoint.2014', error_message: 'No free IP addresses.' }] });
  cloud.addConnection(busy, { status: 'rejected' });
  // Counted in the total, in no status metric.
  cloud.addConnection(busy, { status: 'creating' });
  cloud.addConnections(quiet, 40);
  userData = { ...userDataFor(cloud, 'state'), METRICS_NAMESPACE: NAMESPACE, CES_ENDPOINT: cloud.endpoints.ces };
  output = [];
});
afterEach(async () => {
  await cloud.stop();
});

async function invoke(options: { data?: Record<string, string>; remainingMs?: number } = {}): Promise<Summary> {
  const context = functionGraphContext({ userData: options.data ?? userData, credentials, timeoutMs: options.remainingMs ?? 60_000 });
  return capturingOutput(output, () => bundle.handler(timerEvent(), context));
}
const logLines = () => jsonLogLines(output);
const stateOf = () => parseState(cloud.getObject('state', 'vpcep-monitor/state.json')!.toString());

/** The metrics Cloud Eye received while `work` ran. */
async function received(work: () => Promise<unknown>): Promise<ReceivedMetric[]> {
  const before = cloud.metrics.length;
  await work();
  return cloud.metrics.slice(before);
}
const valueOf = (metrics: readonly ReceivedMetric[], name: string, dimension: string): number | undefined => {
  const found = metrics.filter((m) => m.metricName === name && m.dimensions[0]?.value === dimension);
  expect(found.length, `${name} ${dimension} sent at most once`).toBeLessThanOrEqual(1);
  return found[0]?.value;
};
/** The cloud's own view of a service, from the emulator's store rather than from the monitor. */
function cloudCounts(serviceId: string): Record<string, number> {
  const connections = cloud.listConnections(serviceId);
  const count = (status: string) => connections.filter((c) => c.status === status).length;
  return {
    connections_total: connections.length,
    connections_pending: count('pendingAcceptance'),
    connections_failed: count('failed'),
    connections_rejected: count('rejected'),
    connections_accepted: count('accepted'),
  };
}
const oldestPendingSeconds = (serviceId: string, at: number): number => {
  const since = cloud.listConnections(serviceId).filter((c) => c.status === 'pendingAcceptance').map((c) => Date.parse(c.updated_at));
  return since.length === 0 ? 0 : Math.floor((at - Math.min(...since)) / 1000);
};

describe('Cloud Eye metrics of the deployed function', () => {
  it("match the cloud's own counts per service, and say how the run went", async () => {
    const started = Date.now();
    const metrics = await received(() => invoke());
    const ended = Date.now();

    for (const serviceId of [busy, quiet]) {
      for (const [name, value] of Object.entries(cloudCounts(serviceId))) expect(valueOf(metrics, name, serviceId), `${name} of ${serviceId}`).toBe(value);
    }
    // Seeded 2 h ago: the oldest of the four pending requests, measured when the run sent its figures.
    const oldest = valueOf(metrics, 'pending_oldest_seconds', busy)!;
    expect(oldest).toBeGreaterThanOrEqual(oldestPendingSeconds(busy, started));
    expect(oldest).toBeLessThanOrEqual(oldestPendingSeconds(busy, ended));
    expect(oldest).toBeGreaterThanOrEqual(2 * 3_600);
    expect(valueOf(metrics, 'pending_oldest_seconds', quiet)).toBe(0);

    expect(valueOf(metrics, 'services_unreadable', cloud.projectId)).toBe(0);
    expect(valueOf(metrics, 'alerts_undelivered', cloud.projectId)).toBe(0);
    const duration = valueOf(metrics, 'run_duration_ms', cloud.projectId)!;
    expect(duration).toBeGreaterThan(0);
    expect(duration).toBeLessThanOrEqual(ended - started);
    expect(valueOf(metrics, 'run_skipped', cloud.projectId)).toBe(0);
    // Approval is listed with every service (both on); no whitelist has been read yet, so no claim about them.
    expect(valueOf(metrics, 'services_without_approval', cloud.projectId)).toBe(0);
    expect(valueOf(metrics, 'services_open_to_all', cloud.projectId)).toBeUndefined();

    // Nothing else, and every datum as Cloud Eye documents it.
    expect(metrics).toHaveLength(2 * 6 + 5);
    const units: Record<string, string> = { pending_oldest_seconds: 's', run_duration_ms: 'ms' };
    for (const metric of metrics) {
      expect(metric).toMatchObject({ namespace: NAMESPACE, ttl: 604_800, type: 'int', unit: units[metric.metricName] ?? 'count' });
      expect(metric.dimensions).toEqual([{ name: metric.metricName.startsWith('connections_') || metric.metricName === 'pending_oldest_seconds' ? 'service_id' : 'project_id', value: expect.any(String) }]);
      expect(metric.collectTime).toBeGreaterThanOrEqual(started);
      expect(metric.collectTime).toBeLessThanOrEqual(ended);
    }

    // The next run reports the world as it is then, including a quiet run with nothing to write.
    for (const c of cloud.listConnections(busy).filter((c) => c.status === 'pendingAcceptance')) cloud.setStatus(busy, c.id, 'accepted');
    cloud.addConnections(quiet, 2, { status: 'failed' });
    const next = await received(() => invoke());
    for (const serviceId of [busy, quiet]) {
      for (const [name, value] of Object.entries(cloudCounts(serviceId))) expect(valueOf(next, name, serviceId), `${name} of ${serviceId}`).toBe(value);
    }
    expect(valueOf(next, 'pending_oldest_seconds', busy)).toBe(0);
    const quietRun = await received(() => invoke());
    expect(valueOf(quietRun, 'connections_failed', quiet)).toBe(2);
  });

  it('count a service that could not be read, and send no figures for it', async () => {
    await invoke();
    cloud.inject({ service: 'vpcep', api: 'vpcep:connections:list', match: (req) => req.path.includes(quiet), kind: 'status', status: 503, times: Infinity, body: { error_code: 'EndPoint.0001', error_msg: 'System error.' } });
    let error: Error | undefined;
    const metrics = await received(async () => {
      error = await failure(invoke());
    });
    expect(error!.message).toContain(quiet);
    expect(valueOf(metrics, 'services_unreadable', cloud.projectId)).toBe(1);
    expect(metrics.filter((m) => m.dimensions[0]?.value === quiet)).toEqual([]);
    expect(valueOf(metrics, 'connections_total', busy)).toBe(cloudCounts(busy).connections_total);
  });

  it('count the alerts SMN would not take', async () => {
    await invoke();
    cloud.addConnections(quiet, 2, { status: 'pendingAcceptance' });
    cloud.inject({ service: 'smn', kind: 'status', status: 500, times: Infinity, body: { request_id: 'r', code: 'SMN.0001', message: 'Internal error.' } });
    let error: Error | undefined;
    const metrics = await received(async () => {
      error = await failure(invoke());
    });
    expect(error!.message).toMatch(/2 alert\(s\) not delivered/);
    expect(stateOf().outbox).toHaveLength(2);
    expect(valueOf(metrics, 'alerts_undelivered', cloud.projectId)).toBe(2);
    expect(valueOf(metrics, 'connections_pending', quiet)).toBe(2);
  });
});

describe('a Cloud Eye outage', () => {
  /** The alert run after the baseline, with Cloud Eye failing as `fault` says. */
  async function alertRunWith(fault: Parameters<LocalCloud['inject']>[0], remainingMs = 60_000) {
    await invoke();
    const generation = stateOf().generation;
    const alertId = cloud.addConnection(busy, { status: 'pendingAcceptance', description: 'during the outage' }).id;
    cloud.inject(fault);
    cloud.resetCalls();
    output = [];
    let publishedAt = 0;
    const stop = cloud.onPublish(() => {
      publishedAt = Date.now();
    });
    const started = Date.now();
    const summary = await invoke({ remainingMs });
    const elapsed = Date.now() - started;
    stop();
    return { summary, elapsed, publishedAfter: publishedAt - started, generation, alertId };
  }

  function expectAlertingUntouched(run: Awaited<ReturnType<typeof alertRunWith>>): void {
    expect(run.summary).toMatchObject({ changes: 1, alerts: 1, published: 1, undelivered: 0, metrics: 'failed' });
    expect(cloud.published.at(-1)!.messageStructure!.email).toContain(run.alertId);
    expect(stateOf().outbox).toEqual([]);
    expect(stateOf().generation).toBeGreaterThan(run.generation);
    // The alert went out before Cloud Eye was first asked.
    const apis = cloud.calls.map((call) => call.api);
    expect(apis.lastIndexOf('smn:topic:publish')).toBeLessThan(apis.indexOf('ces:metricData:create'));
    expect(apis).toContain('ces:metricData:create');
    const warning = logLines().find((line) => line.level === 'warn' && /Cloud Eye failed/.test(String(line.msg)));
    expect(warning?.msg).toMatch(/^sending 17 metric\(s\) to Cloud Eye failed \(ces:metricData:create .+\); alerting is not affected/);
  }

  it('answering 503 leaves alerting, the state and the result as they would be', async () => {
    const run = await alertRunWith({ service: 'ces', kind: 'status', status: 503, times: Infinity });
    expectAlertingUntouched(run);
    expect(String(logLines().find((line) => line.level === 'warn' && /Cloud Eye failed/.test(String(line.msg)))!.msg)).toContain('HTTP 503');
    // Retried once (metrics have a short leash of their own), then given up.
    expect(cloud.calls.filter((call) => call.service === 'ces')).toHaveLength(2);
    // The alert went out before Cloud Eye was asked and retried (at least 0.2 s of back-off), not after.
    expect(run.elapsed - run.publishedAfter).toBeGreaterThan(150);
    cloud.clearFaults();
    expect(await invoke()).toMatchObject({ metrics: 'sent', alerts: 0, published: 0 });
  });

  it('hanging holds the run no longer than its own short leash (two attempts of 2.5 s), and the alert not at all', async () => {
    const remainingMs = 12_000;
    const run = await alertRunWith({ service: 'ces', kind: 'hang', times: Infinity }, remainingMs);
    expectAlertingUntouched(run);
    expect(String(logLines().find((line) => line.level === 'warn' && /Cloud Eye failed/.test(String(line.msg)))!.msg)).toMatch(/timed out/);
    // Well inside the write budget (which ends SAFETY_MARGIN_MS before the deadline): the leash ended it.
    expect(run.elapsed).toBeLessThan(7_000);
    expect(run.elapsed).toBeLessThan(remainingMs - SAFETY_MARGIN_MS - 3_000);
    expect(run.elapsed - run.publishedAfter).toBeGreaterThan(4_500);
  });
});

describe('without METRICS_NAMESPACE', () => {
  it('no request reaches Cloud Eye, set to nothing or not set at all', async () => {
    const { METRICS_NAMESPACE: _off, ...without } = userData;
    for (const data of [without, { ...userData, METRICS_NAMESPACE: '' }]) {
      cloud.resetCalls();
      const summary = await invoke({ data });
      expect(summary.metrics).toBe('off');
      expect(cloud.calls.filter((call) => call.service === 'ces')).toEqual([]);
      expect(cloud.metrics).toEqual([]);
    }
    // The same cloud with the setting: Cloud Eye is asked, so the silence above was the setting's doing.
    cloud.resetCalls();
    expect(await invoke()).toMatchObject({ metrics: 'sent' });
    expect(cloud.calls.filter((call) => call.service === 'ces').length).toBeGreaterThan(0);
  });
});
