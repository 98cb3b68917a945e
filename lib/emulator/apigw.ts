/**
 * Answers that come from API Gateway, the layer in front of VPCEP, SMN and Cloud Eye, in its own
 * body shape `{"error_code","error_msg","request_id"}`: authentication failures, unknown APIs,
 * oversized bodies and injected faults the test gave no body for.
 */
import { randomUUID } from 'node:crypto';
import { verifyApigSignature } from './apig-signature.js';
import type { EmulatorContext, EmulatorResponse, IncomingRequest } from './http.js';
import { jsonResponse } from './http.js';
import type { ApiCall } from './types.js';
import { ServiceError } from './errors.js';

export function requestIdHeader(): Record<string, string> {
  return { 'X-Request-Id': randomUUID() };
}

export function apigwError(status: number, code: string, message: string): EmulatorResponse {
  const headers = requestIdHeader();
  return jsonResponse(status, { error_code: code, error_msg: message, request_id: headers['X-Request-Id'] }, headers);
}

export function authFailed(): EmulatorResponse {
  return apigwError(401, 'APIGW.0301', 'Incorrect IAM authentication information: verify aksk signature fail');
}

export function noSuchApi(): EmulatorResponse {
  return apigwError(404, 'APIGW.0101', 'The API does not exist or has not been published in the environment');
}

/**
 * A request through the gateway to a service: the gateway resolves the API before it
 * authenticates (an unknown path is a 404 even unsigned), then the service `serve`s the matched
 * `route`; a ServiceError it throws is answered in the service's own error shape (`renderError`).
 */
export function serveBehindGateway<Route>(
  route: Route | undefined,
  request: IncomingRequest,
  call: ApiCall,
  context: EmulatorContext,
  /** `ak`: the access key whose signature the gateway accepted (who CTS will name). */
  serve: (route: Route, ak: string) => EmulatorResponse,
  renderError: (error: ServiceError) => EmulatorResponse,
): EmulatorResponse {
  if (route === undefined) return noSuchApi();
  const auth = verifyApigSignature(request, context.credentials, context.now());
  if (!auth.ok) {
    call.authFailure = auth.reason;
    return authFailed();
  }
  try {
    return serve(route, auth.ak);
  } catch (error) {
    if (error instanceof ServiceError) return renderError(error);
    throw error;
  }
}

export function tooLarge(): EmulatorResponse {
  return apigwError(413, 'APIGW.0201', 'Request entity too large');
}

/**
 * An injected status. Without a body from the test, the gateway's own error: throttling is
 * APIGW.0308 (docs: "retry after 2–5 s"), 5xx a backend failure.
 */
export function faultResponse(status: number, body: unknown, retryAfter: number | undefined): EmulatorResponse {
  const extra: Record<string, string> = retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) };
  let response: EmulatorResponse;
  if (body !== undefined) response = jsonResponse(status, body, requestIdHeader());
  else if (status === 429) response = apigwError(status, 'APIGW.0308', 'The throttling threshold has been reached');
  else if (status >= 500) response = apigwError(status, 'APIGW.0203', 'Backend unavailable');
  else response = apigwError(status, 'APIGW.0199', 'Injected fault');
  Object.assign(response.headers, extra);
  return response;
}

export function malformedResponse(body: string): EmulatorResponse {
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json;charset=UTF-8', ...requestIdHeader() },
    body: Buffer.from(body, 'utf8'),
  };
}
