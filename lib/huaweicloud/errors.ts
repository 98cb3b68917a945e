/**
 * Errors from talking to Huawei Cloud. Every one says which call failed (`api`, named after the IAM
 * action) so an operator reading one log line knows where to look; none carries a credential,
 * a signature or a request header.
 */

/** Base class: something went wrong calling a Huawei Cloud API. */
export class CloudError extends Error {
  override name = 'CloudError';
  constructor(
    message: string,
    /** The call, e.g. `vpcep:connections:list`. */
    readonly api: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Whether waiting and sending the same request again may succeed. */
  get retryable(): boolean {
    return false;
  }
}

/**
 * The service answered with an error status. `code` is VPCEP's `error_code`, SMN's `code`, Cloud
 * Eye's `details.code` (`ces.0014`), OBS's `Code` or the API gateway's `APIGW.xxxx`; `requestId` is what Huawei support asks for.
 */
export class ApiError extends CloudError {
  override name = 'ApiError';
  constructor(
    api: string,
    readonly status: number,
    readonly code: string | undefined,
    readonly detail: string | undefined,
    readonly requestId: string | undefined,
    /** Seconds the service asked us to wait (`Retry-After`), when it said. */
    readonly retryAfterSeconds?: number,
  ) {
    super(
      `${api} failed: HTTP ${status}${code ? ` ${code}` : ''}${detail ? ` ${detail}` : ''}${requestId ? ` (request id ${requestId})` : ''}`,
      api,
    );
  }

  /** Throttling (HTTP 429, or a throttling code on any status) and server errors are retried. */
  override get retryable(): boolean {
    return this.throttled || this.status >= 500;
  }

  /** The service said "too many requests", whatever status it chose to say it with. */
  get throttled(): boolean {
    return this.status === 429 || isThrottlingCode(this.code);
  }
}

/** No usable answer: connection refused or reset, DNS failure, a body cut short. */
export class NetworkError extends CloudError {
  override name = 'NetworkError';
  override get retryable(): boolean {
    return true;
  }
}

// The setting that chose each service's endpoint, keyed by the IAM service prefix of the call: a
// person reading "could not connect" needs to know which host and which setting to check.
const ENDPOINT_SETTINGS: Record<string, string> = { vpcep: 'VPCEP_ENDPOINT', smn: 'SMN_ENDPOINT', obs: 'OBS_ENDPOINT', ces: 'CES_ENDPOINT' };

// A peer certificate that TLS verification refused, as OpenSSL and Node name it
// (UNABLE_TO_VERIFY_LEAF_SIGNATURE, SELF_SIGNED_CERT_IN_CHAIN, CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID…).
const CERT_FAILURE = /^(ERR_TLS_CERT\w*|\w*CERT\w*|\w*SELF_SIGNED\w*|UNABLE_TO_\w+)$/;
// Failures before a connection was made (no request reached the service), as Node and undici name them.
const CONNECT_FAILURE = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EHOSTDOWN|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|ERR_TLS_\w+)$/;

/**
 * A transport failure calling `api` at `endpoint`, saying where and what to check:
 * `vpcep:connections:list failed: could not connect to https://vpcep.ap-southeast-1.myhuaweicloud.com:443
 * (ECONNREFUSED): check VPCEP_ENDPOINT and the network`. `error` is what node:http or the OBS SDK threw.
 */
export function networkError(api: string, endpoint: string, error: unknown): NetworkError {
  const reason = transportReason(error);
  const where = endpointOrigin(endpoint);
  const setting = ENDPOINT_SETTINGS[api.split(':')[0] ?? ''] ?? 'the endpoint';
  if (CERT_FAILURE.test(reason)) return new CertificateError(api, where, setting, reason, { cause: error });
  const what = CONNECT_FAILURE.test(reason) ? `could not connect to ${where}` : `the connection to ${where} failed`;
  return new NetworkError(`${api} failed: ${what} (${reason}): check ${setting} and the network`, api, { cause: error });
}

/**
 * The peer's TLS certificate was refused: the handshake failed, so no request was sent. Not
 * retried: the same certificate would be refused again, and someone may be in the middle.
 */
export class CertificateError extends NetworkError {
  override name = 'CertificateError';
  constructor(api: string, where: string, setting: string, reason: string, options?: { cause?: unknown }) {
    super(
      `${api} failed: the TLS certificate of ${where} was refused (${reason}); nothing was sent. ` +
        `Check ${setting}; a private CA is trusted through NODE_EXTRA_CA_CERTS`,
      api,
      options,
    );
  }

  override get retryable(): boolean {
    return false;
  }
}

/** `scheme://host:port`, the port spelt out even when it is the scheme's default. */
export function endpointOrigin(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.protocol}//${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    return endpoint;
  }
}

// node:http and the OBS SDK reject with the socket's error (code `ECONNREFUSED`); a wrapper may hold
// it as its cause. The system error code, where there is one, says most.
function transportReason(error: unknown): string {
  let message: string | undefined;
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    const { code, message: text, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && (/^E[A-Z]+$/.test(code) || CONNECT_FAILURE.test(code) || CERT_FAILURE.test(code))) return code;
    if (typeof text === 'string' && text !== '') message = text;
    current = cause;
  }
  return message ?? String(error);
}

/** The request did not finish within its time limit (its own timeout or the run's deadline). */
export class TimeoutError extends CloudError {
  override name = 'TimeoutError';
  override get retryable(): boolean {
    return true;
  }
}

/** The service answered 2xx with a body that is not what its API documents. */
export class ResponseShapeError extends CloudError {
  override name = 'ResponseShapeError';
}

/**
 * The answer was larger than the ceiling for its kind (`limits.ts`): it was not read further, and
 * asking again would only fetch it again.
 */
export class ResponseTooLargeError extends CloudError {
  override name = 'ResponseTooLargeError';
  constructor(api: string, endpoint: string, limitBytes: number, options?: { cause?: unknown }) {
    super(
      `${api} failed: the answer from ${endpointOrigin(endpoint)} is larger than ${Math.round(limitBytes / 1024 / 1024)} MiB, ` +
        'the most this monitor reads of it; it was refused unread (a proxy or the service is misbehaving)',
      api,
      options,
    );
  }
}

/** The run's time budget cannot fit another attempt; nothing was retried. */
export class DeadlineError extends CloudError {
  override name = 'DeadlineError';
}

/**
 * The documented throttling codes: the API gateway's `APIG.0308`/`APIGW.0308` ("retry after 2–5 s",
 * in front of every service) and VPCEP's own `EndPoint.0022` "The number of requests exceeded the
 * limit", which VPCEP answers with HTTP 400, so the status alone would call it a bad request.
 */
const THROTTLING_CODES: ReadonlySet<string> = new Set(['APIG.0308', 'APIGW.0308', 'EndPoint.0022']);

export function isThrottlingCode(code: string | undefined): boolean {
  return code !== undefined && THROTTLING_CODES.has(code);
}
