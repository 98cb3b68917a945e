/**
 * Cloud Trace Service v3, the one call the monitor makes: ListTraces (`GET /v3/{project_id}/traces`,
 * api-cts cts_api_0311). Traces are recorded by the rest of the local cloud (an accept or reject
 * through the VPCEP API or the console) or by a test, kept seven days as CTS keeps them, and
 * listed newest first in pages of at most 200, the next page asked for with `next` = the previous
 * page's `meta_data.marker`. Query parameters are checked as the reference documents them.
 */
import { randomUUID } from 'node:crypto';
import { API, unknownApi } from './api-names.js';
import * as apigw from './apigw.js';
import { ServiceError } from './errors.js';
import type { EmulatorContext, EmulatorResponse, IncomingRequest, ServiceEndpoint } from './http.js';
import { jsonResponse, queryMap, tryDecode } from './http.js';
import type { ApiCall, EmulatedTrace, TraceSeed, TraceUser } from './types.js';

/** "Records of operations on resources in the last seven days." */
export const TRACE_RETENTION_MS = 7 * 86_400_000;
const MAX_LIMIT = 200;
const DEFAULT_LIMIT = 10;
const DEFAULT_WINDOW_MS = 3_600_000;
const TRACE_RATINGS = new Set(['normal', 'warning', 'incident']);

// CTS's error codes (api-cts ErrorCode: `{"error_code":"CTS.XXX","error_msg"}`).
const ERROR_CODES = { project: 'CTS.0004', query: 'CTS.0005' } as const;

/** Who the local cloud's account is, for the traces' `user.domain`. */
export interface TraceAccount {
  domainId: string;
  domainName: string;
}

/** The traces of the local cloud, oldest first; what is past retention is dropped when read. */
export class CtsStore {
  private traces: EmulatedTrace[] = [];
  /** How long after its operation a trace is recorded (and so listed). */
  delayMs = 0;

  constructor(private readonly account: TraceAccount) {}

  record(seed: TraceSeed, resourceName: string, now: Date): EmulatedTrace {
    const time = (seed.time ?? now).getTime();
    const user: TraceUser = seed.user ?? { type: 'User', name: 'local-admin' };
    const trace: EmulatedTrace = {
      trace_id: randomUUID(),
      trace_name: seed.traceName ?? 'serviceConnectionsAction',
      trace_rating: 'normal',
      trace_type: seed.traceType ?? 'ApiCall',
      service_type: 'VPCEP',
      resource_type: 'EndpointService',
      resource_id: seed.serviceId,
      resource_name: resourceName,
      request: seed.rawRequest ?? JSON.stringify({ ...(seed.action === undefined ? {} : { action: seed.action }), endpoints: seed.connectionIds ?? [] }),
      response: '',
      code: '200',
      time,
      // CTS records a trace a moment after the operation; a minute or two is not unusual.
      record_time: Math.max(time, now.getTime()) + this.delayMs,
      user: {
        ...(user.type === undefined ? {} : { type: user.type }),
        name: user.name,
        domain: { id: this.account.domainId, name: this.account.domainName },
        account_id: this.account.domainId,
      },
      source_ip: seed.sourceIp ?? '127.0.0.1',
      request_id: randomUUID(),
    };
    // Kept in time order, however late a test records one.
    let at = this.traces.length;
    while (at > 0 && this.traces[at - 1]!.time > time) at--;
    this.traces.splice(at, 0, trace);
    return trace;
  }

  /** The traces recorded by `now` and still kept, newest first (copies). */
  retained(now: Date): EmulatedTrace[] {
    const oldest = now.getTime() - TRACE_RETENTION_MS;
    this.traces = this.traces.filter((trace) => trace.time >= oldest);
    return [...this.traces]
      .filter((trace) => trace.record_time <= now.getTime())
      .reverse()
      .map((trace) => ({ ...trace, user: { ...trace.user, domain: { ...trace.user.domain } } }));
  }

  /** Every trace kept, oldest first, for a world file. */
  exportTraces(): EmulatedTrace[] {
    return this.traces.map((trace) => ({ ...trace, user: { ...trace.user, domain: { ...trace.user.domain } } }));
  }

  importTraces(traces: readonly EmulatedTrace[]): void {
    this.traces = [...this.traces, ...traces.map((trace) => ({ ...trace }))].sort((a, b) => a.time - b.time);
  }
}

export class CtsEndpoint implements ServiceEndpoint {
  readonly name = 'cts' as const;

  constructor(
    private readonly context: EmulatorContext,
    private readonly store: CtsStore,
  ) {}

  classify(method: string, rawPath: string): string {
    return this.route(method, rawPath) === undefined ? unknownApi('cts') : API.listTraces;
  }

  handle(request: IncomingRequest, call: ApiCall): EmulatorResponse {
    return apigw.serveBehindGateway(this.route(request.method, request.rawPath), request, call, this.context, (projectId) => {
      if (projectId !== this.context.projectId) throw new ServiceError(400, ERROR_CODES.project, 'Invalid project ID. Check whether the project ID is correct.');
      return jsonResponse(200, this.list(queryMap(request.rawQuery)), apigw.requestIdHeader());
    }, (error) => jsonResponse(error.status, { error_code: error.code, error_msg: error.message }, apigw.requestIdHeader()));
  }

  readonly faultResponse = apigw.faultResponse;
  readonly malformedResponse = apigw.malformedResponse;
  readonly tooLarge = apigw.tooLarge;

  private route(method: string, rawPath: string): string | undefined {
    const segments = rawPath.split('/');
    if (method !== 'GET' || segments.length !== 4 || segments[0] !== '' || segments[1] !== 'v3' || segments[3] !== 'traces') return undefined;
    const projectId = tryDecode(segments[2] ?? '');
    return projectId === undefined || projectId === '' ? undefined : projectId;
  }

  private list(query: Map<string, string>): unknown {
    const traceType = query.get('trace_type');
    if (traceType !== 'system' && traceType !== 'data') throw invalid('trace_type', 'is required: system or data');
    const limit = integer(query, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT);
    const now = this.context.now().getTime();
    // "The parameters from and to should be used together."
    if (query.has('from') !== query.has('to')) throw invalid(query.has('from') ? 'to' : 'from', 'must be given with the other of from and to');
    const from = timestamp(query, 'from') ?? now - DEFAULT_WINDOW_MS;
    const to = timestamp(query, 'to') ?? now;
    if (from > to) throw invalid('from', 'must not be later than to');
    const rating = query.get('trace_rating');
    if (rating !== undefined && !TRACE_RATINGS.has(rating)) throw invalid('trace_rating', 'must be normal, warning or incident');
    if (traceType === 'data') {
      if (!query.has('tracker_name')) throw invalid('tracker_name', 'is required for data traces');
      return { traces: [], meta_data: { count: 0, marker: null } };
    }
    const filters = ['service_type', 'resource_type', 'resource_id', 'resource_name', 'trace_name', 'trace_id', 'trace_rating'] as const;
    const user = query.get('user');
    let matching = this.store.retained(this.context.now()).filter((trace) =>
      trace.time >= from && trace.time <= to &&
      filters.every((name) => !query.has(name) || trace[name] === query.get(name)) &&
      (user === undefined || trace.user.name === user));
    const next = query.get('next');
    if (next !== undefined) {
      // "Traces generated earlier than" the marker: those after it in newest-first order.
      const at = matching.findIndex((trace) => trace.trace_id === next);
      if (at < 0) throw invalid('next', 'is not the marker of a trace of this query');
      matching = matching.slice(at + 1);
    }
    const page = matching.slice(0, limit);
    const more = matching.length > page.length;
    return { traces: page, meta_data: { count: page.length, marker: more ? page[page.length - 1]!.trace_id : null } };
  }
}

function invalid(name: string, rule: string): ServiceError {
  return new ServiceError(400, ERROR_CODES.query, `Invalid query criteria: ${name} ${rule}.`);
}

function integer(query: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === undefined) return fallback;
  const value = /^[0-9]{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max)) throw invalid(name, `must be an integer from ${min} to ${max}`);
  return value;
}

/** "A UTC millisecond timestamp ... contains 13 digits." */
function timestamp(query: Map<string, string>, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === undefined) return undefined;
  if (!/^[0-9]{13}$/.test(raw)) throw invalid(name, 'must be a UTC timestamp in milliseconds (13 digits)');
  return Number(raw);
}
