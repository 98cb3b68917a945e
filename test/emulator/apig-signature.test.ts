/** The gateway's SDK-HMAC-SHA256 check: what it accepts from the SDK signer and every way it refuses. */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { LocalCloud } from '../../lib/emulator/index.js';
import { apigFetch, PERMANENT, startCloud, TEMPORARY } from './helpers.js';

const AUTH_FAILED = {
  error_code: 'APIGW.0301',
  error_msg: 'Incorrect IAM authentication information: verify aksk signature fail',
};

let cloud: LocalCloud;
let servicesPath: string;

beforeEach(async () => {
  cloud = await startCloud();
  servicesPath = `/v1/${cloud.projectId}/vpc-endpoint-services`;
  cloud.addService({ name: 'alpha' });
});
afterEach(() => cloud.stop());

function lastAuthFailure(): string | undefined {
  return cloud.calls.at(-1)?.authFailure;
}

describe('APIG SDK-HMAC-SHA256 verification', () => {
  test('accepts a request signed by the SDK core signer, query values with reserved characters included', async () => {
    const res = await apigFetch(cloud.endpoints.vpcep, {
      method: 'GET',
      path: servicesPath,
      query: { endpoint_service_name: "al pha!*'()~", limit: '5' },
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ endpoint_services: [], total_count: 0 });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(cloud.calls.at(-1)).toMatchObject({ api: 'vpcep:epservices:list', status: 200, query: { limit: '5' } });
  });

  test('rejects a wrong secret key with 401 APIGW.0301 and echoes no secret', async () => {
    const res = await apigFetch(cloud.endpoints.vpcep, { method: 'GET', path: servicesPath, sk: 'not-the-secret' });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject(AUTH_FAILED);
    expect(res.json.request_id).toBe(res.headers.get('x-request-id'));
    const signature = /Signature=([0-9a-f]+)/.exec(cloud.calls.at(-1)?.headers.authorization ?? '')?.[1] ?? 'missing';
    expect(res.text).not.toContain(signature);
    expect(res.text).not.toContain(PERMANENT.sk);
    expect(lastAuthFailure()).toBe('signature mismatch');
  });

  test('rejects an unknown access key', async () => {
    const res = await apigFetch(cloud.endpoints.vpcep, { method: 'GET', path: servicesPath, ak: 'AKUNKNOWN', sk: 'x' });
    expect(res.status).toBe(401);
    expect(lastAuthFailure()).toBe('unknown access key');
  });

  test('rejects a request without Authorization', async () => {
    const res = await fetch(cloud.endpoints.vpcep + servicesPath);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject(AUTH_FAILED);
  });

  test.each([
    ['query', { sentQuery: 'limit=6' }],
    ['path', { sentPath: `/v1/${'0'.repeat(32)}/vpc-endpoint-services` }],
  ])('rejects a request whose %s changed after signing', async (_what, change) => {
    const res = await apigFetch(cloud.endpoints.vpcep, { method: 'GET', path: servicesPath, query: { limit: '5' }, ...change });
    expect(res.status).toBe(401);
  });

  test('rejects a body changed after signing', async () => {
    const svc = cloud.addService();
    const [conn] = cloud.addConnections(svc.id, 1, { status: 'pendingAcceptance' });
    const res = await apigFetch(cloud.endpoints.vpcep, {
      method: 'POST',
      path: `${servicesPath}/${svc.id}/connections/action`,
      body: { action: 'receive', endpoints: [conn?.id] },
      sentBody: JSON.stringify({ action: 'reject', endpoints: [conn?.id] }),
    });
    expect(res.status).toBe(401);
    expect(cloud.listConnections(svc.id)[0]?.status).toBe('pendingAcceptance');
  });

  test('lets a signed X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD skip body hashing, but not an unsigned one', async () => {
    const svc = cloud.addService();
    const conn = cloud.addConnection(svc.id, { status: 'pendingAcceptance' });
    const path = `${servicesPath}/${svc.id}/connections/action`;
    const sentBody = JSON.stringify({ action: 'receive', endpoints: [conn.id] });
    const unsigned = await apigFetch(cloud.endpoints.vpcep, {
      method: 'POST',
      path,
      sentBody,
      mutate: (h) => {
        h['X-Sdk-Content-Sha256'] = 'UNSIGNED-PAYLOAD';
      },
    });
    expect(unsigned.status).toBe(401);
    const signed = await apigFetch(cloud.endpoints.vpcep, { method: 'POST', path, sentBody, headers: { 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' } });
    expect(signed.status).toBe(200);
  });

  test('requires x-sdk-date among the signed headers, and nothing else (host may go unsigned)', async () => {
    const resign = (from: string, to: string) => (h: Record<string, string>): void => {
      h.Authorization = (h.Authorization ?? '').replace(`SignedHeaders=${from}`, `SignedHeaders=${to}`);
    };
    // Dropping a name from the list changes the canonical request, so this one fails on the signature...
    expect((await apigFetch(cloud.endpoints.vpcep, { method: 'GET', path: servicesPath, mutate: resign('content-type;host;x-sdk-date', 'content-type;host') })).status).toBe(401);
    // ...but for the stated reason, checked before any hashing.
    expect(lastAuthFailure()).toBe('x-sdk-date is not signed');
    expect((await apigFetch(cloud.endpoints.vpcep, { method: 'GET', path: servicesPath, mutate: resign('content-type;host;x-sdk-date', 'content-type;x-sdk-date') })).status).toBe(401);
    expect(lastAuthFailure()).toBe('signature mismatch');
  });

  test('rejects an X-Sdk-Date in the wrong format or more than 15 minutes off', async () => {
    const res = await apigFetch(cloud.endpoints.vpcep, {
      method: 'GET',
      path: servicesPath,
      mutate: (h) => {
        h['X-Sdk-Date'] = '2024-01-01T00:00:00Z';
      },
    });
    expect(res.status).toBe(401);
    expect(lastAuthFailure()).toBe('X-Sdk-Date is not YYYYMMDDTHHMMSSZ');

    await cloud.stop();
    cloud = await startCloud({ clock: () => new Date(Date.now() + 16 * 60_000) });
    const skewed = await apigFetch(cloud.endpoints.vpcep, { method: 'GET', path: `/v1/${cloud.projectId}/vpc-endpoint-services` });
    expect(skewed.status).toBe(401);
    expect(lastAuthFailure()).toBe('X-Sdk-Date is more than 15 minutes from server time');
  });

  test('accepts an X-Sdk-Date within 15 minutes of the server clock', async () => {
    await cloud.stop();
    cloud = await startCloud({ clock: () => new Date(Date.now() - 14 * 60_000) });
    const res = await apigFetch(cloud.endpoints.vpcep, { method: 'GET', path: `/v1/${cloud.projectId}/vpc-endpoint-services` });
    expect(res.status).toBe(200);
  });
});

describe('temporary credentials', () => {
  const asTemporary = { ak: TEMPORARY.ak, sk: TEMPORARY.sk };

  test('are accepted with their token signed', async () => {
    const res = await apigFetch(cloud.endpoints.vpcep, {
      method: 'GET',
      path: servicesPath,
      ...asTemporary,
      headers: { 'X-Security-Token': TEMPORARY.securityToken },
    });
    expect(res.status).toBe(200);
  });

  test('are rejected without the token', async () => {
    const res = await apigFetch(cloud.endpoints.vpcep, { method: 'GET', path: servicesPath, ...asTemporary });
    expect(res.status).toBe(401);
    expect(res.text).not.toContain(TEMPORARY.securityToken);
    expect(lastAuthFailure()).toBe('X-Security-Token is missing for a temporary access key');
  });

  test('are rejected with a different token', async () => {
    const res = await apigFetch(cloud.endpoints.vpcep, {
      method: 'GET',
      path: servicesPath,
      ...asTemporary,
      headers: { 'X-Security-Token': 'some-other-token' },
    });
    expect(res.status).toBe(401);
  });

  test('are accepted with the token sent but not signed, as golangsdk sends it', async () => {
    const res = await apigFetch(cloud.endpoints.vpcep, {
      method: 'GET',
      path: servicesPath,
      ...asTemporary,
      mutate: (h) => {
        h['X-Security-Token'] = TEMPORARY.securityToken;
      },
    });
    expect(res.status).toBe(200);
    expect(lastAuthFailure()).toBeUndefined();
  });

  test('are rejected with a different token sent unsigned, and the reason says which', async () => {
    const res = await apigFetch(cloud.endpoints.vpcep, {
      method: 'GET',
      path: servicesPath,
      ...asTemporary,
      mutate: (h) => {
        h['X-Security-Token'] = 'some-other-token';
      },
    });
    expect(res.status).toBe(401);
    expect(lastAuthFailure()).toBe('X-Security-Token does not belong to this temporary access key');
  });
});

test('an unknown route is 404 APIGW.0101, before authentication', async () => {
  const res = await fetch(`${cloud.endpoints.vpcep}/v1/${cloud.projectId}/vpc-endpoints`);
  expect(res.status).toBe(404);
  expect(await res.json()).toMatchObject({ error_code: 'APIGW.0101' });
  expect(res.headers.get('x-request-id')).toBeTruthy();
  expect(cloud.calls.at(-1)?.api).toBe('vpcep:unknown');
});
