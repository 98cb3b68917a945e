/** Local OBS through the real esdk-obs-nodejs client and by hand-signed requests. */
import { createHash, createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { LocalCloud } from '../../lib/emulator/index.js';
import { localhostAgent, obsClient, type ObsClientLike, PERMANENT, startCloud, TEMPORARY } from './helpers.js';

const BUCKET = 'monitor-state';
let cloud: LocalCloud;
let obs: ObsClientLike;

beforeEach(async () => {
  cloud = await startCloud();
  cloud.createBucket(BUCKET);
  obs = await obsClient(cloud.endpoints.obs, PERMANENT);
});
afterEach(async () => {
  obs.close();
  await cloud.stop();
});

const md5Etag = (body: string): string => `"${createHash('md5').update(body).digest('hex')}"`;

describe('with esdk-obs-nodejs', () => {
  test('put, get, head and delete round trip', async () => {
    const body = JSON.stringify({ version: 1, connections: {} });
    const put = await obs.putObject({ Bucket: BUCKET, Key: 'state/snapshot.json', Body: body });
    expect(put.CommonMsg.Status).toBe(200);
    expect(put.InterfaceResult.ETag).toBe(md5Etag(body));
    expect(put.InterfaceResult.VersionId).toMatch(/^[0-9A-F]{32}$/);
    expect(put.InterfaceResult.RequestId).toMatch(/^[0-9A-F]{32}$/);
    expect(cloud.getObject(BUCKET, 'state/snapshot.json')?.toString()).toBe(body);
    expect(cloud.calls.at(-1)).toMatchObject({ api: 'obs:object:PutObject', status: 200, path: `/${BUCKET}/state/snapshot.json` });

    const get = await obs.getObject({ Bucket: BUCKET, Key: 'state/snapshot.json' });
    expect(get.CommonMsg.Status).toBe(200);
    expect(get.InterfaceResult.Content).toBe(body);
    expect(get.InterfaceResult.ETag).toBe(md5Etag(body));
    expect(get.InterfaceResult.VersionId).toBe(put.InterfaceResult.VersionId);

    const head = await obs.getObjectMetadata({ Bucket: BUCKET, Key: 'state/snapshot.json' });
    expect(head.CommonMsg.Status).toBe(200);
    expect(head.InterfaceResult.ContentLength).toBe(String(Buffer.byteLength(body)));
    expect(head.InterfaceResult.ETag).toBe(md5Etag(body));

    const del = await obs.deleteObject({ Bucket: BUCKET, Key: 'state/snapshot.json' });
    expect(del.CommonMsg.Status).toBe(204);
    const gone = await obs.getObject({ Bucket: BUCKET, Key: 'state/snapshot.json' });
    expect([gone.CommonMsg.Status, gone.CommonMsg.Code]).toEqual([404, 'NoSuchKey']);
    expect((await obs.getObjectMetadata({ Bucket: BUCKET, Key: 'state/snapshot.json' })).CommonMsg.Status).toBe(404);
    expect(cloud.calls.map((c) => c.api)).toEqual([
      'obs:object:PutObject', 'obs:object:GetObject', 'obs:object:GetObject', 'obs:object:DeleteObject', 'obs:object:GetObject', 'obs:object:GetObject',
    ]);
  });

  test('keeps every version a key receives, readable by VersionId (a signed sub-resource)', async () => {
    const first = await obs.putObject({ Bucket: BUCKET, Key: 'k', Body: 'one' });
    await obs.putObject({ Bucket: BUCKET, Key: 'k', Body: 'two' });
    expect(cloud.objectWrites(BUCKET, 'k')).toBe(2);
    expect(cloud.getObject(BUCKET, 'k')?.toString()).toBe('two');
    const old = await obs.getObject({ Bucket: BUCKET, Key: 'k', VersionId: first.InterfaceResult.VersionId });
    expect([old.CommonMsg.Status, old.InterfaceResult.Content]).toEqual([200, 'one']);
    const unknown = await obs.getObject({ Bucket: BUCKET, Key: 'k', VersionId: 'NOSUCHVERSION' });
    expect([unknown.CommonMsg.Status, unknown.CommonMsg.Code]).toEqual([404, 'NoSuchVersion']);
  });

  test('a missing key is 404 NoSuchKey; an unknown bucket is 404 NoSuchBucket', async () => {
    const missing = await obs.getObject({ Bucket: BUCKET, Key: 'nope' });
    expect([missing.CommonMsg.Status, missing.CommonMsg.Code]).toEqual([404, 'NoSuchKey']);
    expect(missing.CommonMsg.RequestId).toMatch(/^[0-9A-F]{32}$/);
    const noBucket = await obs.putObject({ Bucket: 'no-such-bucket', Key: 'k', Body: 'x' });
    expect([noBucket.CommonMsg.Status, noBucket.CommonMsg.Code]).toEqual([404, 'NoSuchBucket']);
  });

  test('lists by prefix in key order, paging with MaxKeys and Marker', async () => {
    for (const key of ['runs/3', 'runs/1', 'other/x', 'runs/2', 'runs/10', 'runz']) cloud.putObject(BUCKET, key, key);
    const first = await obs.listObjects({ Bucket: BUCKET, Prefix: 'runs/', MaxKeys: 2 });
    expect(first.CommonMsg.Status).toBe(200);
    expect(first.InterfaceResult.Contents?.map((c) => c.Key)).toEqual(['runs/1', 'runs/10']);
    expect(first.InterfaceResult.IsTruncated).toBe('true');
    expect(first.InterfaceResult.NextMarker).toBe('runs/10');
    expect(first.InterfaceResult.Contents?.[0]).toMatchObject({ ETag: md5Etag('runs/1'), Size: '6' });
    expect(first.InterfaceResult.Contents?.[0]?.LastModified).toMatch(/^\d{4}-\d\d-\d\dT/);

    const second = await obs.listObjects({ Bucket: BUCKET, Prefix: 'runs/', MaxKeys: 2, Marker: first.InterfaceResult.NextMarker });
    expect(second.InterfaceResult.Contents?.map((c) => c.Key)).toEqual(['runs/2', 'runs/3']);
    expect(second.InterfaceResult.IsTruncated).toBe('false');

    const all = await obs.listObjects({ Bucket: BUCKET });
    expect(all.InterfaceResult.Contents?.map((c) => c.Key)).toEqual(['other/x', 'runs/1', 'runs/10', 'runs/2', 'runs/3', 'runz']);
    expect(cloud.objectKeys(BUCKET, 'runs/')).toEqual(['runs/1', 'runs/10', 'runs/2', 'runs/3']);
  });

  test('caps MaxKeys at 1000', async () => {
    for (let i = 0; i < 1001; i++) cloud.putObject(BUCKET, `k${String(i).padStart(4, '0')}`, 'x');
    const list = await obs.listObjects({ Bucket: BUCKET, MaxKeys: 5000 });
    expect(list.InterfaceResult.Contents).toHaveLength(1000);
    expect(list.InterfaceResult.IsTruncated).toBe('true');
  });

  test('honours If-None-Match (304) and If-Match (412) on GET', async () => {
    const put = await obs.putObject({ Bucket: BUCKET, Key: 'k', Body: 'v1' });
    const bare = (put.InterfaceResult.ETag ?? '').replaceAll('"', '');
    expect((await obs.getObject({ Bucket: BUCKET, Key: 'k', IfNoneMatch: bare })).CommonMsg.Status).toBe(304);
    expect((await obs.getObject({ Bucket: BUCKET, Key: 'k', IfNoneMatch: 'other' })).CommonMsg.Status).toBe(200);
    expect((await obs.getObject({ Bucket: BUCKET, Key: 'k', IfMatch: bare })).CommonMsg.Status).toBe(200);
    const stale = await obs.getObject({ Bucket: BUCKET, Key: 'k', IfMatch: 'other' });
    expect([stale.CommonMsg.Status, stale.CommonMsg.Code]).toEqual([412, 'PreconditionFailed']);
    // The SDK percent-encodes header values, so a quoted ETag never matches: strip the quotes.
    expect((await obs.getObject({ Bucket: BUCKET, Key: 'k', IfNoneMatch: put.InterfaceResult.ETag })).CommonMsg.Status).toBe(200);
  });

  test('a wrong secret key resolves with 403 SignatureDoesNotMatch', async () => {
    const bad = await obsClient(cloud.endpoints.obs, { ak: PERMANENT.ak, sk: 'wrong' });
    const res = await bad.putObject({ Bucket: BUCKET, Key: 'k', Body: 'x' });
    bad.close();
    expect([res.CommonMsg.Status, res.CommonMsg.Code]).toEqual([403, 'SignatureDoesNotMatch']);
    expect(cloud.objectWrites(BUCKET, 'k')).toBe(0);
  });

  test('an unknown access key resolves with 403 InvalidAccessKeyId', async () => {
    const bad = await obsClient(cloud.endpoints.obs, { ak: 'AKUNKNOWN', sk: 'x' });
    const res = await bad.getObject({ Bucket: BUCKET, Key: 'k' });
    bad.close();
    expect([res.CommonMsg.Status, res.CommonMsg.Code]).toEqual([403, 'InvalidAccessKeyId']);
  });

  test('temporary credentials need their security token', async () => {
    const withToken = await obsClient(cloud.endpoints.obs, TEMPORARY);
    expect((await withToken.putObject({ Bucket: BUCKET, Key: 'k', Body: 'x' })).CommonMsg.Status).toBe(200);
    expect(cloud.calls.at(-1)?.headers['x-amz-security-token']).toBe(TEMPORARY.securityToken);
    withToken.close();

    const withoutToken = await obsClient(cloud.endpoints.obs, { ak: TEMPORARY.ak, sk: TEMPORARY.sk });
    const res = await withoutToken.putObject({ Bucket: BUCKET, Key: 'k', Body: 'y' });
    withoutToken.close();
    expect([res.CommonMsg.Status, res.CommonMsg.Code]).toEqual([403, 'InvalidToken']);
    expect(cloud.getObject(BUCKET, 'k')?.toString()).toBe('x');
  });

  test('a request dated more than 15 minutes from the server clock is refused', async () => {
    await cloud.stop();
    cloud = await startCloud({ clock: () => new Date(Date.now() + 20 * 60_000) });
    cloud.createBucket(BUCKET);
    const client = await obsClient(cloud.endpoints.obs, PERMANENT);
    const res = await client.getObject({ Bucket: BUCKET, Key: 'k' });
    client.close();
    expect([res.CommonMsg.Status, res.CommonMsg.Code]).toEqual([403, 'RequestTimeTooSkewed']);
  });
});

describe('in the production dialect: a host name endpoint, virtual-hosted buckets, OBS signing', () => {
  /** The options the product's ObsStore passes. */
  const production = () => ({ signature: 'obs', is_signature_negotiation: false, http_agent: localhostAgent() });

  test('the SDK puts the bucket in the Host and signs `OBS ak:sig` over /bucket/key; every operation round-trips', async () => {
    const client = await obsClient(cloud.endpoints.obsHost, PERMANENT, production());
    const body = JSON.stringify({ version: 2 });
    const put = await client.putObject({ Bucket: BUCKET, Key: 'state/snap shot.json', Body: body });
    expect(put.CommonMsg.Status).toBe(200);
    expect(put.InterfaceResult.RequestId).toMatch(/^[0-9A-F]{32}$/); // read from x-obs-request-id
    expect(cloud.getObject(BUCKET, 'state/snap shot.json')?.toString()).toBe(body);
    const get = await client.getObject({ Bucket: BUCKET, Key: 'state/snap shot.json' });
    expect([get.CommonMsg.Status, get.InterfaceResult.Content, get.InterfaceResult.ETag]).toEqual([200, body, md5Etag(body)]);
    expect((await client.getObjectMetadata({ Bucket: BUCKET, Key: 'state/snap shot.json' })).InterfaceResult.ETag).toBe(md5Etag(body));
    const list = await client.listObjects({ Bucket: BUCKET, Prefix: 'state/' });
    expect(list.InterfaceResult.Contents?.map((c) => c.Key)).toEqual(['state/snap shot.json']);
    expect((await client.deleteObject({ Bucket: BUCKET, Key: 'state/snap shot.json' })).CommonMsg.Status).toBe(204);
    const gone = await client.getObject({ Bucket: BUCKET, Key: 'state/snap shot.json' });
    expect([gone.CommonMsg.Status, gone.CommonMsg.Code]).toEqual([404, 'NoSuchKey']);
    client.close();

    expect(cloud.calls.map((c) => c.api)).toEqual([
      'obs:object:PutObject', 'obs:object:GetObject', 'obs:object:GetObject', 'obs:bucket:ListBucket', 'obs:object:DeleteObject', 'obs:object:GetObject',
    ]);
    for (const call of cloud.calls) {
      expect(call.headers.host).toBe(`${BUCKET}.obs.localhost`);
      expect(call.headers.authorization).toMatch(new RegExp(`^OBS ${PERMANENT.ak}:`));
      expect(call.path).not.toContain(BUCKET);
      expect(call.status).not.toBe(403);
    }
    expect(cloud.calls[0]?.path).toBe('/state/snap%20shot.json');
  });

  test('a wrong secret key is 403 SignatureDoesNotMatch; temporary keys need x-obs-security-token', async () => {
    const wrong = await obsClient(cloud.endpoints.obsHost, { ak: PERMANENT.ak, sk: 'wrong' }, production());
    const refused = await wrong.putObject({ Bucket: BUCKET, Key: 'k', Body: 'x' });
    wrong.close();
    expect([refused.CommonMsg.Status, refused.CommonMsg.Code]).toEqual([403, 'SignatureDoesNotMatch']);
    expect(cloud.objectWrites(BUCKET, 'k')).toBe(0);

    const temporary = await obsClient(cloud.endpoints.obsHost, TEMPORARY, production());
    expect((await temporary.putObject({ Bucket: BUCKET, Key: 'k', Body: 'x' })).CommonMsg.Status).toBe(200);
    temporary.close();
    expect(cloud.calls.at(-1)?.headers['x-obs-security-token']).toBe(TEMPORARY.securityToken);
  });

  test('an unknown bucket in the Host is 404 NoSuchBucket', async () => {
    const client = await obsClient(cloud.endpoints.obsHost, PERMANENT, production());
    const res = await client.getObject({ Bucket: 'no-such-bucket', Key: 'k' });
    client.close();
    expect([res.CommonMsg.Status, res.CommonMsg.Code]).toEqual([404, 'NoSuchBucket']);
    expect(cloud.calls.at(-1)?.headers.host).toBe('no-such-bucket.obs.localhost');
  });

  /** A GET of `path` sent to the local OBS with the given Host, signed by hand over `resource`. */
  function signedGet(host: string, path: string, resource: string): Promise<number> {
    const date = new Date().toUTCString();
    const signature = createHmac('sha1', PERMANENT.sk).update(`GET\n\n\n${date}\n${resource}`).digest('base64');
    const port = Number(new URL(cloud.endpoints.obs).port);
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        { host: '127.0.0.1', port, path, headers: { Host: host, Date: date, Authorization: `OBS ${PERMANENT.ak}:${signature}` } },
        (incoming) => {
          incoming.resume();
          resolve(incoming.statusCode ?? 0);
        },
      );
      outgoing.on('error', reject);
      outgoing.end();
    });
  }

  test('the signed resource is /bucket/key even though the path is /key', async () => {
    cloud.putObject(BUCKET, 'k', 'value');
    expect(await signedGet(`${BUCKET}.obs.localhost`, '/k', `/${BUCKET}/k`)).toBe(200);
    expect(await signedGet(`${BUCKET}.obs.localhost`, '/k', '/k')).toBe(403);
    expect(cloud.calls.at(-1)?.authFailure).toBe('signature mismatch');
    // The port in a Host header does not change the bucket; the bare endpoint host is path style.
    expect(await signedGet(`${BUCKET}.obs.localhost:443`, '/k', `/${BUCKET}/k`)).toBe(200);
    expect(await signedGet('obs.localhost', `/${BUCKET}/k`, `/${BUCKET}/k`)).toBe(200);
  });
});

describe('raw requests', () => {
  /** OBS's own dialect, signed here by hand: `OBS ak:sig` over x-obs-* headers. */
  function obsDialectHeaders(method: string, resource: string, extra: Record<string, string>, sk: string, ak: string) {
    const date = new Date().toUTCString();
    const obsHeaders = Object.entries(extra)
      .map(([k, v]) => [k.toLowerCase(), v] as const)
      .filter(([k]) => k.startsWith('x-obs-'))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}:${v}\n`)
      .join('');
    const stringToSign = `${method}\n\n\n${date}\n${obsHeaders}${resource}`;
    const signature = createHmac('sha1', sk).update(stringToSign).digest('base64');
    return { ...extra, Date: date, Authorization: `OBS ${ak}:${signature}` };
  }

  test('the OBS dialect is accepted, with x-obs-security-token for temporary keys and x-obs-* response headers', async () => {
    cloud.putObject(BUCKET, 'k', 'value');
    const headers = obsDialectHeaders('GET', `/${BUCKET}/k`, { 'x-obs-security-token': TEMPORARY.securityToken }, TEMPORARY.sk, TEMPORARY.ak);
    const res = await fetch(`${cloud.endpoints.obs}/${BUCKET}/k`, { headers });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('value');
    expect(res.headers.get('x-obs-request-id')).toBeTruthy();
    expect(res.headers.get('x-obs-version-id')).toBeTruthy();

    const noToken = obsDialectHeaders('GET', `/${BUCKET}/k`, {}, TEMPORARY.sk, TEMPORARY.ak);
    expect((await fetch(`${cloud.endpoints.obs}/${BUCKET}/k`, { headers: noToken })).status).toBe(403);
  });

  test('anonymous requests are denied with S3-style XML', async () => {
    const res = await fetch(`${cloud.endpoints.obs}/${BUCKET}/k`);
    expect(res.status).toBe(403);
    const xml = await res.text();
    expect(xml).toMatch(/<Error><Code>AccessDenied<\/Code><Message>[^<]+<\/Message><RequestId>[0-9A-F]{32}<\/RequestId>/);
    expect(res.headers.get('x-amz-request-id')).toBeTruthy();
  });

  test('sub-resources the emulator does not implement are 501 NotImplemented', async () => {
    const headers = obsDialectHeaders('GET', `/${BUCKET}?acl`, {}, PERMANENT.sk, PERMANENT.ak);
    const res = await fetch(`${cloud.endpoints.obs}/${BUCKET}?acl`, { headers });
    expect(res.status).toBe(501);
    expect(cloud.calls.at(-1)?.api).toBe('obs:unknown');
  });
});
