/**
 * Cloud Trace Service: who accepted or rejected a connection. `GET /v3/{project_id}/traces`
 * (ListTraces) with VPCEP's `serviceConnectionsAction` traces of resource type `EndpointService`
 * ("Key Operations Recorded by CTS" in the VPCEP user guide). Every field of a trace is written by
 * CTS from what somebody sent, so each is type-checked and bounded; a trace that cannot be read is
 * skipped and counted, never allowed to cost the others.
 */
import { ResponseShapeError } from './errors.js';
import { IAM_ACTIONS } from './iam-actions.js';
import { arrayField, objectOf } from './json-shape.js';
import type { SignedClient } from './signed-client.js';
import { truncate } from '../text.js';

/** One trace, as the monitor's `CtsApi` port (`lib/monitor/ports.ts`) declares it. */
export interface CtsTrace {
  traceId: string;
  time: string;
  traceName: string;
  resourceId: string;
  connectionIds: string[];
  action?: string;
  user: { name: string; type?: string; accountName?: string; accountId?: string };
  sourceIp?: string;
}

/** ListTraces' largest page ("the maximum value is 200"). */
export const TRACES_PAGE_SIZE = 200;
/** 10,000 accepts and rejects in one run's window is far past any real project: stop there. */
export const MAX_TRACE_PAGES = 50;
/** CTS answers for the last seven days only ("records of operations ... in the last seven days"). */
export const TRACE_RETENTION_MS = 7 * 86_400_000;
export const CONNECTION_TRACE = { serviceType: 'VPCEP', resourceType: 'EndpointService', traceName: 'serviceConnectionsAction' } as const;

// Bounds of what we keep of each field. CTS's own ids are UUIDs; names are IAM user or agency
// names (at most 64 characters in IAM), a federated or assumed name can be longer.
const MAX_NAME = 128;
const MAX_IP = 64;
/** The request body is read only when this short: one action names one endpoint (a few hundred bytes). */
const MAX_REQUEST_CHARS = 64 * 1024;
const MAX_ENDPOINTS = 100;
// CTS keeps traces seven days; a time outside 2000..2100 is not one CTS wrote.
const EARLIEST_MS = Date.UTC(2000, 0, 1);
const LATEST_MS = Date.UTC(2100, 0, 1);

export interface CtsClientOptions {
  /** Told once per query how many traces could not be read and were skipped. */
  onSkipped?: (count: number, firstReason: string) => void;
}

export class CtsClient {
  constructor(
    private readonly client: SignedClient,
    private readonly projectId: string,
    private readonly options: CtsClientOptions = {},
  ) {}

  /**
   * Every `serviceConnectionsAction` trace from `fromMs` to `toMs` (at most the seven days before
   * `toMs`), newest first as CTS gives them; an empty window asks nothing. Pages follow
   * `meta_data.marker` (passed back as `next`) until CTS sends none.
   */
  async listTraces(query: { fromMs: number; toMs: number }): Promise<CtsTrace[]> {
    const api = IAM_ACTIONS.listTraces;
    const to = Math.floor(query.toMs);
    // Nothing older than seven days is kept, so a longer window asks for what cannot be there.
    const from = Math.max(Math.floor(query.fromMs), to - TRACE_RETENTION_MS);
    if (!(from <= to)) return [];
    const traces: CtsTrace[] = [];
    const seen = new Set<string>();
    const skipped: string[] = [];
    let next: string | undefined;
    for (let page = 0; page < MAX_TRACE_PAGES; page++) {
      const { body } = await this.client.request({
        api,
        method: 'GET',
        path: `/v3/${this.projectId}/traces`,
        query: {
          trace_type: 'system',
          service_type: CONNECTION_TRACE.serviceType,
          resource_type: CONNECTION_TRACE.resourceType,
          trace_name: CONNECTION_TRACE.traceName,
          from,
          to,
          limit: TRACES_PAGE_SIZE,
          next,
        },
      });
      const answer = objectOf(body, api);
      const items = arrayField(answer, 'traces', api);
      for (const item of items) {
        const read = toTrace(item);
        if (typeof read === 'string') skipped.push(read);
        else if (!seen.has(read.traceId)) {
          seen.add(read.traceId);
          traces.push(read);
        }
      }
      const marker = markerOf(answer.meta_data, api);
      // A marker repeated would ask for the same page again: the list is done (or CTS is confused).
      if (marker === undefined || items.length === 0 || marker === next) {
        if (skipped.length > 0) this.options.onSkipped?.(skipped.length, skipped[0]!);
        return traces;
      }
      next = marker;
    }
    throw new ResponseShapeError(`${api} kept announcing more pages after ${MAX_TRACE_PAGES * TRACES_PAGE_SIZE} traces`, api);
  }
}

function markerOf(meta: unknown, api: string): string | undefined {
  if (meta === undefined || meta === null) return undefined;
  const record = objectOf(meta, api);
  const marker = record.marker;
  if (marker === undefined || marker === null || marker === '') return undefined;
  if (typeof marker !== 'string' || marker.length > 256) throw new ResponseShapeError(`${api} answered with a meta_data.marker that is not a short string`, api);
  return marker;
}

/** The trace, or why it cannot be used. */
function toTrace(value: unknown): CtsTrace | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a trace that is not an object';
  const trace = value as Record<string, unknown>;
  const traceId = id(trace.trace_id);
  const resourceId = id(trace.resource_id);
  const time = trace.time;
  if (traceId === undefined) return 'a trace without trace_id';
  if (resourceId === undefined) return `trace ${traceId} without resource_id`;
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < EARLIEST_MS || time > LATEST_MS) return `trace ${traceId} without a valid time`;
  const user = typeof trace.user === 'object' && trace.user !== null && !Array.isArray(trace.user) ? (trace.user as Record<string, unknown>) : {};
  const domain = typeof user.domain === 'object' && user.domain !== null && !Array.isArray(user.domain) ? (user.domain as Record<string, unknown>) : {};
  const request = requestOf(trace.request);
  const type = text(user.type, MAX_NAME);
  const accountName = text(domain.name, MAX_NAME);
  const accountId = id(domain.id) ?? id(user.account_id);
  const sourceIp = text(trace.source_ip, MAX_IP);
  return {
    traceId,
    time: new Date(time).toISOString(),
    traceName: text(trace.trace_name, MAX_NAME) ?? '',
    resourceId,
    connectionIds: request.connectionIds,
    ...(request.action === undefined ? {} : { action: request.action }),
    user: {
      // An assumed agency may carry only user_name; no name at all is said as such, never guessed.
      name: text(user.name, MAX_NAME) ?? text(user.user_name, MAX_NAME) ?? '',
      ...(type === undefined ? {} : { type }),
      ...(accountName === undefined ? {} : { accountName }),
      ...(accountId === undefined ? {} : { accountId }),
    },
    ...(sourceIp === undefined ? {} : { sourceIp }),
  };
}

/** CTS gives the action's body as a JSON string: `{"action":"receive","endpoints":["…"]}`. */
function requestOf(value: unknown): { connectionIds: string[]; action?: string } {
  if (typeof value !== 'string' || value.length > MAX_REQUEST_CHARS) return { connectionIds: [] };
  let body: unknown;
  try {
    body = JSON.parse(value);
  } catch {
    return { connectionIds: [] };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { connectionIds: [] };
  const record = body as Record<string, unknown>;
  const endpoints = Array.isArray(record.endpoints) ? record.endpoints.slice(0, MAX_ENDPOINTS) : [];
  const connectionIds = endpoints.flatMap((endpoint) => id(endpoint) ?? []);
  const action = text(record.action, 16);
  return { connectionIds, ...(action === undefined ? {} : { action }) };
}

/** An id is used whole or not at all: a cut one would match something else, or nothing. */
function id(value: unknown): string | undefined {
  return typeof value === 'string' && /^[\w.:-]{1,64}$/.test(value) ? value : undefined;
}

/** A non-blank string, cut to `max` characters; anything else is absent. */
function text(value: unknown, max: number): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? truncate(value, max) : undefined;
}
