/**
 * Local OBS and S3's V4 signature (`AWS4-HMAC-SHA256`), signed here the way the official Go OBS SDK
 * signs it (huaweicloud-sdk-go-obs `obs/auth.go` and `conf.go`, signature "v4"): every header sent
 * is signed, Host and Date included; the time is the RFC 1123 Date (or x-amz-date); the payload hash
 * is x-amz-content-sha256, which that SDK sets to the empty body's hash on every request; the
 * canonical URI is the path as sent (`/key` for a virtual-hosted bucket); query pairs sorted, each
 * with `=`. The signer follows the published algorithm and shares nothing with the emulator's
 * verifier. Also: ListObjects names each object's `<Owner>`.
 */
import { createHash, createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LocalCloud } from '../../lib/emulator/index.js';
import { localhostAgent, obsClient, PERMANENT, startCloud, TEMPORARY } from './helpers.js';

const BUCKET = 'monitor-state';
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await startCloud();
  cloud.createBucket(BUCKET);
});
afterAll(() => cloud.stop());

interface V4Request {
  method: 'GET' | 'PUT' | 'DELETE' | 'HEAD';
  /** Path as sent; the bucket in it for path style. */
  path: string;
  query?: string;
  body?: string;
  /** Virtual-hosted: the Host is `bucket.obs.localhost:port`. */
  virtualHost?: boolean;
  credential?: { ak: string; sk: string; securityToken?: string };
  region?: string;
  /** x-amz-date instead of Date. */
  amzDate?: boolean;
  /** The hash put in x-amz-content-sha256; the Go SDK's is the empty body's. */
  payloadHash?: string;
  at?: Date;
  /** Applied after signing. */
  tamper?: (request: { headers: Record<string, string>; path: string; query: string; body: string | undefined }) => void;
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

function send(req: V4Request): Promise<{ status: number; body: string }> {
  const credential = req.credential ?? PERMANENT;
  const region = req.region ?? cloud.region;
  const at = req.at ?? new Date();
  const port = new URL(cloud.endpoints.obs).port;
  const host = req.virtualHost ? `${BUCKET}.obs.localhost:${port}` : `127.0.0.1:${port}`;
  const long = at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const headers: Record<string, string> = { host, 'x-amz-content-sha256': req.payloadHash ?? EMPTY_SHA256 };
  if (req.amzDate) headers['x-amz-date'] = long;
  else headers.date = at.toUTCString();
  if (req.body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(req.body));
  }
  const token = (credential as { securityToken?: string }).securityToken;
  if (token !== undefined) headers['x-amz-security-token'] = token;
  const names = Object.keys(headers).sort();
  const query = req.query ?? '';
  const canonical = [
    req.method,
    req.path,
    query === '' ? '' : query.split('&').sort().map((pair) => (pair.includes('=') ? pair : `${pair}=`)).join('&'),
    names.map((name) => `${name}:${headers[name]}\n`).join(''),
    names.join(';'),
    headers['x-amz-content-sha256'],
  ].join('\n');
  const scope = `${long.slice(0, 8)}/${region}/s3/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${long}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
  const key = hmac(hmac(hmac(hmac(`AWS4${credential.sk}`, long.slice(0, 8)), region), 's3'), 'aws4_request');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credential.ak}/${scope},SignedHeaders=${names.join(';')},Signature=${createHmac('sha256', key).update(toSign).digest('hex')}`;
  const sent = { headers, path: req.path, query, body: req.body };
  req.tamper?.(sent);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port, method: req.method, path: sent.path + (sent.query === '' ? '' : `?${sent.query}`), headers: sent.headers, agent: localhostAgent() },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
    request.end(sent.body);
  });
}

const lastFailure = () => cloud.calls.at(-1)?.authFailure;

describe('AWS4-HMAC-SHA256, as the Go OBS SDK signs it', () => {
  test('put, get, list and delete round-trip, path style and virtual-hosted, with the Go SDK\'s empty-body payload hash', async () => {
    const body = JSON.stringify({ v4: true });
    expect((await send({ method: 'PUT', path: `/${BUCKET}/v4/state.json`, body })).status).toBe(200);
    expect(cloud.getObject(BUCKET, 'v4/state.json')?.toString()).toBe(body);
    const read = await send({ method: 'GET', path: '/v4/state.json', virtualHost: true });
    expect([read.status, read.body]).toEqual([200, body]);
    const listed = await send({ method: 'GET', path: '/', virtualHost: true, query: 'prefix=v4%2F&max-keys=10' });
    expect(listed.status).toBe(200);
    expect(listed.body).toContain('<Key>v4/state.json</Key>');
    expect((await send({ method: 'DELETE', path: `/${BUCKET}/v4/state.json`, amzDate: true })).status).toBe(204);
    expect(cloud.calls.every((call) => call.authFailure === undefined)).toBe(true);
  });

  test('accepts temporary credentials with their token (signed, as every header the Go SDK sends)', async () => {
    expect((await send({ method: 'GET', path: `/${BUCKET}`, credential: TEMPORARY })).status).toBe(200);
    const { securityToken: _token, ...withoutToken } = TEMPORARY;
    expect((await send({ method: 'GET', path: `/${BUCKET}`, credential: withoutToken })).status).toBe(403);
    expect(lastFailure()).toBe('x-amz-security-token missing or wrong for a temporary access key');
  });

  test.each([
    ['a signed header', (r: { headers: Record<string, string> }) => { r.headers['x-amz-content-sha256'] = EMPTY_SHA256.replace(/.$/, '0'); }],
    ['the path', (r: { path: string }) => { r.path = r.path.replace('state', 'statf'); }],
    ['the query', (r: { query: string }) => { r.query = 'prefix=v5%2F'; }],
    ['the date', (r: { headers: Record<string, string> }) => { r.headers.date = new Date(Date.now() + 1000).toUTCString(); }],
  ] as const)('refuses a request with one byte of %s changed: 403 SignatureDoesNotMatch', async (_what, tamper) => {
    const res = await send({ method: 'GET', path: `/${BUCKET}/v4/state.json`, query: 'prefix=v4%2F', tamper: tamper as V4Request['tamper'] });
    expect(res.status).toBe(403);
    expect(res.body).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(lastFailure()).toBe('signature mismatch');
  });

  // Every refusal is OBS's 403 here, as for its other signatures (S3 answers a malformed scope with 400).
  test('refuses a wrong secret, another region, a scope of another day, an unsigned host and a stale date', async () => {
    expect((await send({ method: 'GET', path: `/${BUCKET}`, credential: { ak: PERMANENT.ak, sk: 'wrong' } })).body).toContain('SignatureDoesNotMatch');
    const region = await send({ method: 'GET', path: `/${BUCKET}`, region: 'eu-west-101' });
    expect([region.status, lastFailure()]).toEqual([403, `credential scope names region eu-west-101, not ${cloud.region}`]);
    expect(region.body).toContain('<Code>AuthorizationHeaderMalformed</Code>');
    const otherDay = await send({
      method: 'GET',
      path: `/${BUCKET}`,
      tamper: (r) => { r.headers.authorization = r.headers.authorization!.replace(/Credential=([^/]+)\/\d{8}/, 'Credential=$1/20200101'); },
    });
    expect([otherDay.status, lastFailure()]).toEqual([403, 'credential scope is not AK/<request day>/<region>/s3/aws4_request']);
    const noHost = await send({
      method: 'GET',
      path: `/${BUCKET}`,
      tamper: (r) => { r.headers.authorization = r.headers.authorization!.replace('SignedHeaders=date;host;', 'SignedHeaders=date;'); },
    });
    expect([noHost.status, lastFailure()]).toEqual([403, 'host is not signed']);
    const stale = await send({ method: 'GET', path: `/${BUCKET}`, at: new Date(Date.now() - 20 * 60_000) });
    expect([stale.status, lastFailure()]).toEqual([403, 'request date is more than 15 minutes from server time']);
  });
});

describe('ListObjects', () => {
  test("names each object's <Owner> by the account id, as OBS does, and esdk-obs-nodejs reads it", async () => {
    cloud.putObject(BUCKET, 'owned/a.json', '{}');
    const raw = await send({ method: 'GET', path: `/${BUCKET}`, query: 'prefix=owned%2F' });
    expect(raw.body).toMatch(/<Contents><Key>owned\/a\.json<\/Key>.*<Size>2<\/Size><Owner><ID>[0-9a-f]{32}<\/ID><\/Owner><StorageClass>STANDARD<\/StorageClass><\/Contents>/);
    const client = await obsClient(cloud.endpoints.obs, PERMANENT);
    const listed = await client.listObjects({ Bucket: BUCKET, Prefix: 'owned/' });
    client.close();
    const contents = listed.InterfaceResult.Contents as unknown as { Owner?: { ID?: string } }[];
    expect(contents[0]?.Owner?.ID).toMatch(/^[0-9a-f]{32}$/);
  });
});
