/**
 * Cloud Eye (CES) custom metrics behind its gateway: `POST /V1.0/{project_id}/metric-data`,
 * checked against exactly the rules the API reference documents (see the reference's "Cloud Eye"
 * entry), answering 201 with no body, and keeping every datum it accepted with its receive time.
 */
import { API, unknownApi } from './api-names.js';
import * as apigw from './apigw.js';
import { ServiceError } from './errors.js';
import type { EmulatorContext, EmulatorResponse, IncomingRequest, ServiceEndpoint } from './http.js';
import { jsonResponse, tryDecode } from './http.js';
import type { ApiCall, CesErrorShape, ReceivedMetric } from './types.js';

// Codes from Cloud Eye's error-code page: ces.0001 "The content must be specified.", ces.0003 the
// project ID is blank or incorrect, ces.0009 (403) "Adding SYS metric is not allowed", ces.0014
// "Some content in message body is not correct".
const ERROR_CODES = { empty: 'ces.0001', project: 'ces.0003', systemMetric: 'ces.0009', body: 'ces.0014' } as const;

/** "The size of a POST request cannot exceed 512 KB." */
const MAX_BODY_BYTES = 512 * 1024;
const MAX_TTL_SECONDS = 604_800;
const PAST_WINDOW_MS = 3 * 24 * 3_600_000;
const FUTURE_WINDOW_MS = 10 * 60_000;
const MAX_DIMENSIONS = 4;
const MAX_UNIT_LENGTH = 32;

// The metric-data API reference: namespace `service.item`, 3–32 characters in total, each part a
// letter first, then letters, digits and underscores; the service part may not start with SYS
// (Cloud Eye's own metrics: 403 ces.0009), AGT or SRE, and SERVICE.BMS is reserved.
const NAMESPACE = /^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*$/;
const NAMESPACE_LENGTH = { min: 3, max: 32 } as const;
const RESERVED_PREFIXES = ['AGT', 'SRE'] as const;
const RESERVED_NAMESPACES = new Set(['SERVICE.BMS']);
const METRIC_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const DIMENSION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
// A letter or digit first, then letters, digits, _ or -: no dot.
const DIMENSION_VALUE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,255}$/;
const TYPES = new Set(['int', 'float']);

function invalid(path: string, rule: string): ServiceError {
  return new ServiceError(400, ERROR_CODES.body, `Some content in message body is not correct: ${path} ${rule}.`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

function checkDimensions(raw: unknown, path: string): { name: string; value: string }[] {
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > MAX_DIMENSIONS) {
    throw invalid(path, `must be an array of 1 to ${MAX_DIMENSIONS} dimensions`);
  }
  return raw.map((dimension, index) => {
    const at = `${path}[${index}]`;
    if (!isObject(dimension)) throw invalid(at, 'must be an object with name and value');
    const { name, value } = dimension;
    if (typeof name !== 'string' || !DIMENSION_NAME.test(name)) {
      throw invalid(`${at}.name`, 'must be 1 to 32 characters, a letter first, then letters, digits, _ or -');
    }
    if (typeof value !== 'string' || !DIMENSION_VALUE.test(value)) {
      throw invalid(`${at}.value`, 'must be 1 to 256 characters, a letter or digit first, then letters, digits, _ or - (no dot)');
    }
    return { name, value };
  });
}

/** One datum, checked field by field; `now` is the emulator's clock. */
function checkDatum(raw: unknown, index: number, now: Date): Omit<ReceivedMetric, 'receivedAt'> {
  const path = `[${index}]`;
  if (!isObject(raw)) throw invalid(path, 'must be an object');
  const { metric, ttl, collect_time: collectTime, value, unit, type } = raw;
  if (!isObject(metric)) throw invalid(`${path}.metric`, 'must be an object with namespace, metric_name and dimensions');
  const { namespace, metric_name: metricName } = metric;
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) {
    throw invalid(`${path}.metric.namespace`, 'must be service.item, each part a letter first, then letters, digits or _');
  }
  if (namespace.length < NAMESPACE_LENGTH.min || namespace.length > NAMESPACE_LENGTH.max) {
    throw invalid(`${path}.metric.namespace`, `must be ${NAMESPACE_LENGTH.min} to ${NAMESPACE_LENGTH.max} characters in total, not ${namespace.length}`);
  }
  const servicePart = namespace.slice(0, namespace.indexOf('.'));
  if (servicePart.startsWith('SYS')) {
    throw new ServiceError(403, ERROR_CODES.systemMetric, `Adding SYS metric is not allowed: ${path}.metric.namespace is ${namespace}.`);
  }
  const prefix = RESERVED_PREFIXES.find((reserved) => servicePart.startsWith(reserved));
  if (prefix !== undefined) throw invalid(`${path}.metric.namespace`, `must not start with the reserved ${prefix}`);
  if (RESERVED_NAMESPACES.has(namespace)) throw invalid(`${path}.metric.namespace`, `must not be the reserved ${namespace}`);
  if (typeof metricName !== 'string' || !METRIC_NAME.test(metricName)) {
    throw invalid(`${path}.metric.metric_name`, 'must be 1 to 64 characters, a letter first, then letters, digits or _');
  }
  const dimensions = checkDimensions(metric.dimensions, `${path}.metric.dimensions`);
  if (!isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) throw invalid(`${path}.ttl`, `must be an integer from 1 to ${MAX_TTL_SECONDS} seconds`);
  if (!isInteger(collectTime)) throw invalid(`${path}.collect_time`, 'must be a UNIX time in milliseconds');
  const earliest = now.getTime() - PAST_WINDOW_MS;
  const latest = now.getTime() + FUTURE_WINDOW_MS;
  if (collectTime < earliest || collectTime > latest) {
    throw invalid(`${path}.collect_time`, `must lie between 3 days before and 10 minutes after the current time (${new Date(earliest).toISOString()} to ${new Date(latest).toISOString()})`);
  }
  if (typeof value !== 'number') throw invalid(`${path}.value`, 'must be a number');
  if (unit !== undefined && (typeof unit !== 'string' || unit.length > MAX_UNIT_LENGTH)) {
    throw invalid(`${path}.unit`, `must be a string of at most ${MAX_UNIT_LENGTH} characters`);
  }
  if (type !== undefined && (typeof type !== 'string' || !TYPES.has(type))) throw invalid(`${path}.type`, 'must be int or float');
  const datum: Omit<ReceivedMetric, 'receivedAt'> = { namespace, metricName, dimensions, ttl, collectTime, value };
  if (unit !== undefined) datum.unit = unit;
  if (type !== undefined) datum.type = type as 'int' | 'float';
  return datum;
}

export class CesEndpoint implements ServiceEndpoint {
  readonly name = 'ces' as const;

  constructor(
    private readonly context: EmulatorContext,
    private readonly received: ReceivedMetric[],
    private readonly errorShape: CesErrorShape = 'http_code',
  ) {}

  classify(method: string, rawPath: string): string {
    return this.route(method, rawPath) === undefined ? unknownApi('ces') : API.createMetricData;
  }

  handle(request: IncomingRequest, call: ApiCall): EmulatorResponse {
    return apigw.serveBehindGateway(this.route(request.method, request.rawPath), request, call, this.context, (projectId) => {
      if (projectId !== this.context.projectId) throw new ServiceError(400, ERROR_CODES.project, 'The tenant ID is left blank or incorrect.');
      const accepted = this.accept(request.body);
      const receivedAt = this.context.now();
      // All or nothing: one bad datum refuses the request, so nothing is kept before every one is checked.
      for (const datum of accepted) this.received.push({ ...datum, receivedAt });
      return { status: 201, headers: apigw.requestIdHeader(), body: Buffer.alloc(0) };
    }, (error) => this.error(error));
  }

  readonly faultResponse = apigw.faultResponse;
  readonly malformedResponse = apigw.malformedResponse;
  readonly tooLarge = apigw.tooLarge;

  /**
   * Cloud Eye's v1 error body. Its error-code page (https://support.huaweicloud.com/intl/en-us/api-ces/ErrorCode.html,
   * "v1 Example Response") shows `{"http_code": "403", "message": {"details", "code"}}`; that is the
   * default. Older regional copies of the page (e.g. …/eu-west-0-api-ces/ces_03_0056.html) show
   * `{"code": 400, "element": "Bad Request", "message": "…", "details": {"details", "code"}}`, whose
   * numeric `code` the Go v3 SDK cannot read; a test can choose it. Which one the live service sends
   * is unconfirmed: our client reads both.
   */
  private error(error: ServiceError): EmulatorResponse {
    const body = this.errorShape === 'http_code'
      ? { http_code: String(error.status), message: { details: error.message, code: error.code } }
      : {
          code: error.status,
          element: error.status === 403 ? 'Forbidden' : 'Bad Request',
          message: 'The system received a request which cannot be recognized',
          details: { details: error.message, code: error.code },
        };
    return jsonResponse(error.status, body, apigw.requestIdHeader());
  }

  private route(method: string, rawPath: string): string | undefined {
    const segments = rawPath.split('/');
    if (method !== 'POST' || segments.length !== 4 || segments[0] !== '' || segments[1] !== 'V1.0' || segments[3] !== 'metric-data') return undefined;
    const projectId = tryDecode(segments[2] ?? '');
    return projectId === undefined || projectId === '' ? undefined : projectId;
  }

  private accept(body: Buffer): Omit<ReceivedMetric, 'receivedAt'>[] {
    if (body.length === 0) throw new ServiceError(400, ERROR_CODES.empty, 'The content must be specified.');
    if (body.length > MAX_BODY_BYTES) throw invalid('the request body', `is ${body.length} bytes, more than 512 KB`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw invalid('the request body', 'is not valid JSON');
    }
    if (!Array.isArray(parsed)) throw invalid('the request body', 'must be a JSON array of metric data');
    if (parsed.length === 0) throw new ServiceError(400, ERROR_CODES.empty, 'The content must be specified: the array holds no metric data.');
    const now = this.context.now();
    return parsed.map((datum, index) => checkDatum(datum, index, now));
  }
}
