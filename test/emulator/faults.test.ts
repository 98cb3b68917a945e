/** Fault injection and listener lifecycle of the local cloud, observed from real HTTP clients. */
import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { LocalCloud } from '../../lib/emulator/index.js';
import { apigFetch, obsClient, PERMANENT, startCloud } from './helpers.js';

let cloud: LocalCloud;
let serviceId: string;

beforeEach(async () => {
  cloud = await startCloud();
  serviceId = cloud.addService().id;
  cloud.addConnections(serviceId, 30);
});
afterEach(() => cloud.stop());

function listConnections(query: Record<string, string> = {}, signal?: AbortSignal) {
  const path = `/v1/${cloud.projectId}/vpc-endpoint-services/${serviceId}/connections`;
  if (signal === undefined) return apigFetch(cloud.endpoints.vpcep, { method: 'GET', path, query });
  return Promise.race([
    apigFetch(cloud.endpoints.vpcep, { method: 'GET', path, query }),
    new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
  ]);
}

describe('status faults', () => {
  test('answer with the gateway throttling error and Retry-After, `times` times, then normally', async () => {
    cloud.inject({ service: 'vpcep', api: 'vpcep:connections:list', kind: 'status', status: 429, retryAfter: 3, times: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await listConnections();
      expect(res.status).toBe(429);
      expect(res.json).toMatchObject({ error_code: 'APIGW.0308' });
      expect(res.headers.get('retry-after')).toBe('3');
    }
    expect((await listConnections()).status).toBe(200);
    expect(cloud.calls.map((c) => c.status)).toEqual([429, 429, 200]);
  });

  test('`skip` lets requests through first, `match` and `api` narrow what is hit, and a custom body is sent as is', async () => {
    cloud.inject({
      service: 'vpcep',
      api: 'vpcep:connections:list',
      match: (req) => req.query.offset === '10',
      skip: 1,
      kind: 'status',
      status: 500,
      body: { error_code: 'EndPoint.0001', error_msg: 'System error.' },
    });
    expect((await listConnections({ offset: '0' })).status).toBe(200);
    expect((await listConnections({ offset: '10' })).status).toBe(200); // skipped
    const hit = await listConnections({ offset: '10' });
    expect([hit.status, hit.json]).toEqual([500, { error_code: 'EndPoint.0001', error_msg: 'System error.' }]);
    expect((await listConnections({ offset: '10' })).status).toBe(200); // times defaults to 1
  });

  test('Infinity keeps failing until cleared', async () => {
    cloud.inject({ service: 'vpcep', kind: 'status', status: 503, times: Infinity });
    for (let i = 0; i < 3; i++) expect((await listConnections()).status).toBe(503);
    cloud.clearFaults();
    expect((await listConnections()).status).toBe(200);
  });

  test('only hit their own service', async () => {
    cloud.inject({ service: 'smn', kind: 'status', status: 500 });
    expect((await listConnections()).status).toBe(200);
  });

  test('reach the OBS SDK as a resolved result with an S3 error code', async () => {
    cloud.createBucket('state');
    cloud.inject({ service: 'obs', api: 'obs:object:GetObject', kind: 'status', status: 503 });
    const obs = await obsClient(cloud.endpoints.obs, PERMANENT);
    const res = await obs.getObject({ Bucket: 'state', Key: 'k' });
    obs.close();
    expect([res.CommonMsg.Status, res.CommonMsg.Code]).toEqual([503, 'SlowDown']);
  });

  test('`match` sees the body as received, so one SMN publish can be refused by what it carries', async () => {
    const topicUrn = cloud.createTopic('alerts');
    const publish = (text: string) =>
      apigFetch(cloud.endpoints.smn, { method: 'POST', path: `/v2/${cloud.projectId}/notifications/topics/${topicUrn}/publish`, body: { subject: 's', message_structure: JSON.stringify({ default: text }) } });
    const refusal = { request_id: 'r-1', code: 'SMN.0021', message: 'MessageStructure is invalid.' };
    cloud.inject({ service: 'smn', api: 'smn:topic:publish', match: (req) => req.body.includes('conn-2'), kind: 'status', status: 400, body: refusal, times: Infinity });
    expect((await publish('{"connectionId":"conn-1"}')).status).toBe(200);
    const refused = await publish('{"connectionId":"conn-2"}');
    expect([refused.status, refused.json]).toEqual([400, refusal]);
    expect((await publish('{"connectionId":"conn-3"}')).status).toBe(200);
    expect(cloud.published.map((m) => m.messageStructure!.default)).toEqual(['{"connectionId":"conn-1"}', '{"connectionId":"conn-3"}']);
  });
});

describe('what the calls record', () => {
  test('bodyBytes is the body as it came over the wire: escapes and multi-byte characters count', async () => {
    const topicUrn = cloud.createTopic('alerts');
    const structure = JSON.stringify({ default: 'say "hi" — 你好' });
    const body = { message_structure: structure };
    await apigFetch(cloud.endpoints.smn, { method: 'POST', path: `/v2/${cloud.projectId}/notifications/topics/${topicUrn}/publish`, body });
    expect(cloud.calls.at(-1)).toMatchObject({ api: 'smn:topic:publish', status: 200, bodyBytes: Buffer.byteLength(JSON.stringify(body)) });
    expect(Buffer.byteLength(JSON.stringify(body))).toBeGreaterThan(structure.length + 30);
    await listConnections();
    expect(cloud.calls.at(-1)).toMatchObject({ method: 'GET', bodyBytes: 0 });
  });

  test('bodyBytes of a body refused as too large is at least what was sent past the limit', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = request(`${cloud.endpoints.vpcep}/v1/x`, { method: 'POST' }, (res) => {
        res.resume();
        resolve();
      });
      req.on('error', reject);
      req.end(Buffer.alloc(2 * 1024 * 1024 + 10));
    });
    expect(cloud.calls.at(-1)).toMatchObject({ status: 413, bodyBytes: 2 * 1024 * 1024 + 10 });
  });
});

describe('transport faults', () => {
  test('hang never answers; the client gives up and the call stays at status 0', async () => {
    cloud.inject({ service: 'vpcep', kind: 'hang' });
    await expect(listConnections({}, AbortSignal.timeout(200))).rejects.toThrow();
    expect(cloud.calls[0]?.status).toBe(0);
  });

  test('truncate sends the headers and half the body, then cuts the connection', async () => {
    cloud.inject({ service: 'vpcep', kind: 'truncate' });
    // Unsigned, so the real answer is the gateway's 401 body.
    const res = await fetch(`${cloud.endpoints.vpcep}/v1/${cloud.projectId}/vpc-endpoint-services`);
    expect(res.status).toBe(401);
    await expect(res.text()).rejects.toThrow();
    expect(cloud.calls[0]?.status).toBe(401);
  });

  test('reset destroys the socket without a response', async () => {
    cloud.inject({ service: 'vpcep', kind: 'reset' });
    await expect(listConnections()).rejects.toThrow();
    expect((await listConnections()).status).toBe(200);
  });

  test('reset reaches the OBS SDK as a rejection', async () => {
    cloud.createBucket('state');
    cloud.inject({ service: 'obs', kind: 'reset' });
    const obs = await obsClient(cloud.endpoints.obs, PERMANENT);
    await expect(obs.getObject({ Bucket: 'state', Key: 'k' })).rejects.toBeDefined();
    obs.close();
  });

  test('malformed answers 200 with the raw body', async () => {
    cloud.inject({ service: 'vpcep', kind: 'malformed', body: '{"connections": [' });
    const res = await listConnections();
    expect([res.status, res.text]).toEqual([200, '{"connections": [']);
  });

  test('delay answers normally after the given time', async () => {
    cloud.inject({ service: 'vpcep', kind: 'delay', ms: 150 });
    const started = Date.now();
    const res = await listConnections();
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  test('mutate changes the world between pages', async () => {
    cloud.inject({
      service: 'vpcep',
      api: 'vpcep:connections:list',
      skip: 1,
      kind: 'mutate',
      run: (c) => {
        c.addConnections(serviceId, 5);
      },
    });
    const first = await listConnections({ limit: '10' });
    const second = await listConnections({ limit: '10', offset: '10' });
    expect([first.json.total_count, second.json.total_count]).toEqual([30, 35]);
  });
});

describe('listener lifecycle', () => {
  test('stop() ends hung requests and idle keep-alive sockets promptly', async () => {
    cloud.inject({ service: 'smn', kind: 'hang' });
    cloud.inject({ service: 'vpcep', kind: 'hang' });
    const hung = [
      fetch(`${cloud.endpoints.smn}/anything`).catch((err: unknown) => err),
      fetch(`${cloud.endpoints.vpcep}/anything`).catch((err: unknown) => err),
    ];
    // An idle keep-alive connection left open after a completed request.
    await fetch(`${cloud.endpoints.obs}/`).then((r) => r.text());
    while (cloud.calls.length < 3) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    await cloud.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    for (const outcome of await Promise.all(hung)) expect(outcome).toBeInstanceOf(Error);
  });

  test('a body over 2 MiB is refused with 413 before anything else', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${cloud.endpoints.vpcep}/v1/x`, { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(Buffer.alloc(2 * 1024 * 1024 + 1));
    });
    expect(status).toBe(413);
  });

  test('a fixed base port puts vpcep, smn, obs, ces and cts on five consecutive ports', async () => {
    await cloud.stop();
    const probe = await startCloud();
    const base = Number(new URL(probe.endpoints.vpcep).port);
    await probe.stop();
    cloud = await startCloud({ port: base });
    expect(cloud.endpoints).toEqual({
      vpcep: `http://127.0.0.1:${base}`,
      smn: `http://127.0.0.1:${base + 1}`,
      obs: `http://127.0.0.1:${base + 2}`,
      obsHost: `http://obs.localhost:${base + 2}`,
      ces: `http://127.0.0.1:${base + 3}`,
      cts: `http://127.0.0.1:${base + 4}`,
    });
  });

  test('resetCalls forgets what was recorded', async () => {
    await listConnections();
    expect(cloud.calls).toHaveLength(1);
    cloud.resetCalls();
    expect(cloud.calls).toHaveLength(0);
  });
});
