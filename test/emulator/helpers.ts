/** What the local-cloud tests share: credentials, a started cloud, an APIG-signed fetch, the real OBS SDK client. */
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner';
import type { ICredential } from '@huaweicloud/huaweicloud-sdk-core/auth/ICredential';
import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import type { LookupFunction } from 'node:net';
import { LocalCloud, type LocalCloudOptions } from '../../lib/emulator/index.js';

export const PERMANENT = { ak: 'AKPERMANENT0001', sk: 'permanent-secret-key' };
export const TEMPORARY = { ak: 'AKTEMPORARY0001', sk: 'temporary-secret-key', securityToken: 'temporary-token-value' };

export function startCloud(opts: Partial<LocalCloudOptions> = {}): Promise<LocalCloud> {
  return LocalCloud.start({ credentials: [PERMANENT, TEMPORARY], ...opts });
}

/** Only the two getters are used by AKSKSigner.sign; the rest of ICredential is HcClient plumbing. */
function credentialOf(ak: string, sk: string): ICredential {
  return { getAk: () => ak, getSk: () => sk } as unknown as ICredential;
}

// The signer's own encoder, so the URL we send matches the canonical query it signed.
const signerUrlEncode = (AKSKSigner as unknown as { urlEncode(s: string): string }).urlEncode.bind(AKSKSigner);

export interface ApigRequest {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  ak?: string;
  sk?: string;
  /** Signed along with everything else (e.g. X-Security-Token). */
  headers?: Record<string, string>;
  /** Applied after signing, to tamper with the request. */
  mutate?: (headers: Record<string, string>) => void;
  /** Replaces the query string actually sent (after signing). */
  sentQuery?: string;
  /** Replaces the body actually sent (after signing). */
  sentBody?: string;
  /** Replaces the path actually sent (after signing). */
  sentPath?: string;
}

export interface ApigResponse {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

/** Signs with the SDK core's AKSKSigner, exactly as our transport will, and sends with fetch. */
export async function apigFetch(base: string, req: ApigRequest): Promise<ApigResponse> {
  const query = req.query ?? {};
  const headers: Record<string, string> = { 'Content-Type': 'application/json;charset=UTF-8', ...req.headers };
  const signed = AKSKSigner.sign(
    { endpoint: base + req.path, method: req.method, headers, queryParams: query, data: req.body },
    credentialOf(req.ak ?? PERMANENT.ak, req.sk ?? PERMANENT.sk),
  ) as Record<string, string>;
  const sent = { ...signed };
  delete sent.host; // fetch derives the same Host from the URL
  req.mutate?.(sent);
  const queryString =
    req.sentQuery ??
    Object.keys(query)
      .sort()
      .map((k) => `${signerUrlEncode(k)}=${signerUrlEncode(query[k] ?? '')}`)
      .join('&');
  const url = base + (req.sentPath ?? req.path) + (queryString === '' ? '' : `?${queryString}`);
  const body = req.sentBody ?? (req.body === undefined ? undefined : JSON.stringify(req.body));
  const res = await fetch(url, { method: req.method, headers: sent, body });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON; callers look at text
  }
  return { status: res.status, headers: res.headers, text, json };
}

export interface ObsResult {
  CommonMsg: { Status: number; Code: string; Message: string; RequestId: string };
  InterfaceResult: Record<string, unknown> & {
    Content?: string;
    ETag?: string;
    VersionId?: string;
    IsTruncated?: string;
    NextMarker?: string;
    Contents?: { Key: string; ETag: string; Size: string; LastModified: string }[];
  };
}

export interface ObsClientLike {
  putObject(p: Record<string, unknown>): Promise<ObsResult>;
  getObject(p: Record<string, unknown>): Promise<ObsResult>;
  getObjectMetadata(p: Record<string, unknown>): Promise<ObsResult>;
  deleteObject(p: Record<string, unknown>): Promise<ObsResult>;
  listObjects(p: Record<string, unknown>): Promise<ObsResult>;
  close(): void;
}

const requireCjs = createRequire(import.meta.url);

/**
 * An agent that resolves `*.localhost` to 127.0.0.1, which glibc does not: with it the SDK can
 * reach `{bucket}.obs.localhost`, the local OBS addressed the way production addresses OBS.
 */
export function localhostAgent(): Agent {
  const lookup: LookupFunction = (hostname, options, callback) => {
    if (!hostname.endsWith('.localhost')) throw new Error(`test agent asked to resolve ${hostname}`);
    if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
  };
  return new Agent({ keepAlive: true, lookup });
}

/**
 * The real esdk-obs-nodejs client, pointed at the emulator. An IP `server` makes it use path style
 * and V2 signing; a host name (`cloud.endpoints.obsHost`, with `localhostAgent()` as http_agent)
 * virtual-hosted buckets and, with `signature: 'obs'`, OBS's own signing.
 */
export async function obsClient(
  server: string,
  credential: { ak: string; sk: string; securityToken?: string },
  options: Record<string, unknown> = {},
): Promise<ObsClientLike> {
  const ObsClient = requireCjs('esdk-obs-nodejs') as new (options: Record<string, unknown>) => ObsClientLike;
  const client = new ObsClient({
    access_key_id: credential.ak,
    secret_access_key: credential.sk,
    security_token: credential.securityToken,
    server,
    max_retry_count: 0,
    timeout: 10,
    ...options,
  });
  // Construction finishes asynchronously.
  await new Promise((resolve) => setImmediate(resolve));
  return client;
}
