/**
 * The built bundle against the local cloud with OBS in each of the two dialects esdk-obs-nodejs
 * speaks: production's (a host name endpoint, virtual-hosted buckets, `OBS ak:sig`) and the one it
 * falls back to for an IP endpoint (path style, S3's v2 `AWS ak:sig`). A baseline, a change and a
 * quiet run in each, checked on the wire and by their outcome.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../functions/connection-monitor/index.js';
import { functionGraphContext, timerEvent } from '../../lib/cli/function-context.js';
import { type ApiCall, LocalCloud } from '../../lib/emulator/index.js';
import { bundle, capturingOutput, userDataFor } from './harness.js';
import { parseState } from '../../lib/monitor/state.js';

const credentials = { ak: 'DIALECTACCESSKEY0001', sk: 'dialect-secret-key-000000000000000001', securityToken: 'dialect-token-0123456789' };
const BUCKET = 'monitor-state';

interface Dialect {
  name: string;
  endpoint(cloud: LocalCloud): string;
  scheme: string;
  host(cloud: LocalCloud): string;
  tokenHeader: string;
}

const DIALECTS: Dialect[] = [
  {
    name: 'production: host name endpoint, virtual-hosted, OBS signature',
    endpoint: (cloud) => cloud.endpoints.obsHost,
    scheme: 'OBS',
    host: () => `${BUCKET}.obs.localhost`,
    tokenHeader: 'x-obs-security-token',
  },
  {
    name: 'IP endpoint: path style, v2 signature',
    endpoint: (cloud) => cloud.endpoints.obs,
    scheme: 'AWS',
    // The SDK sends the server without its port as Host, in both dialects.
    host: (cloud) => new URL(cloud.endpoints.obs).hostname,
    tokenHeader: 'x-amz-security-token',
  },
];

describe.each(DIALECTS)('OBS in the $name dialect', (dialect) => {
  let cloud: LocalCloud;
  let service: string;
  let userData: Record<string, string>;

  beforeAll(async () => {
    cloud = await LocalCloud.start({ credentials: [credentials] });
    cloud.createBucket(BUCKET);
    service = cloud.addService({ name: 'payments' }).id;
    cloud.addConnections(service, 40);
    cloud.addConnections(service, 2, { status: 'pendingAcceptance' });
    userData = { ...userDataFor(cloud, BUCKET), OBS_ENDPOINT: dialect.endpoint(cloud), LOG_LEVEL: 'warn' };
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  const invoke = (requestId: string): Promise<Summary> => {
    cloud.resetCalls();
    return capturingOutput([], () => bundle.handler(timerEvent(), functionGraphContext({ userData, credentials, requestId })));
  };
  const obsCalls = (): ApiCall[] => cloud.calls.filter((call) => call.service === 'obs');

  function expectDialectOnTheWire(): void {
    const calls = obsCalls();
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      expect(call.headers.authorization?.split(' ')[0]).toBe(dialect.scheme);
      expect(call.headers.host).toBe(dialect.host(cloud));
      expect(call.headers[dialect.tokenHeader]).toBe(credentials.securityToken);
      expect(call.authFailure).toBeUndefined();
      // Only the first read of a state that does not exist yet may be refused (404).
      expect(call.status === 404 || (call.status >= 200 && call.status < 300)).toBe(true);
    }
  }

  it('records the baseline and alerts the pending requests', async () => {
    expect(await invoke('baseline')).toMatchObject({ baseline: true, connections: 42, alerts: 2, published: 1 });
    expectDialectOnTheWire();
    expect(obsCalls().some((call) => call.api === 'obs:object:PutObject')).toBe(true);
    const state = parseState(cloud.getObject(BUCKET, 'vpcep-monitor/state.json')!.toString());
    expect(state.services.size).toBe(1);
    // The run's changes, and what SMN accepted of its alerts.
    expect(cloud.objectKeys(BUCKET, 'vpcep-monitor/audit/').map((key) => key.endsWith('.delivered.jsonl'))).toEqual([false, true]);
  });

  it('alerts a change, reading back the state it wrote', async () => {
    const failed = cloud.addConnection(service, { status: 'failed', error: [{ error_code: 'EndPoint.2014', error_message: 'No free IP addresses.' }] });
    const writes = cloud.objectWrites(BUCKET, 'vpcep-monitor/state.json');
    expect(await invoke('change')).toMatchObject({ baseline: false, changes: 1, alerts: 1, published: 1 });
    expectDialectOnTheWire();
    expect(obsCalls().find((call) => call.api === 'obs:object:GetObject')?.status).toBe(200);
    expect(cloud.published.at(-1)?.messageStructure?.email).toContain(`${failed.id}: new -> failed`);
    expect(cloud.objectWrites(BUCKET, 'vpcep-monitor/state.json')).toBeGreaterThan(writes);
    expect(cloud.objectKeys(BUCKET, 'vpcep-monitor/audit/')).toHaveLength(4);
  });

  it('a quiet run reads the state and writes nothing', async () => {
    const published = cloud.published.length;
    expect(await invoke('quiet')).toMatchObject({ changes: 0, alerts: 0, published: 0 });
    expectDialectOnTheWire();
    expect(obsCalls().map((call) => call.method)).toEqual(['GET']);
    expect(cloud.published).toHaveLength(published);
  });
});
