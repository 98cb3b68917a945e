/** `vpcep-monitor check` against the local cloud: a good setup passes; each broken wire is named with its fix. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctsRefused, LocalCloud, whitelistRefused } from '../../lib/emulator/index.js';
import { userDataFor } from '../e2e/harness.js';
import { runCli } from './run-cli.js';

const credentials = { ak: 'CHECKACCESSKEY000001', sk: 'check-secret-key-000000000000000000001' };
let cloud: LocalCloud;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  cloud = await LocalCloud.start({ credentials: [credentials] });
  cloud.createBucket('check-bucket');
  const service = cloud.addService({ name: 'payments' }).id;
  cloud.addConnections(service, 3);
  cloud.addService({ name: 'orders' });
  env = { HUAWEICLOUD_SDK_AK: credentials.ak, HUAWEICLOUD_SDK_SK: credentials.sk, ...userDataFor(cloud, 'check-bucket'), CES_ENDPOINT: cloud.endpoints.ces, NO_COLOR: '1' };
  expect((await runCli({ ...env, LOG_LEVEL: 'silent' }, ['run'])).code).toBe(0);
});
afterAll(async () => {
  await cloud?.stop();
});

const check = (changes: NodeJS.ProcessEnv = {}, ...argv: string[]) => runCli({ ...env, ...changes }, ['check', ...argv]);
const lineOf = (out: string, item: string): string => out.split('\n').find((line) => line.slice(2).startsWith(item)) ?? `(no ${item} line in:\n${out})`;

describe('vpcep-monitor check', () => {
  it('passes on a good setup, one ✓ line per item, and reads only', async () => {
    const writes = () => cloud.calls.filter((call) => call.method !== 'GET' && call.method !== 'HEAD').length;
    const before = writes();
    const { code, out, err } = await check();
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(lineOf(out, 'settings')).toMatch(/^✓ settings: parsed; \d+ characters of FunctionGraph's 4096/);
    expect(lineOf(out, 'region')).toMatch(/^✓ region: ap-southeast-1/);
    expect(lineOf(out, 'bucket check-bucket')).toMatch(/^✓ bucket check-bucket: state at vpcep-monitor\/state.json: generation 1, saved \d+s ago/);
    expect(lineOf(out, 'topic')).toBe(`✓ topic: alerts exists (${env.SMN_TOPIC_URN})`);
    expect(lineOf(out, 'VPCEP')).toBe('✓ VPCEP: lists 2 endpoint service(s), all of them watched');
    // VPCEP lists the newest service first; its service_name is {region}.{name}.{id}.
    expect(lineOf(out, 'whitelist')).toMatch(/^✓ whitelist: read ap-southeast-1\.orders\.[0-9a-f-]{36}: 0 entries$/);
    expect(lineOf(out, 'CTS')).toBe('✓ CTS: reads traces: 0 accept or reject trace(s) of VPCEP in the last hour');
    expect(cloud.calls.at(-1)?.api).toBe('cts:trace:list');
    expect(lineOf(out, 'Cloud Eye')).toMatch(/^- Cloud Eye: metrics off/);
    expect(out.trim().split('\n').at(-1)).toBe('All checks passed.');
    expect(writes()).toBe(before);
  });

  it('names a missing bucket with its fix', async () => {
    const { code, out } = await check({ OBS_BUCKET: 'no-such-bucket' });
    expect(code).toBe(1);
    expect(lineOf(out, 'bucket no-such-bucket')).toMatch(/^✗ bucket no-such-bucket: .*bucket "no-such-bucket" does not exist at .*; fix: set OBS_BUCKET/);
  });

  it('names a wrong prefix, and the prefix that holds a state', async () => {
    const { code, out } = await check({ OBS_PREFIX: 'vpcep-monitr/' });
    expect(code).toBe(1);
    expect(lineOf(out, 'bucket check-bucket')).toMatch(/^✗ bucket check-bucket: no state at obs:\/\/check-bucket\/vpcep-monitr\/state.json .*"vpcep-monitor\/".*; fix: set OBS_PREFIX/);
  });

  it('names a missing topic with its fix', async () => {
    const { code, out } = await check({ SMN_TOPIC_URN: `urn:smn:ap-southeast-1:${cloud.projectId}:no-such-topic` });
    expect(code).toBe(1);
    expect(lineOf(out, 'topic')).toMatch(/^✗ topic: no topic urn:smn:ap-southeast-1:\w+:no-such-topic \(.*SMN\.0006.*\); fix: create it/);
  });

  it('names a wrong region with its fix', async () => {
    const { code, out } = await check({ HUAWEICLOUD_REGION: 'eu-west-101' });
    expect(code).toBe(1);
    expect(lineOf(out, 'region')).toMatch(/^✗ region: SMN_TOPIC_URN is in ap-southeast-1, but the monitor works in eu-west-101 \(HUAWEICLOUD_REGION\); fix: /);
  });

  it('names a refused VPCEP call with the permission to grant', async () => {
    cloud.inject({ service: 'vpcep', kind: 'status', status: 403, body: { error_code: 'EndPoint.0004', error_msg: 'Permission denied.' } });
    const { code, out } = await check();
    expect(code).toBe(1);
    expect(lineOf(out, 'VPCEP')).toMatch(/^✗ VPCEP: vpcep:epservices:list failed: HTTP 403 EndPoint\.0004.*; fix: grant vpcep:epservices:list/);
    expect(out.trim().split('\n').at(-1)).toBe('1 check(s) failed.');
  });

  it('reads a whitelist and CTS only with their features on, and names a refusal with the permission to grant', async () => {
    const off = await check({ CTS_ATTRIBUTION: 'off', POSTURE_CHECK_INTERVAL: 'off' });
    expect(off.code).toBe(0);
    expect(lineOf(off.out, 'whitelist')).toBe('- whitelist: not read (POSTURE_CHECK_INTERVAL is off)');
    expect(lineOf(off.out, 'CTS')).toBe('- CTS: not read (CTS_ATTRIBUTION is off)');

    cloud.inject(whitelistRefused());
    cloud.inject(ctsRefused());
    const refused = await check();
    expect(refused.code).toBe(1);
    expect(lineOf(refused.out, 'whitelist')).toMatch(/^✗ whitelist: vpcep:permissions:list failed: HTTP 403 EndPoint\.0004.*; fix: grant vpcep:permissions:list .*, or set POSTURE_CHECK_INTERVAL=off$/);
    expect(lineOf(refused.out, 'CTS')).toMatch(/^✗ CTS: cts:trace:list failed: HTTP 403 .*; fix: grant cts:trace:list .*, or set CTS_ATTRIBUTION=off$/);
    expect(refused.out.trim().split('\n').at(-1)).toBe('2 check(s) failed.');
  });

  it('writes one Cloud Eye datum only when asked', async () => {
    const metricsEnv = { METRICS_NAMESPACE: 'VPCEP.ConnectionMonitor' };
    const before = cloud.metrics.length;
    expect(lineOf((await check(metricsEnv)).out, 'Cloud Eye')).toMatch(/^- Cloud Eye: not checked: --write-metric/);
    expect(cloud.metrics.length).toBe(before);
    const { code, out } = await check(metricsEnv, '--write-metric');
    expect(code).toBe(0);
    expect(lineOf(out, 'Cloud Eye')).toMatch(/^✓ Cloud Eye: accepted one datum in VPCEP\.ConnectionMonitor/);
    expect(cloud.metrics.length).toBe(before + 1);
  });

  it('names a setting that does not parse, and settings over FunctionGraph\'s 4 KB', async () => {
    const bad = await check({ LOG_LEVEL: 'loud' });
    expect(bad.code).toBe(1);
    expect(lineOf(bad.out, 'settings')).toMatch(/^✗ settings: Setting LOG_LEVEL is "loud"/);
    const big = await check({ AUTO_ACCEPT_DOMAINS: Array.from({ length: 140 }, (_, i) => i.toString(16).padStart(32, '0')).join(',') });
    expect(big.code).toBe(1);
    expect(lineOf(big.out, 'settings')).toMatch(/^✗ settings: Settings take \d+ characters together .*FunctionGraph allows 4096\. The largest is AUTO_ACCEPT_DOMAINS/);
  });
});
