/**
 * Object storage through the official esdk-obs-nodejs client, behind the few operations the
 * monitor needs. The SDK resolves (does not reject) HTTP errors, retries on its own and logs only
 * when asked to; we turn its results into our typed errors, disable its retries in favour of our
 * classified, deadline-aware ones, and never enable its logging.
 */
import { Readable } from 'node:stream';
import type ObsClient from 'esdk-obs-nodejs';
import { lookup as dnsLookup } from 'node:dns';
import { Agent, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Budget } from './budget.js';
import { checkHeaderSafe, CREDENTIAL_NAMES, type Credentials } from './credentials.js';
import { ApiError, CloudError, endpointOrigin, networkError, NoSuchBucketError, ResponseTooLargeError, TimeoutError } from './errors.js';
import { MAX_OBJECT_BYTES, MAX_STATE_BYTES } from './limits.js';
import { bodyCeiling, bounded } from './obs-bodies.js';
import { IAM_ACTIONS } from './iam-actions.js';
import { DEFAULT_RETRY_POLICY, type RetryNotice, type RetryPolicy, withRetry } from './retry.js';

export interface StoredObject {
  body: string;
  etag: string;
}

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: string;
}

export interface ObsStoreOptions {
  endpoint: string;
  bucket: string;
  credentials: Credentials;
  budget: Budget;
  retry?: RetryPolicy;
  onRetry?: (notice: RetryNotice) => void;
  /**
   * The most `get` reads of one object; MAX_OBJECT_BYTES unless set. The monitor never sets it:
   * the bench's naive peer, which reads its whole snapshot back, does.
   */
  maxObjectBytes?: number;
}

/** The object calls of the monitor's `ObjectStore` port (`lib/monitor/ports.ts`). Keys are full object keys. */
export class ObsStore {
  private readonly clientOptions: ConstructorParameters<typeof ObsClient>[0];
  private readonly bucket: string;
  private readonly budget: Budget;
  private readonly retry: RetryPolicy;
  private readonly onRetry: ((notice: RetryNotice) => void) | undefined;
  private readonly credentials: Credentials;
  private readonly maxObjectBytes: number;
  private client: Promise<ObsClient> | undefined;

  constructor(options: ObsStoreOptions) {
    this.bucket = options.bucket;
    this.credentials = options.credentials;
    this.budget = options.budget;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.onRetry = options.onRetry;
    this.maxObjectBytes = options.maxObjectBytes ?? MAX_OBJECT_BYTES;
    this.clientOptions = {
      access_key_id: options.credentials.ak,
      secret_access_key: options.credentials.sk,
      ...(options.credentials.securityToken ? { security_token: options.credentials.securityToken } : {}),
      server: options.endpoint,
      // Real OBS: OBS signing, and no per-client "which signature?" probe request before the first
      // call. A loopback IP endpoint makes the SDK switch to path style and v2 signing by itself.
      signature: 'obs',
      is_signature_negotiation: false,
      http_agent: new Agent({ keepAlive: true, lookup: loopbackAwareLookup }),
      // The SDK verifies no https peer unless told to (`rejectUnauthorized: this.sslVerify || false`
      // in its lib/utils.js): anyone on the path could read and rewrite the state and the trail.
      // `true` (not a CA path) keeps Node's own trust store, NODE_EXTRA_CA_CERTS included.
      ssl_verify: true,
      // Without its own https agent the SDK opens a new TLS connection for every call.
      https_agent: new HttpsAgent({ keepAlive: true, lookup: loopbackAwareLookup, rejectUnauthorized: true }),
      timeout: Math.ceil(this.retry.requestTimeoutMs / 1000),
      max_retry_count: 0,
    };
  }

  /** The whole body, at most MAX_OBJECT_BYTES of it: read as a stream so a larger one is never held. */
  async get(key: string): Promise<StoredObject | undefined> {
    const stored = await this.openStream(key, this.maxObjectBytes);
    if (stored === undefined) return undefined;
    const pieces: Buffer[] = [];
    for await (const piece of stored.body) pieces.push(Buffer.from(piece));
    return { body: Buffer.concat(pieces).toString('utf8'), etag: stored.etag };
  }

  /**
   * The body as the SDK receives it (`SaveAsStream`), for the state: read whole, the SDK would hold
   * its pieces, their concatenation and its text at once (30 MB for a 100,000-connection state).
   * Each piece must arrive within the request timeout, or the read fails as a timeout.
   */
  getStream(key: string): Promise<{ body: AsyncIterable<Uint8Array>; etag: string } | undefined> {
    return this.openStream(key, MAX_STATE_BYTES);
  }

  private async openStream(key: string, maxBytes: number): Promise<{ body: AsyncIterable<Uint8Array>; etag: string } | undefined> {
    const api = IAM_ACTIONS.getObject;
    const server = this.clientOptions.server;
    const result = await this.call(api, (client) => client.getObject({ Bucket: this.bucket, Key: key, SaveAsStream: true }), [404], false);
    if (result.CommonMsg.Status === 404) return undefined;
    const content = result.InterfaceResult?.Content;
    if (!(content instanceof Readable)) throw new TypeError(`${api}: the OBS SDK answered SaveAsStream without a stream`);
    if (Number(result.InterfaceResult?.ContentLength ?? 0) > maxBytes) {
      content.destroy();
      throw new ResponseTooLargeError(api, server, maxBytes);
    }
    return { body: bounded(api, server, content, this.retry.requestTimeoutMs, maxBytes), etag: etagOf(result) };
  }

  /**
   * No body ceiling here: a HEAD answer has no body, and its Content-Length is the object's, so the
   * ceiling would refuse the ETag of any state past 16 MiB (~170,000 connections).
   */
  async head(key: string): Promise<string | undefined> {
    const result = await this.call(IAM_ACTIONS.getObject, (client) => client.getObjectMetadata({ Bucket: this.bucket, Key: key }), [404], false);
    if (result.CommonMsg.Status === 404) return undefined;
    return etagOf(result);
  }

  /**
   * A body given in parts is streamed as they are, never joined: the state of a large project is
   * ~10 MB that would otherwise exist twice more (joined, then encoded) during the save. Its length
   * is sent up front: OBS, like S3, is not documented to take a chunked upload without one.
   */
  async put(key: string, body: string | readonly string[], contentType = 'application/json'): Promise<void> {
    const length = typeof body === 'string' ? undefined : body.reduce((sum, part) => sum + Buffer.byteLength(part, 'utf8'), 0);
    await this.call(IAM_ACTIONS.putObject, (client, hook) =>
      client.putObject({
        ...hook,
        Bucket: this.bucket,
        Key: key,
        // A fresh stream for every attempt: a retry must send the whole body again.
        Body: typeof body === 'string' ? body : Readable.from(coalesce(body, WRITE_BYTES)),
        ...(length === undefined ? {} : { ContentLength: String(length) }),
        ContentType: contentType,
      }),
    );
  }

  async delete(key: string): Promise<void> {
    await this.call(IAM_ACTIONS.deleteObject, (client, hook) => client.deleteObject({ Bucket: this.bucket, Key: key, ...hook }), [404]);
  }

  async *list(prefix: string, startAfter?: string): AsyncIterable<ObjectInfo> {
    let marker = startAfter;
    for (;;) {
      const result = await this.call(IAM_ACTIONS.listObjects, (client, hook) =>
        client.listObjects({ ...hook, Bucket: this.bucket, Prefix: prefix, MaxKeys: 1000, ...(marker ? { Marker: marker } : {}) }),
      );
      const page = result.InterfaceResult;
      const contents = page?.Contents ?? [];
      for (const item of contents) {
        yield { key: item.Key, size: Number(item.Size ?? 0), lastModified: item.LastModified ?? '' };
      }
      const truncated = page?.IsTruncated === true || page?.IsTruncated === 'true';
      const last = contents.at(-1)?.Key;
      if (!truncated || last === undefined) return;
      marker = page?.NextMarker || last;
    }
  }

  /**
   * The SDK (with fast-xml-parser and its API models) is loaded at the first call, not when the
   * bundle loads: ~30 ms that every new instance pays once either way, but after the handler has
   * checked its configuration rather than before (see `npm run bench`).
   */
  private connect(): Promise<ObsClient> {
    // A credential Node cannot put in a header would make the SDK throw from inside its own
    // callbacks, past every catch: refuse it here, as a rejected call.
    this.client ??= Promise.resolve()
      .then(() => checkHeaderSafe(this.credentials, CREDENTIAL_NAMES))
      .then(() => import('esdk-obs-nodejs'))
      .then(({ default: Client }) => {
        const client = new Client(this.clientOptions);
        // The SDK finishes constructing asynchronously; a call made in the same tick can throw.
        return new Promise<ObsClient>((resolve) => setImmediate(() => resolve(client)));
      });
    return this.client;
  }

  /**
   * One SDK call, retried as ours are. `capBody`: the SDK reads the answer whole, so its size is
   * held to MAX_OBJECT_BYTES through the request hook; a streamed body (SaveAsStream) is counted
   * by its reader instead, since a second reader here would start it flowing before ours.
   */
  private async call<T extends { CommonMsg: { Status: number; Code?: string; Message?: string; RequestId?: string } }>(
    api: string,
    send: (client: ObsClient, hook: { RequestHook?: (request: ClientRequest) => void }) => Promise<T>,
    acceptedStatuses: number[] = [],
    capBody = true,
  ): Promise<T> {
    const client = await this.connect();
    const hook = capBody ? { RequestHook: bodyCeiling(api, this.clientOptions.server, MAX_OBJECT_BYTES) } : {};
    return withRetry(
      api,
      async (timeoutMs) => {
        const result = await withTimeout(api, this.clientOptions.server, send(client, hook), timeoutMs);
        const { Status, Code, Message, RequestId } = result.CommonMsg;
        // A 404 for a missing object is an answer ("no state yet"); for a missing bucket it is a
        // wrong OBS_BUCKET, and no command may read it as "nothing there yet".
        if (Status === 404 && Code === 'NoSuchBucket') throw new NoSuchBucketError(api, this.bucket, this.clientOptions.server, RequestId || undefined);
        if (Status >= 300 && !acceptedStatuses.includes(Status)) {
          throw new ApiError(api, Status, Code || undefined, Message || undefined, RequestId || undefined);
        }
        return result;
      },
      this.retry,
      this.budget,
      this.onRetry,
    );
  }
}

/**
 * Name resolution for both agents (keep-alive, like the agent the SDK builds for itself when given
 * long_conn_param). Config allows http:// only on loopback. With a host name endpoint the SDK
 * addresses buckets as `{bucket}.{host}`; for `obs.localhost` (the local cloud's OBS in the
 * production dialect) that is `{bucket}.obs.localhost`, loopback by RFC 6761, but glibc's resolver
 * does not answer it, so `*.localhost` goes to 127.0.0.1 here and every other name to dns.lookup.
 */
const loopbackAwareLookup: LookupFunction = (hostname, options, callback) => {
  if (!hostname.endsWith('.localhost')) {
    dnsLookup(hostname, options, callback);
    return;
  }
  // Node asks for every address (`all`) when it tries address families in turn.
  if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

// The SDK only knows a client-wide timeout; the run's deadline needs a per-call one.
async function withTimeout<T>(api: string, endpoint: string, promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${api} timed out after ${timeoutMs} ms waiting for ${endpointOrigin(endpoint)}`, api)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } catch (error) {
    if (error instanceof CloudError) throw error;
    // The SDK rejects only for transport failures; its messages carry no credentials.
    throw networkError(api, endpoint, error);
  } finally {
    clearTimeout(timer);
  }
}

// Parts can be tiny (one audit line each): written one by one they would be thousands of socket
// writes. They go out in pieces of about this many characters instead.
const WRITE_BYTES = 64 * 1024;

function* coalesce(parts: readonly string[], size: number): Generator<string> {
  let piece = '';
  for (const part of parts) {
    if (part.length >= size) {
      if (piece !== '') yield piece;
      piece = '';
      yield part;
      continue;
    }
    piece += part;
    if (piece.length >= size) {
      yield piece;
      piece = '';
    }
  }
  if (piece !== '') yield piece;
}

/** OBS quotes the ETag header; the state's concurrency check compares the bare value. */
function etagOf(result: { InterfaceResult?: { ETag?: string } }): string {
  return (result.InterfaceResult?.ETag ?? '').replace(/"/g, '');
}
