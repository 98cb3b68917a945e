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
import type { ApiCall, ReceivedMetric } from './types.js';

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

// `service.item`, each part 3–32 characters, a letter first, then letters, digits and underscores.
const NAMESPACE = /^[A-Za-z][A-Za-z0-9_]{2,31}\.[A-Za-z][A-Za-z0-9_]{2,31}$/;
const RESERVED_NAMESPACES = new Set(['AGT.ECS', 'SERVICE.BMS']);
const METRIC_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const DIMENSION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
const DIMENSION_VALUE = /^[A-Za-z0-9_.-]{1,256}$/;
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
      throw invalid(`${at}.value`, 'must be 1 to 256 characters of letters, digits, _, . or -');
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
    throw invalid(`${path}.metric.namespace`, 'must be service.item, each part 3 to 32 characters, a letter first, then letters, digits or _');
  }
  if (namespace.split('.')[0] === 'SYS') {
    throw new ServiceError(403, ERROR_CODES.systemMetric, `Adding SYS metric is not allowed: ${path}.metric.namespace is ${namespace}.`);
  }
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

  /** The V1.0 error body of Cloud Eye's error-code page; the code is in `details.code`. */
  private error(error: ServiceError): EmulatorResponse {
    const element = error.status === 403 ? 'Forbidden' : 'Bad Request';
    return jsonResponse(
      error.status,
      { code: error.status, element, message: 'The system received a request which cannot be recognized', details: { details: error.message, code: error.code } },
      apigw.requestIdHeader(),
    );
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
