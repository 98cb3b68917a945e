/** The signed client and adapters against the local cloud, asserting on what went over the wire. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { budgetUntil, UNLIMITED } from '../../lib/huaweicloud/budget.js';
import { createServer } from 'node:http';
import { ApiError, endpointOrigin, NetworkError, ResponseShapeError, ResponseTooLargeError, TimeoutError } from '../../lib/huaweicloud/errors.js';
import { ObsStore } from '../../lib/huaweicloud/obs.js';
import type { RetryPolicy } from '../../lib/huaweicloud/retry.js';
import { SignedClient } from '../../lib/huaweicloud/signed-client.js';
import { SmnClient } from '../../lib/huaweicloud/smn.js';
import { VpcepClient } from '../../lib/huaweicloud/vpcep.js';
import { LocalCloud } from '../../lib/emulator/index.js';
import { closedPort, failure } from '../support.js';

const permanent = { ak: 'PERMANENTAK0000000001', sk: 'permanent-secret-key-000000000000000001' };
const temporary = { ak: 'TEMPORARYAK000000001', sk: 'temporary-secret-key-000000000000000001', securityToken: 'temporary-token-ABCDEF0123456789' };
const fast: RetryPolicy = { retries: 2, minDelayMs: 10, maxDelayMs: 20, requestTimeoutMs: 2_000 };

let cloud: LocalCloud;
let serviceId: string;
beforeAll(async () => {
  cloud = await LocalCloud.start({ credentials: [permanent, temporary] });
  serviceId = cloud.addService({ name: 'svc' }).id;
  cloud.addConnections(serviceId, 3);
  cloud.createBucket('bucket');
});
afterAll(async () => {
  await cloud?.stop();
});
afterEach(() => {
  cloud.clearFaults();
  cloud.resetCalls();
});

const vpcep = (credentials: { ak: string; sk: string; securityToken?: string }, retry = fast, budget = UNLIMITED) =>
  new VpcepClient(new SignedClient({ endpoint: cloud.endpoints.vpcep, credentials, retry, budget }), cloud.projectId);

describe('SignedClient', () => {
  it('retries VPCEP throttling answered as HTTP 400 EndPoint.0022, as it retries 429', async () => {
    cloud.inject({ service: 'vpcep', kind: 'status', status: 400, body: { error_code: 'EndPoint.0022', error_msg: 'The number of requests exceeded the limit' } });
    expect((await vpcep(permanent).listConnections(serviceId, 0, 10)).totalCount).toBe(3);
    expect(cloud.calls.map((call) => call.status)).toEqual([400, 200]);
  }, 10_000);

  it('tells onThrottle of every throttled answer, the retried ones included, and of nothing else', async () => {
    const throttled: string[] = [];
    const client = new VpcepClient(new SignedClient({ endpoint: cloud.endpoints.vpcep, credentials: permanent, retry: { ...fast, retries: 3 }, budget: UNLIMITED, onThrottle: (api) => throttled.push(api) }), cloud.projectId);
    cloud.inject({ service: 'vpcep', kind: 'status', status: 429, retryAfter: 0, body: { error_code: 'APIGW.0308', error_msg: 'throttled' } });
    cloud.inject({ service: 'vpcep', kind: 'status', status: 400, retryAfter: 0, body: { error_code: 'EndPoint.0022', error_msg: 'The number of requests exceeded the limit' } });
    cloud.inject({ service: 'vpcep', kind: 'status', status: 503, body: { error_code: 'APIGW.0201', error_msg: 'unavailable' } });
    expect((await client.listConnections(serviceId, 0, 10)).totalCount).toBe(3);
    expect(cloud.calls.map((call) => call.status)).toEqual([429, 400, 503, 200]);
    expect(throttled).toEqual(['vpcep:connections:list', 'vpcep:connections:list']);
  }, 10_000);

  it('stops reading an answer past its ceiling, chunked or declared, and does not ask again', async () => {
    let requests = 0;
    const server = createServer((_request, response) => {
      requests++;
      response.writeHead(200, { 'Content-Type': 'application/json' }); // chunked: no length to refuse up front
      const piece = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent < 64 * 1024 * 1024 && response.write(piece)) sent += piece.length;
        if (sent < 64 * 1024 * 1024) response.once('drain', pump);
        else response.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const client = new SignedClient({ endpoint, credentials: permanent, retry: fast, budget: UNLIMITED });
      const error = await failure(client.request({ api: 'vpcep:connections:list', method: 'GET', path: '/v1/x' }));
      expect(error).toBeInstanceOf(ResponseTooLargeError);
      expect(error.message).toBe(`vpcep:connections:list failed: the answer from ${endpointOrigin(endpoint)} is larger than 4 MiB, the most this monitor reads of it; it was refused unread (a proxy or the service is misbehaving)`);
      expect(requests).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('fails a request Node refuses to send (a header with a line break) once, with no error left to fire later', async () => {
    const broken = { ...temporary, securityToken: 'token\nInjected: header' };
    const client = vpcep(broken, { retries: 0, minDelayMs: 10, maxDelayMs: 20, requestTimeoutMs: 100 });
    const error = await failure(client.listServices());
    expect(error.message).toMatch(/^Credential the security token holds a line feed \(LF\)/);
    expect(error.message).not.toContain('Injected');
    // The request's timer would fire here if it had been left armed; vitest reports an error thrown by it.
    await new Promise((resolve) => setTimeout(resolve, 250));
  });

  it('signs requests the gateway accepts, with permanent and with temporary credentials', async () => {
    expect((await vpcep(permanent).listConnections(serviceId, 0, 1000)).totalCount).toBe(3);
    const page = await vpcep(temporary).listConnections(serviceId, 0, 2);
    expect(page).toMatchObject({ totalCount: 3 });
    expect(page.connections).toHaveLength(2);
    const call = cloud.calls.at(-1)!;
    expect(call.status).toBe(200);
    expect(call.headers['x-security-token']).toBe(temporary.securityToken);
    expect(call.headers.authorization).toMatch(/^SDK-HMAC-SHA256 Access=TEMPORARYAK000000001, SignedHeaders=[^,]*x-security-token/);
    expect(call.query).toEqual({ limit: '2', offset: '0', sort_dir: 'asc' });
  });

  it('is rejected with APIGW.0301 when the secret key is wrong, and does not retry or leak it', async () => {
    const error = await failure(vpcep({ ...permanent, sk: 'wrong-secret-key' }).listConnections(serviceId, 0, 10));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, code: 'APIGW.0301', api: 'vpcep:connections:list' });
    expect((error as ApiError).requestId).toBeTruthy();
    expect(cloud.calls).toHaveLength(1);
    expect(JSON.stringify({ message: error.message, stack: error.stack, error })).not.toMatch(/wrong-secret-key|PERMANENTAK/);
  });

  it('is rejected when a temporary credential is used without its token', async () => {
    const error = await failure(vpcep({ ak: temporary.ak, sk: temporary.sk }).listConnections(serviceId, 0, 10));
    expect(error).toMatchObject({ status: 401, code: 'APIGW.0301' });
  });

  it('retries throttling after the Retry-After the server asked for', async () => {
    cloud.inject({ service: 'vpcep', api: 'vpcep:connections:list', kind: 'status', status: 429, retryAfter: 1, body: { error_code: 'APIGW.0308', error_msg: 'throttled' } });
    const started = Date.now();
    expect((await vpcep(permanent).listConnections(serviceId, 0, 10)).totalCount).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(cloud.calls.map((call) => call.status)).toEqual([429, 200]);
  });

  it('retries 5xx and connection resets, and gives up after its explicit bound', async () => {
    cloud.inject({ service: 'vpcep', kind: 'reset' });
    cloud.inject({ service: 'vpcep', kind: 'status', status: 503, skip: 1 });
    expect((await vpcep(permanent).listConnections(serviceId, 0, 10)).totalCount).toBe(3);
    cloud.resetCalls();
    cloud.inject({ service: 'vpcep', kind: 'status', status: 500, times: Infinity, body: { error_code: 'EndPoint.0001', error_msg: 'System error.' } });
    const error = await failure(vpcep(permanent).listConnections(serviceId, 0, 10));
    expect(error).toMatchObject({ status: 500, code: 'EndPoint.0001' });
    expect(cloud.calls).toHaveLength(1 + fast.retries);
  });

  it('does not retry a client error', async () => {
    cloud.inject({ service: 'vpcep', kind: 'status', status: 400, body: { error_code: 'EndPoint.0002', error_msg: 'Parameter error.' } });
    const error = await failure(vpcep(permanent).listConnections(serviceId, 0, 10));
    expect(error).toMatchObject({ status: 400, code: 'EndPoint.0002', detail: 'Parameter error.' });
    expect(cloud.calls).toHaveLength(1);
  });

  it('times out a hanging endpoint and stops retrying when the run budget is spent', async () => {
    cloud.inject({ service: 'vpcep', kind: 'hang', times: Infinity });
    const started = Date.now();
    const error = await failure(vpcep(permanent, { ...fast, requestTimeoutMs: 300 }, budgetUntil(Date.now() + 1_000)).listConnections(serviceId, 0, 10));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reports a cut-off body as a network error and a malformed one as a shape error', async () => {
    cloud.inject({ service: 'vpcep', kind: 'truncate', times: Infinity });
    const cut = await failure(vpcep(permanent, { ...fast, retries: 0 }).listConnections(serviceId, 0, 1000));
    expect(cut).toBeInstanceOf(NetworkError);
    expect(cut.message).toContain(`the connection to ${cloud.endpoints.vpcep} failed`);
    cloud.clearFaults();
    cloud.inject({ service: 'vpcep', kind: 'malformed', body: '{"connections": "nope", "total_count": 1}' });
    const error = await failure(vpcep(permanent).listConnections(serviceId, 0, 1000));
    expect(error).toBeInstanceOf(ResponseShapeError);
    expect(error.message).toContain('connections');
  });
  it('names the endpoint and the setting to check when nothing answers', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const client = new VpcepClient(new SignedClient({ endpoint, credentials: permanent, retry: { ...fast, retries: 0 }, budget: UNLIMITED }), cloud.projectId);
    const error = await failure(client.listConnections(serviceId, 0, 10));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toBe(`vpcep:connections:list failed: could not connect to ${endpoint} (ECONNREFUSED): check VPCEP_ENDPOINT and the network`);
    expect(endpointOrigin('https://vpcep.ap-southeast-1.myhuaweicloud.com')).toBe('https://vpcep.ap-southeast-1.myhuaweicloud.com:443');
  });

  it("keeps the error code in both of VPCEP's body shapes", async () => {
    cloud.inject({ service: 'vpcep', kind: 'status', status: 403, body: { error: { code: 'EndPoint.0004', message: 'Permission denied.' } } });
    const nested = await failure(vpcep(permanent).listConnections(serviceId, 0, 10));
    expect(nested).toBeInstanceOf(ApiError);
    expect(nested).toMatchObject({ status: 403, code: 'EndPoint.0004', detail: 'Permission denied.' });
    expect(nested.message).toMatch(/^vpcep:connections:list failed: HTTP 403 EndPoint\.0004 Permission denied\. \(request id [0-9a-f-]+\)$/);
    cloud.inject({ service: 'vpcep', kind: 'status', status: 403, body: { error_code: 'EndPoint.0004', error_msg: 'Permission denied.' } });
    expect(await failure(vpcep(permanent).listConnections(serviceId, 0, 10))).toMatchObject({ status: 403, code: 'EndPoint.0004', detail: 'Permission denied.' });
  });

  it('bounds a long error message by characters, never cutting one in half', async () => {
    // 400 characters of two UTF-16 units each: a cut by units would leave half a character.
    cloud.inject({ service: 'vpcep', kind: 'status', status: 400, body: { error_code: 'EndPoint.0001', error_msg: '\u{1F4A5}'.repeat(400) } });
    const { detail } = (await failure(vpcep(permanent).listConnections(serviceId, 0, 10))) as ApiError;
    expect(detail).toBe(`${'\u{1F4A5}'.repeat(299)}…`);
    expect(Buffer.from(detail!, 'utf8').toString('utf8')).toBe(detail);
  });
});

describe('SmnClient', () => {
  it('publishes, and surfaces SMN error codes', async () => {
    const urn = cloud.createTopic('topic-a');
    const smn = (topic: string) => new SmnClient(new SignedClient({ endpoint: cloud.endpoints.smn, credentials: temporary, retry: fast, budget: UNLIMITED }), cloud.projectId, topic);
    const receipt = await smn(urn).publish({ subject: 'hello', message: 'body' });
    expect(receipt.messageId).toBeTruthy();
    expect(cloud.published.at(-1)).toMatchObject({ topicUrn: urn, subject: 'hello', message: 'body' });
    const error = await failure(smn(`urn:smn:${cloud.region}:${cloud.projectId}:missing`).publish({ subject: 's', message: 'm' }));
    expect(error).toMatchObject({ status: 404, code: 'SMN.0006' });
    cloud.inject({ service: 'smn', kind: 'status', status: 400, body: { code: 'SMN.00011006', message: 'Invalid message.', request_id: 'smn-request-7' } });
    const refused = await failure(smn(urn).publish({ subject: 's', message: 'm' }));
    expect(refused).toMatchObject({ status: 400, code: 'SMN.00011006', detail: 'Invalid message.' });
    expect(refused.message).toContain('HTTP 400 SMN.00011006 Invalid message.');
  });
});

describe('ObsStore', () => {
  const store = (credentials: { ak: string; sk: string; securityToken?: string } = temporary) =>
    new ObsStore({ endpoint: cloud.endpoints.obs, bucket: 'bucket', credentials, budget: UNLIMITED, retry: fast });

  it('refuses an object or a listing past its ceiling, read whole or streamed, without asking again', async () => {
    const obs = store();
    cloud.putObject('bucket', 'big/part.jsonl', Buffer.alloc(17 * 1024 * 1024, 0x20));
    expect(await failure(obs.get('big/part.jsonl'))).toBeInstanceOf(ResponseTooLargeError);
    const streamed = (await obs.getStream('big/part.jsonl'))!; // 17 MiB is within the state's ceiling
    let bytes = 0;
    for await (const piece of streamed.body) bytes += piece.length;
    expect(bytes).toBe(17 * 1024 * 1024);
    cloud.inject({ service: 'obs', kind: 'malformed', body: ' '.repeat(17 * 1024 * 1024) });
    const listing = await failure((async () => {
      for await (const _ of obs.list('big/')) void _;
    })());
    expect(listing).toBeInstanceOf(ResponseTooLargeError);
    expect(listing.message).toMatch(/^obs:bucket:ListBucket failed: the answer from http:\/\/127\.0\.0\.1:\d+ is larger than 16 MiB/);
    expect(cloud.calls.filter((call) => call.path.includes('big') || call.query.prefix === 'big/')).toHaveLength(3);
  });

  it('gives the ETag of an object past the whole-read ceiling (a large state saved again)', async () => {
    cloud.putObject('bucket', 'big/state.json', Buffer.alloc(17 * 1024 * 1024, 0x20));
    const obs = store();
    const streamed = (await obs.getStream('big/state.json'))!;
    for await (const piece of streamed.body) void piece;
    expect(await obs.head('big/state.json')).toBe(streamed.etag);
  });

  it('reads a larger object whole only when given a larger ceiling (the bench\'s naive peer)', async () => {
    cloud.putObject('bucket', 'big/naive.json', Buffer.alloc(17 * 1024 * 1024, 0x20));
    const roomy = new ObsStore({ endpoint: cloud.endpoints.obs, bucket: 'bucket', credentials: temporary, budget: UNLIMITED, retry: fast, maxObjectBytes: 32 * 1024 * 1024 });
    expect((await roomy.get('big/naive.json'))!.body).toHaveLength(17 * 1024 * 1024);
    const tight = new ObsStore({ endpoint: cloud.endpoints.obs, bucket: 'bucket', credentials: temporary, budget: UNLIMITED, retry: fast, maxObjectBytes: 1024 * 1024 });
    expect(await failure(tight.get('big/naive.json'))).toBeInstanceOf(ResponseTooLargeError);
  });

  it('puts, gets, lists by prefix across pages, and deletes', async () => {
    const obs = store();
    expect(await obs.get('p/missing.json')).toBeUndefined();
    await obs.put('p/a.json', '{"a":1}');
    expect(await obs.get('p/a.json')).toMatchObject({ body: '{"a":1}' });
    for (let i = 0; i < 1005; i++) cloud.putObject('bucket', `q/${String(i).padStart(4, '0')}`, 'x');
    const keys: string[] = [];
    for await (const item of obs.list('q/')) keys.push(item.key);
    expect(keys).toHaveLength(1005);
    expect(keys[0]).toBe('q/0000');
    expect(cloud.calls.filter((call) => call.api === 'obs:bucket:ListBucket')).toHaveLength(2);
    await obs.delete('p/a.json');
    expect(await obs.get('p/a.json')).toBeUndefined();
  });

  it('names the endpoint and the setting to check when nothing answers', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const obs = new ObsStore({ endpoint, bucket: 'bucket', credentials: temporary, budget: UNLIMITED, retry: { ...fast, retries: 0 } });
    const error = await failure(obs.get('p/a.json'));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toBe(`obs:object:GetObject failed: could not connect to ${endpoint} (ECONNREFUSED): check OBS_ENDPOINT and the network`);
  });

  it('turns a wrong key into a typed 403 that names the call and not the key', async () => {
    const error = await failure(store({ ...permanent, sk: 'wrong-obs-secret' }).put('p/x', 'y'));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 403, api: 'obs:object:PutObject' });
    expect(error.message).not.toContain('wrong-obs-secret');
  });
});
