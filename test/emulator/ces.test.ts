/** Local Cloud Eye: metric-data accepted and kept, and every documented rule refused with its code. */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { LocalCloud } from '../../lib/emulator/index.js';
import { apigFetch, startCloud } from './helpers.js';

const DAY = 24 * 3_600_000;
let now: Date;
let cloud: LocalCloud;

beforeEach(async () => {
  // Near the real clock: the gateway refuses a request signed more than 15 minutes away from it.
  now = new Date(Math.floor(Date.now() / 1000) * 1000);
  cloud = await startCloud({ clock: () => now });
});
afterEach(() => cloud.stop());

function datum(overrides: Record<string, unknown> = {}, metric: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    metric: {
      namespace: 'VPCEP.ConnectionMonitor',
      metric_name: 'connections_pending',
      dimensions: [{ name: 'service_id', value: '4c1a7e0e-5b2f-4c4e-9f0a-0b1c2d3e4f50' }],
      ...metric,
    },
    ttl: 172_800,
    collect_time: now.getTime(),
    value: 3,
    unit: 'count',
    type: 'int',
    ...overrides,
  };
}

function send(body: unknown, options: { projectId?: string; sentBody?: string } = {}) {
  return apigFetch(cloud.endpoints.ces, {
    method: 'POST',
    path: `/V1.0/${options.projectId ?? cloud.projectId}/metric-data`,
    body,
    ...(options.sentBody === undefined ? {} : { sentBody: options.sentBody, headers: { 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' } }),
  });
}

async function expectRefused(body: unknown, code: string, detail: RegExp, status = 400): Promise<void> {
  const res = await send(body);
  expect(res.status).toBe(status);
  // The current error-code page's v1 shape (the emulator's default; see ces.ts).
  expect(res.json).toEqual({ http_code: String(status), message: { details: expect.stringMatching(detail), code } });
  expect(cloud.metrics).toHaveLength(0);
}

test('accepts a batch with 201 and no body, keeping each datum with its receive time', async () => {
  const res = await send([datum(), datum({ value: 0.5, type: 'float' }, { metric_name: 'run_duration_ms', dimensions: [{ name: 'project_id', value: cloud.projectId }] })]);
  expect([res.status, res.text]).toEqual([201, '']);
  expect(res.headers.get('x-request-id')).toBeTruthy();
  expect(cloud.metrics).toEqual([
    {
      namespace: 'VPCEP.ConnectionMonitor', metricName: 'connections_pending',
      dimensions: [{ name: 'service_id', value: '4c1a7e0e-5b2f-4c4e-9f0a-0b1c2d3e4f50' }],
      ttl: 172_800, collectTime: now.getTime(), value: 3, unit: 'count', type: 'int', receivedAt: now,
    },
    expect.objectContaining({ metricName: 'run_duration_ms', value: 0.5, type: 'float' }),
  ]);
  expect(cloud.calls.at(-1)).toMatchObject({ service: 'ces', api: 'ces:metricData:create', status: 201 });
});

test('unit and type are optional', async () => {
  const { unit: _unit, type: _type, ...bare } = datum();
  expect((await send([bare])).status).toBe(201);
  expect(cloud.metrics[0]).not.toHaveProperty('unit');
});

describe('namespace', () => {
  test.each([
    ['no dot', 'VPCEPConnectionMonitor'],
    ['33 characters in total', `VPCEP.${'a'.repeat(27)}`],
    ['two parts of 16 characters (33 in total)', `${'A'.repeat(16)}.${'b'.repeat(16)}`],
    ['an empty part', 'VPCEP.'],
    ['a digit first', 'VPCEP.1monitor'],
    ['a hyphen', 'VPCEP.connection-monitor'],
    ['three parts', 'VPCEP.connection.monitor'],
    ['a service part starting with AGT', 'AGT.ECS'],
    ['a service part starting with AGT, longer', 'AGTX.monitor'],
    ['a service part starting with SRE', 'SREteam.monitor'],
    ['the reserved SERVICE.BMS', 'SERVICE.BMS'],
  ])('refuses %s with 400 ces.0014', async (_what, namespace) => {
    await expectRefused([datum({}, { namespace })], 'ces.0014', /\[0\]\.metric\.namespace/);
  });

  test('refuses a service part starting with SYS with 403 ces.0009', async () => {
    await expectRefused([datum({}, { namespace: 'SYS.ECS' })], 'ces.0009', /Adding SYS metric is not allowed/, 403);
    await expectRefused([datum({}, { namespace: 'SYSTEM.monitor' })], 'ces.0009', /Adding SYS metric is not allowed/, 403);
  });

  test('takes 3 and 32 characters in total, short parts, and SERVICE.BMS\'s neighbours', async () => {
    for (const namespace of ['a.b', 'x.y_', `VPCEP.${'a'.repeat(26)}`, 'SERVICE.BMS2', 'MySRE.monitor', 'Sys_team.metrics']) {
      expect((await send([datum({}, { namespace })])).status, namespace).toBe(201);
    }
  });
});

describe('metric_name', () => {
  test.each([
    ['empty', ''],
    ['65 characters', `m${'x'.repeat(64)}`],
    ['a digit first', '1connections'],
    ['a dot', 'connections.total'],
  ])('refuses %s', async (_what, name) => {
    await expectRefused([datum({}, { metric_name: name })], 'ces.0014', /\[0\]\.metric\.metric_name/);
  });

  test('takes 64 characters', async () => {
    expect((await send([datum({}, { metric_name: `m${'x'.repeat(63)}` })])).status).toBe(201);
  });
});

describe('dimensions', () => {
  const dimension = (name: string, value = 'v') => ({ name, value });
  test.each([
    ['none', []],
    ['five', ['a', 'b', 'c', 'd', 'e'].map((name) => dimension(name))],
    ['missing', undefined],
  ])('refuses %s', async (_what, dimensions) => {
    await expectRefused([datum({}, { dimensions })], 'ces.0014', /\[0\]\.metric\.dimensions must be an array of 1 to 4/);
  });

  test.each([
    ['a name with a digit first', dimension('1id')],
    ['a name of 33 characters', dimension(`a${'b'.repeat(32)}`)],
    ['a name with a dot', dimension('service.id')],
    ['an empty value', dimension('id', '')],
    ['a value of 257 characters', dimension('id', 'v'.repeat(257))],
    ['a value with a colon', dimension('id', 'urn:smn')],
    ['a value with a dot', dimension('id', 'a.b')],
    ['a value with _ first', dimension('id', '_ab')],
    ['a value with - first', dimension('id', '-ab')],
    ['a value that is a number', { name: 'id', value: 42 }],
  ])('refuses %s', async (_what, entry) => {
    await expectRefused([datum({}, { dimensions: [entry] })], 'ces.0014', /\[0\]\.metric\.dimensions\[0\]\.(name|value)/);
  });

  test('takes four, names with - and _, values with . - _ up to 256 characters', async () => {
    const dimensions = [dimension('service_id', '4a-b_c-d'), dimension('x-y'), dimension('z'), dimension('w', 'v'.repeat(256))];
    expect((await send([datum({}, { dimensions })])).status).toBe(201);
  });
});

describe('ttl, collect_time, value, unit, type', () => {
  test.each([
    ['ttl 0', { ttl: 0 }, /\.ttl/],
    ['ttl 604801', { ttl: 604_801 }, /\.ttl/],
    ['ttl 1.5', { ttl: 1.5 }, /\.ttl/],
    ['ttl as a string', { ttl: '60' }, /\.ttl/],
    ['collect_time as an ISO string', { collect_time: '2026-11-26T12:00:00Z' }, /\.collect_time/],
    ['value as a string', { value: '3' }, /\.value must be a number/],
    ['value missing', { value: undefined }, /\.value must be a number/],
    ['unit of 33 characters', { unit: 'u'.repeat(33) }, /\.unit/],
    ['type double', { type: 'double' }, /\.type must be int or float/],
  ])('refuses %s', async (_what, overrides, detail) => {
    await expectRefused([datum(overrides)], 'ces.0014', detail);
  });

  test('collect_time must lie within [now - 3 d, now + 10 min] of the emulator clock', async () => {
    for (const at of [now.getTime() - 3 * DAY, now.getTime() + 10 * 60_000]) expect((await send([datum({ collect_time: at })])).status).toBe(201);
    cloud.metrics.length = 0;
    await expectRefused([datum({ collect_time: now.getTime() - 3 * DAY - 1 })], 'ces.0014', /collect_time must lie between/);
    await expectRefused([datum({ collect_time: now.getTime() + 10 * 60_000 + 1 })], 'ces.0014', /collect_time must lie between/);
    // The window moves with the emulator's clock, not the sender's.
    const before = now.getTime();
    now = new Date(before + 60_000);
    await expectRefused([datum({ collect_time: before - 3 * DAY })], 'ces.0014', /collect_time/);
  });

  test('ttl 1 and 604800 are accepted', async () => {
    expect((await send([datum({ ttl: 1 }), datum({ ttl: 604_800 })])).status).toBe(201);
  });
});

describe('the request', () => {
  test('is all or nothing: one bad datum refuses the batch, naming its index', async () => {
    await expectRefused([datum(), datum(), datum({ ttl: 0 })], 'ces.0014', /^Some content in message body is not correct: \[2\]\.ttl/);
  });

  test('must be a non-empty JSON array', async () => {
    await expectRefused([], 'ces.0001', /The content must be specified/);
    await expectRefused(datum(), 'ces.0014', /must be a JSON array/);
    const broken = await send(undefined, { sentBody: '[{"metric":' });
    expect([broken.status, (broken.json.message as { code: string }).code]).toEqual([400, 'ces.0014']);
    const empty = await send(undefined, { sentBody: '' });
    expect([empty.status, (empty.json.message as { code: string }).code]).toEqual([400, 'ces.0001']);
  });

  test('may be 512 KB, not more', async () => {
    const one = JSON.stringify(datum());
    const fits = Math.floor((512 * 1024 - 2) / (one.length + 1));
    const batch = Array.from({ length: fits }, () => datum());
    expect(Buffer.byteLength(JSON.stringify(batch))).toBeLessThanOrEqual(512 * 1024);
    expect((await send(batch)).status).toBe(201);
    cloud.metrics.length = 0;
    const over = Array.from({ length: fits + 1 }, () => datum());
    expect(Buffer.byteLength(JSON.stringify(over))).toBeGreaterThan(512 * 1024);
    await expectRefused(over, 'ces.0014', /more than 512 KB/);
  });

  test("another project's path is 400 ces.0003; other paths are the gateway's 404", async () => {
    const res = await send([datum()], { projectId: 'f'.repeat(32) });
    expect([res.status, (res.json.message as { code: string }).code]).toEqual([400, 'ces.0003']);
    const unknown = await apigFetch(cloud.endpoints.ces, { method: 'POST', path: `/V1.0/${cloud.projectId}/metrics` , body: [] });
    expect([unknown.status, unknown.json.error_code]).toEqual([404, 'APIGW.0101']);
    expect(cloud.calls.at(-1)?.api).toBe('ces:unknown');
  });

  test('is APIG-signed: a wrong secret key is 401 APIGW.0301', async () => {
    const res = await apigFetch(cloud.endpoints.ces, { method: 'POST', path: `/V1.0/${cloud.projectId}/metric-data`, body: [datum()], sk: 'wrong' });
    expect([res.status, res.json.error_code]).toEqual([401, 'APIGW.0301']);
    expect(cloud.metrics).toHaveLength(0);
  });

  test('takes injected faults like the other services', async () => {
    cloud.inject({ service: 'ces', api: 'ces:metricData:create', kind: 'status', status: 503 });
    expect((await send([datum()])).status).toBe(503);
    expect((await send([datum()])).status).toBe(201);
    expect(cloud.metrics).toHaveLength(1);
  });
});
