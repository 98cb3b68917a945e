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
 * The service answered with an error status. `code` is VPCEP's `error_code`, SMN's `code`, OBS's
 * `Code` or the API gateway's `APIGW.xxxx`; `requestId` is what Huawei support asks for.
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

  /** Throttling (HTTP 429 or the gateway's APIG.0308 on any status) and server errors are retried. */
  override get retryable(): boolean {
    return this.status === 429 || this.status >= 500 || isThrottlingCode(this.code);
  }
}

/** No usable answer: connection refused or reset, DNS failure, a body cut short. */
export class NetworkError extends CloudError {
  override name = 'NetworkError';
  override get retryable(): boolean {
    return true;
  }
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

/** The run's time budget cannot fit another attempt; nothing was retried. */
export class DeadlineError extends CloudError {
  override name = 'DeadlineError';
}

export function isThrottlingCode(code: string | undefined): boolean {
  return code === 'APIG.0308' || code === 'APIGW.0308';
}
