/**
 * What the function trusts, through the built bundle: TLS peers (each of the four services behind
 * a certificate nobody trusts, then one trusted through NODE_EXTRA_CA_CERTS), answers too large to
 * read, VPCEP's own throttling, the region's endpoints and credentials a header cannot carry.
 */
import { execFile } from 'node:child_process';
import dns from 'node:dns';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { functionGraphContext, timerEvent } from '../../lib/cli/function-context.js';
import { API, LocalCloud, TEST_CA_CERTIFICATE, type ServiceName, vpcepThrottled } from '../../lib/emulator/index.js';
import { failure } from '../support.js';
import { HEAP_FLAGS_128_MB, runBundleInChild } from './child-bundle.js';
import { bundle, capturingOutput, jsonLogLines, userDataFor } from './harness.js';

const credentials = { ak: 'TRUSTTESTACCESSKEY01', sk: 'trust-test-secret-key-00000000000000001', securityToken: 'trust-test-security-token-ABCDEFGH' };

const clouds: LocalCloud[] = [];
async function startCloud(tls = false): Promise<LocalCloud> {
  const cloud = await LocalCloud.start({ credentials: [credentials], tls });
  clouds.push(cloud);
  cloud.createBucket('state');
  return cloud;
}
afterEach(async () => {
  await Promise.all(clouds.splice(0).map((cloud) => cloud.stop()));
});

/** Settings pointing every service at `cloud`, Cloud Eye included. */
function settingsFor(cloud: LocalCloud): Record<string, string> {
  return { ...userDataFor(cloud, 'state'), CES_ENDPOINT: cloud.endpoints.ces, METRICS_NAMESPACE: 'VPCEP.Trust' };
}

const ENDPOINT_SETTING: Record<ServiceName, string> = { vpcep: 'VPCEP_ENDPOINT', smn: 'SMN_ENDPOINT', obs: 'OBS_ENDPOINT', ces: 'CES_ENDPOINT', cts: 'CTS_ENDPOINT' };

async function invoke(userData: Record<string, string>, output: string[], options: { creds?: typeof credentials; remainingMs?: number } = {}) {
  const context = functionGraphContext({ userData, credentials: options.creds ?? credentials, timeoutMs: options.remainingMs ?? 60_000 });
  return capturingOutput(output, () => bundle.handler(timerEvent(), context));
}

describe('TLS: every peer verified (#17.1)', () => {
  for (const service of ['vpcep', 'smn', 'obs', 'ces'] as const) {
    it(`${service} behind a certificate nobody trusts: the call is refused naming the endpoint, and the server sees no request`, async () => {
      const plain = await startCloud();
      const untrusted = await startCloud(true);
      const id = plain.addService({ name: 'payments' }).id;
      plain.addConnection(id, { status: 'pendingAcceptance' }); // a baseline alert, so SMN is called
      untrusted.createTopic('alerts');
      const userData = { ...settingsFor(plain), [ENDPOINT_SETTING[service]]: untrusted.endpoints[service] };

      const run = await runBundleInChild({ userData, credentials });

      // The endpoint as the error spells it: scheme, host and port.
      expect(run.stdout + (run.error ?? '')).toContain(`the TLS certificate of ${untrusted.endpoints[service]} was refused`);
      expect(untrusted.calls.filter((call) => call.service === service)).toEqual([]);
      expect(untrusted.handshakes(service)).toBe(0);
      expect(run.stdout).not.toContain(credentials.sk);
    });
  }

  it('all four behind a certificate trusted through NODE_EXTRA_CA_CERTS work, and OBS reuses its TLS connections', async () => {
    const cloud = await startCloud(true);
    const id = cloud.addService({ name: 'payments' }).id;
    const pending = cloud.addConnection(id, { status: 'pendingAcceptance' }).id;
    cloud.addConnections(id, 20);
    const caFile = join(mkdtempSync(join(tmpdir(), 'trust-ca-')), 'ca.pem');
    writeFileSync(caFile, TEST_CA_CERTIFICATE);

    const run = await runBundleInChild({ userData: settingsFor(cloud), credentials, env: { NODE_EXTRA_CA_CERTS: caFile } });

    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ alerts: 1, published: 1 });
    expect(cloud.published.at(-1)!.messageStructure!.email).toContain(pending);
    expect(cloud.metrics.length).toBeGreaterThan(0);
    expect(cloud.getObject('state', 'vpcep-monitor/state.json')).toBeDefined();
    const obsRequests = cloud.calls.filter((call) => call.service === 'obs').length;
    expect(obsRequests).toBeGreaterThan(3);
    expect(cloud.handshakes('obs')).toBeGreaterThan(0);
    expect(cloud.handshakes('obs')).toBeLessThan(obsRequests);
  });
});

describe('bounded reads (#19.6)', () => {
  it('a 150 MB page fails its service only: the other service alerts, and the 128 MB function stays under 128 MiB', async () => {
    const cloud = await startCloud();
    const huge = cloud.addService({ name: 'huge' }).id;
    const fine = cloud.addService({ name: 'fine' }).id;
    cloud.addConnections(huge, 5);
    cloud.addConnections(fine, 5);
    const userData = userDataFor(cloud, 'state');
    expect(await invoke(userData, [])).toMatchObject({ services: 2 }); // baseline
    const pending = cloud.addConnection(fine, { status: 'pendingAcceptance' }).id;
    const page = `{"connections":[${'{"id":"x"},'.repeat(15_000_000)}{"id":"x"}],"total_count":1}`;
    cloud.inject({ service: 'vpcep', api: 'vpcep:connections:list', match: (request) => request.path.includes(huge), kind: 'malformed', body: page, times: Infinity });

    const run = await runBundleInChild({ userData, credentials, execArgv: HEAP_FLAGS_128_MB });

    expect(run.error).toContain(huge);
    expect(run.error).not.toContain(fine);
    expect(run.stdout).toMatch(/larger than 4 MiB, the most this monitor reads/);
    expect(cloud.published.at(-1)!.messageStructure!.email).toContain(pending);
    expect(run.peakRssKiB).toBeLessThan(128 * 1024);
  }, 60_000);

  it('a state object past its ceiling fails the run naming the state; it is never reset or overwritten', async () => {
    const cloud = await startCloud();
    cloud.addConnections(cloud.addService().id, 3);
    cloud.putObject('state', 'vpcep-monitor/state.json', Buffer.alloc(65 * 1024 * 1024, 0x20));
    const error = await failure(invoke(userDataFor(cloud, 'state'), []));
    expect(error.message).toMatch(/obs:object:GetObject failed: the answer from http:\/\/127\.0\.0\.1:\d+ is larger than 64 MiB/);
    expect(cloud.objectWrites('state', 'vpcep-monitor/state.json')).toBe(1);
    expect(cloud.objectKeys('state', 'vpcep-monitor/quarantine/')).toEqual([]);
  }, 30_000);
});

describe('VPCEP throttling (#17.3)', () => {
  it('a page throttled twice with 400 EndPoint.0022 is read in the same run, and the burst is logged once', async () => {
    const cloud = await startCloud();
    const id = cloud.addService({ name: 'busy' }).id;
    const pending = cloud.addConnection(id, { status: 'pendingAcceptance' }).id;
    cloud.inject(vpcepThrottled({ api: API.listConnections, times: 2 }));
    const output: string[] = [];
    expect(await invoke(userDataFor(cloud, 'state'), output)).toMatchObject({ alerts: 1, published: 1 });
    expect(cloud.published.at(-1)!.messageStructure!.email).toContain(pending);
    expect(cloud.calls.filter((call) => call.api === API.listConnections && call.status === 400)).toHaveLength(2);
    const lines = jsonLogLines(output).filter((line) => /throttl/.test(String(line.msg)));
    const warnings = lines.filter((line) => line.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]!.msg)).toContain('EndPoint.0022');
    // The in-flight limit halves on each throttled answer a second apart, and says so once per burst.
    expect(lines.filter((line) => line.level === 'info').map((line) => line.msg)).toEqual(['vpcep:connections:list was throttled: in-flight limit halved from 4 to 2; further changes in this burst are logged at debug']);
  }, 30_000);
});

describe('endpoints by region (#17.4)', () => {
  it('eu-west-101 without overrides calls .myhuaweicloud.eu', async () => {
    const looked: string[] = [];
    const lookup = dns.lookup;
    // Every name answers 127.0.0.1 on a port nobody listens on: what matters is which host was asked for.
    dns.lookup = ((hostname: string, options: unknown, callback: (...args: unknown[]) => void) => {
      looked.push(hostname);
      const done = typeof options === 'function' ? (options as typeof callback) : callback;
      if ((options as { all?: boolean })?.all) done(null, [{ address: '127.0.0.1', family: 4 }]);
      else done(null, '127.0.0.1', 4);
    }) as typeof dns.lookup;
    try {
      const userData = {
        HUAWEICLOUD_PROJECT_ID: '0a5c1e3b7d9f4a2c8e6b0d1f3a5c7e9b',
        OBS_BUCKET: 'state',
        SMN_TOPIC_URN: 'urn:smn:eu-west-101:0a5c1e3b7d9f4a2c8e6b0d1f3a5c7e9b:alerts',
      };
      const output: string[] = [];
      await failure(invoke(userData, output, { remainingMs: 4_000 }));
      expect(looked).toContain('vpcep.eu-west-101.myhuaweicloud.eu');
      expect(looked.some((host) => host.endsWith('obs.eu-west-101.myhuaweicloud.eu'))).toBe(true);
      expect(looked.filter((host) => host.endsWith('.com'))).toEqual([]);
    } finally {
      dns.lookup = lookup;
    }
  }, 20_000);
});

describe('credentials checked at start (#19.7)', () => {
  it('a CR/LF token fails the invocation with one line naming it, before any request', async () => {
    const cloud = await startCloud();
    const output: string[] = [];
    const token = 'trust-token\r\nX-Injected: 1';
    const error = await failure(invoke(userDataFor(cloud, 'state'), output, { creds: { ...credentials, securityToken: token } }));
    expect(error.message).toMatch(/^Credential the agency's security token \(context\.getSecurityToken\(\)\) holds a carriage return \(CR\) at position 12/);
    const lines = jsonLogLines(output);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error' });
    expect(output.join('')).not.toContain('X-Injected');
    expect(output.join('')).not.toContain(credentials.sk);
    expect(cloud.calls).toEqual([]);
  });

  it('the CLI says it in one line on stderr, for a token or a key outside Latin-1', async () => {
    const cloud = await startCloud();
    const cli = (extra: NodeJS.ProcessEnv) =>
      promisify(execFile)('dist/cli.js', ['run'], {
        env: { PATH: process.env.PATH, HUAWEICLOUD_SDK_AK: credentials.ak, HUAWEICLOUD_SDK_SK: credentials.sk, ...userDataFor(cloud, 'state'), NO_COLOR: '1', ...extra },
      }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
      );
    const token = await cli({ HUAWEICLOUD_SDK_SECURITY_TOKEN: 'abc\ndef-secret-part' });
    expect(token.code).toBe(1);
    expect(token.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: Credential HUAWEICLOUD_SDK_SECURITY_TOKEN holds a line feed \(LF\) at position 4/)]);
    expect(token.stderr).not.toContain('secret-part');
    const key = await cli({ HUAWEICLOUD_SDK_AK: 'TRUSTTEST\u03a9ACCESSKEY' });
    expect(key.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: Credential HUAWEICLOUD_SDK_AK holds a character outside Latin-1/)]);
    expect(cloud.calls).toEqual([]);
  });
});
