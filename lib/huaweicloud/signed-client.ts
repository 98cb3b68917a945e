/**
 * The one way this project talks to Huawei Cloud's JSON APIs (VPCEP, SMN, Cloud Eye): requests
 * signed with the SDK core's SDK-HMAC-SHA256 signer, sent with node:http(s), each with a timeout,
 * retried only when retrying can help. We do not use the SDK's HcClient: it sends with axios
 * without retries, loses SMN's error code, and logs whole requests (Authorization and
 * X-Security-Token included) at ERROR level on any HTTP error.
 */
import type { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner';
import type { Budget } from './budget.js';
import { type HttpAnswer, HttpBodyTooLargeError, HttpTimeoutError, sendHttp } from './http-send.js';
import { MAX_API_RESPONSE_BYTES } from './limits.js';
import { checkHeaderSafe, CREDENTIAL_NAMES, type Credentials } from './credentials.js';
import { ApiError, type CloudError, endpointOrigin, networkError, ResponseShapeError, ResponseTooLargeError, TimeoutError } from './errors.js';
import { DEFAULT_RETRY_POLICY, parseRetryAfter, type RetryNotice, type RetryPolicy, withRetry } from './retry.js';
import { createHash } from 'node:crypto';
import { truncate } from '../text.js';

export interface SignedRequest {
  /** The IAM action of this call, used to name it in errors and logs. */
  api: string;
  method: 'GET' | 'POST';
  /** Path below the endpoint, e.g. `/v1/{project}/vpc-endpoint-services`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  /** JSON body, sent exactly as `JSON.stringify(body)` (the string the signer hashes). */
  body?: unknown;
  /** The call answers success with an empty body (Cloud Eye's 201): that is not a shape error. */
  emptyResponse?: boolean;
  /**
   * Take a digest of a successful answer's bytes; when it is `knownAnswer`, the answer is the one
   * the caller already has, and it is neither decoded nor parsed (`same`).
   */
  answerDigest?: { knownAnswer: string | undefined };
}

export interface SignedResponse {
  /** `undefined` when `same`. */
  body: unknown;
  requestId: string | undefined;
  /** With `answerDigest`: 128 bits of the SHA-256 of the answer's bytes, in hex. */
  answerDigest?: string;
  /** The answer's digest was the known one: the body was not read. */
  same?: boolean;
}

export interface SignedClientOptions {
  endpoint: string;
  credentials: Credentials;
  retry?: RetryPolicy;
  budget: Budget;
  onRetry?: (notice: RetryNotice) => void;
  /** Told of every throttled answer, retried or not, so whoever paces the calls can slow down. */
  onThrottle?: (api: string) => void;
}

// The signer (with moment) is loaded at the first request, not when the bundle loads; every
// instance pays it once either way.
let loading: Promise<typeof AKSKSigner> | undefined;
const loadSigner = (): Promise<typeof AKSKSigner> =>
  (loading ??= import('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner').then((module) => module.AKSKSigner));

// The signer's encoder is what the canonical query is built with; the URL we send must use the
// very same bytes or the gateway computes a different signature.
const signerEncode = (signer: typeof AKSKSigner, value: string): string =>
  (signer as unknown as { urlEncode(value: string): string }).urlEncode(value);

export class SignedClient {
  private readonly endpoint: string;
  private readonly credentials: Credentials;
  private readonly retry: RetryPolicy;
  private readonly budget: Budget;
  private readonly onRetry: ((notice: RetryNotice) => void) | undefined;
  private readonly onThrottle: ((api: string) => void) | undefined;

  constructor(options: SignedClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.credentials = options.credentials;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.budget = options.budget;
    this.onRetry = options.onRetry;
    this.onThrottle = options.onThrottle;
  }

  request(request: SignedRequest): Promise<SignedResponse> {
    return withRetry(request.api, (timeoutMs) => this.send(request, timeoutMs), this.retry, this.budget, this.onRetry);
  }

  private async send(request: SignedRequest, timeoutMs: number): Promise<SignedResponse> {
    const query: Record<string, string> = {};
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) query[key] = String(value);
    }
    const headers: Record<string, string> = {};
    const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
    if (payload !== undefined) headers['Content-Type'] = 'application/json;charset=UTF-8';
    // Temporary credentials only work when the token is sent and covered by the signature.
    if (this.credentials.securityToken) headers['X-Security-Token'] = this.credentials.securityToken;

    // Node would refuse such a header while building the request, and the error would blame the network.
    checkHeaderSafe(this.credentials, CREDENTIAL_NAMES);
    const url = this.endpoint + request.path;
    const signer = await loadSigner();
    const signed = signer.sign(
      { endpoint: url, method: request.method, headers, queryParams: query, data: request.body },
      { getAk: () => this.credentials.ak, getSk: () => this.credentials.sk } as never,
    ) as Record<string, string>;
    // node:http derives Host from the URL; the signer's copy is identical and must not go twice.
    delete signed.host;

    const search = Object.keys(query)
      .sort()
      .map((key) => `${signerEncode(signer, key)}=${signerEncode(signer, query[key]!)}`)
      .join('&');

    let response: HttpAnswer;
    try {
      response = await sendHttp(search ? `${url}?${search}` : url, { method: request.method, headers: signed, body: payload, timeoutMs, maxBodyBytes: MAX_API_RESPONSE_BYTES });
    } catch (error) {
      throw transportError(request.api, this.endpoint, error, timeoutMs);
    }

    const requestId = header(response, 'x-request-id');
    const ok = response.status >= 200 && response.status <= 299;
    const answerDigest = ok && request.answerDigest ? createHash('sha256').update(response.bytes).digest('hex').slice(0, 32) : undefined;
    if (answerDigest !== undefined && answerDigest === request.answerDigest?.knownAnswer) return { body: undefined, requestId, answerDigest, same: true };
    const text = response.bytes.toString('utf8');
    const body = parseJson(text);
    if (response.status < 200 || response.status > 299) {
      const detail = errorDetail(body);
      const error = new ApiError(
        request.api,
        response.status,
        detail.code,
        detail.message ?? (text && body === undefined ? truncate(text, 200) : undefined),
        requestId ?? detail.requestId,
        parseRetryAfter(header(response, 'retry-after')),
      );
      if (error.throttled) this.onThrottle?.(request.api);
      throw error;
    }
    if (body === undefined && !(request.emptyResponse && text.trim() === '')) {
      throw new ResponseShapeError(`${request.api} answered HTTP ${response.status} with a body that is not JSON`, request.api);
    }
    return { body, requestId: requestId ?? detail(body), ...(answerDigest === undefined ? {} : { answerDigest }) };
  }
}

function transportError(api: string, endpoint: string, error: unknown, timeoutMs: number): CloudError {
  if (error instanceof HttpBodyTooLargeError) return new ResponseTooLargeError(api, endpoint, error.limitBytes, { cause: error });
  if (error instanceof HttpTimeoutError) {
    return new TimeoutError(`${api} timed out after ${timeoutMs} ms waiting for ${endpointOrigin(endpoint)}`, api, { cause: error });
  }
  return networkError(api, endpoint, error);
}

function header(response: HttpAnswer, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The code, message and request id of an error answer, in each shape the services use: VPCEP's
 * error pages and the API gateway say `{"error_code","error_msg"}`, VPCEP's SDK models and its
 * accept/reject page a nested `{"error": {"code","message"}}`, SMN `{"code","message","request_id"}`.
 * Cloud Eye's V1.0 APIs (metric-data among them) put the HTTP status in `code` as a number, a
 * generic sentence in `message`, and what matters one level down: `{"code": 400, "element": "Bad
 * Request", "message": "The system received a request which cannot be recognized", "details":
 * {"code": "ces.0014", "details": "Some content in message body is not correct"}}`; its newer pages
 * show `{"http_code": "403", "message": {"code", "details"}}`, and its v2 APIs VPCEP's flat shape.
 */
function errorDetail(body: unknown): { code?: string; message?: string; requestId?: string } {
  if (typeof body !== 'object' || body === null) return {};
  const record = body as Record<string, unknown>;
  const inner = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {});
  const nested = inner(record.error);
  const cloudEye = { ...inner(record.message), ...inner(record.details) };
  const pick = (sources: Record<string, unknown>[], ...keys: string[]): string | undefined => {
    for (const source of sources) {
      for (const key of keys) {
        const value = source[key];
        if (typeof value === 'string' && value !== '') return truncate(value, 300);
      }
    }
    return undefined;
  };
  return {
    // Cloud Eye's `ces.xxxx` before a top-level `code`, which in its shape is only the HTTP status.
    code: pick([record, nested], 'error_code') ?? pick([cloudEye, record, nested], 'code'),
    // Cloud Eye's own sentence is the specific one; its top-level `message` says only "not recognized".
    message: pick([cloudEye], 'details') ?? pick([record, nested], 'error_msg', 'message', 'error_message'),
    requestId: pick([record, nested], 'request_id'),
  };
}

function detail(body: unknown): string | undefined {
  return errorDetail(body).requestId;
}
