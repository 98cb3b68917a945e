import * as apigw from './apigw';
import type { EmulatorContext, EmulatorResponse, IncomingRequest, ServiceEndpoint } from './http';
import { jsonResponse, queryMap, tryDecode } from './http';
import type { ApiCall } from './types';
import type { ConnectionRecord, ConnectionSortKey, ServiceRecord, VpcepStore } from './vpcep-store';
import { connectionToWire, formatApiTime } from './vpcep-store';

// Error codes from the VPCEP API reference; the statuses are the documented ones.
const E = {
  parameter: 'EndPoint.0002',
  permission: 'EndPoint.0004',
  notFound: 'EndPoint.0005',
  limit: 'EndPoint.0006',
  action: 'EndPoint.0007',
  offset: 'EndPoint.0010',
  sortKey: 'EndPoint.0017',
  sortDir: 'EndPoint.0018',
  status: 'EndPoint.0019',
} as const;

const CONNECTION_STATUSES = new Set(['pendingAcceptance', 'creating', 'accepted', 'rejected', 'failed', 'deleting']);
const SERVICE_STATUSES = new Set(['creating', 'available', 'failed', 'deleting']);

/** Thrown inside a handler to answer with a VPCEP error body. */
class VpcepError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'VpcepError';
  }
}

type Route =
  | { api: 'vpcep:listServices'; projectId: string }
  | { api: 'vpcep:listConnections'; projectId: string; serviceId: string }
  | { api: 'vpcep:action'; projectId: string; serviceId: string };

function route(method: string, rawPath: string): Route | undefined {
  const seg = rawPath.split('/').map((s) => tryDecode(s) ?? s);
  if (seg[0] !== '' || seg[1] !== 'v1' || seg[3] !== 'vpc-endpoint-services') return undefined;
  const projectId = seg[2] ?? '';
  if (seg.length === 4 && method === 'GET') return { api: 'vpcep:listServices', projectId };
  const serviceId = seg[4] ?? '';
  if (seg[5] !== 'connections' || serviceId === '') return undefined;
  if (seg.length === 6 && method === 'GET') return { api: 'vpcep:listConnections', projectId, serviceId };
  if (seg.length === 7 && seg[6] === 'action' && method === 'POST') return { api: 'vpcep:action', projectId, serviceId };
  return undefined;
}

function integerParam(query: Map<string, string>, name: string, fallback: number, min: number, max: number, code: string): number {
  const raw = query.get(name);
  if (raw === undefined) return fallback;
  const value = /^[0-9]{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) {
    throw new VpcepError(400, code, `Invalid parameter ${name}: must be an integer from ${min} to ${max}.`);
  }
  return value;
}

function sortDirParam(query: Map<string, string>): 'asc' | 'desc' {
  const raw = query.get('sort_dir') ?? 'desc';
  if (raw !== 'asc' && raw !== 'desc') throw new VpcepError(400, E.sortDir, 'Invalid parameter sort_dir: must be asc or desc.');
  return raw;
}

/** The page [offset, offset+limit) of an ascending list read in `dir` order, without copying the rest. */
function page<T>(ascending: readonly T[], dir: 'asc' | 'desc', offset: number, limit: number): T[] {
  const n = ascending.length;
  const out: T[] = [];
  for (let i = offset; i < n && out.length < limit; i++) {
    out.push(ascending[dir === 'asc' ? i : n - 1 - i] as T);
  }
  return out;
}

export class VpcepEndpoint implements ServiceEndpoint {
  readonly name = 'vpcep' as const;

  constructor(
    private readonly ctx: EmulatorContext,
    private readonly store: VpcepStore,
  ) {}

  classify(method: string, rawPath: string): string {
    return route(method, rawPath)?.api ?? 'vpcep:unknown';
  }

  handle(req: IncomingRequest, call: ApiCall): EmulatorResponse {
    const r = route(req.method, req.rawPath);
    const refusal = apigw.gatewayRefusal(r !== undefined, req, call, this.ctx);
    if (refusal || r === undefined) return refusal ?? apigw.noSuchApi();
    try {
      if (r.projectId !== this.ctx.projectId) {
        throw new VpcepError(403, E.permission, 'You do not have permission to access this project.');
      }
      const query = queryMap(req.rawQuery);
      switch (r.api) {
        case 'vpcep:listServices':
          return this.ok(this.listServices(query));
        case 'vpcep:listConnections':
          return this.ok(this.listConnections(r.serviceId, query));
        case 'vpcep:action':
          return this.ok(this.action(r.serviceId, req.body));
      }
    } catch (err) {
      if (err instanceof VpcepError) return this.error(err.status, err.code, err.message);
      throw err;
    }
  }

  readonly faultResponse = apigw.faultResponse;
  readonly malformedResponse = apigw.malformedResponse;
  readonly tooLarge = apigw.tooLarge;

  private ok(value: unknown): EmulatorResponse {
    return jsonResponse(200, value, apigw.requestIdHeader());
  }

  private error(status: number, code: string, message: string): EmulatorResponse {
    return jsonResponse(status, { error_code: code, error_msg: message }, apigw.requestIdHeader());
  }

  private listServices(query: Map<string, string>): unknown {
    // limit=0 is inside the documented 0–1000 range; we answer it as a count-only query (no
    // items, real total_count) rather than guess that it means "everything".
    const limit = integerParam(query, 'limit', 10, 0, 1000, E.limit);
    const offset = integerParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER, E.offset);
    // Sources disagree on created_at vs create_at, so both spellings are accepted here.
    const sortKeyRaw = query.get('sort_key') ?? 'created_at';
    const sortKey: ConnectionSortKey | undefined =
      sortKeyRaw === 'created_at' || sortKeyRaw === 'create_at' ? 'create'
        : sortKeyRaw === 'updated_at' || sortKeyRaw === 'update_at' ? 'update'
          : undefined;
    if (sortKey === undefined) throw new VpcepError(400, E.sortKey, 'Invalid parameter sort_key.');
    const dir = sortDirParam(query);
    const status = query.get('status');
    if (status !== undefined && !SERVICE_STATUSES.has(status)) throw new VpcepError(400, E.status, 'Invalid parameter status.');

    const id = query.get('id');
    const nameFilter = query.get('endpoint_service_name');
    const time = sortKey === 'create' ? (s: ServiceRecord) => s.createdMs : (s: ServiceRecord) => s.updatedMs;
    // Every emulated service is 'available'.
    const statusMatches = status === undefined || status === 'available';
    const matching = this.store
      .allServices()
      .filter((s) => statusMatches && (id === undefined || s.id === id) && (nameFilter === undefined || s.serviceName.includes(nameFilter)))
      .sort((a, b) => time(a) - time(b) || a.seq - b.seq);
    return {
      endpoint_services: page(matching, dir, offset, limit).map((s) => this.serviceToWire(s)),
      total_count: matching.length,
    };
  }

  private serviceToWire(s: ServiceRecord): unknown {
    return {
      id: s.id,
      service_name: s.serviceName,
      status: 'available',
      approval_enabled: s.approvalEnabled,
      vpc_id: s.vpcId,
      service_type: 'interface',
      server_type: 'VM',
      created_at: formatApiTime(s.createdMs),
      updated_at: formatApiTime(s.updatedMs),
      project_id: this.ctx.projectId,
      connection_count: s.connections.size,
    };
  }

  private requireService(serviceId: string): ServiceRecord {
    const service = this.store.service(serviceId);
    if (service === undefined) throw new VpcepError(404, E.notFound, `Endpoint service ${serviceId} not found.`);
    return service;
  }

  private listConnections(serviceId: string, query: Map<string, string>): unknown {
    const limit = integerParam(query, 'limit', 10, 1, 1000, E.limit);
    const offset = integerParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER, E.offset);
    const sortKeyRaw = query.get('sort_key') ?? 'create_at';
    if (sortKeyRaw !== 'create_at' && sortKeyRaw !== 'update_at') {
      throw new VpcepError(400, E.sortKey, 'Invalid parameter sort_key: must be create_at or update_at.');
    }
    const sortKey: ConnectionSortKey = sortKeyRaw === 'create_at' ? 'create' : 'update';
    const dir = sortDirParam(query);
    const status = query.get('status');
    if (status !== undefined && !CONNECTION_STATUSES.has(status)) throw new VpcepError(400, E.status, 'Invalid parameter status.');
    const markerRaw = query.get('marker_id');
    if (markerRaw !== undefined && !/^[0-9]{1,15}$/.test(markerRaw)) throw new VpcepError(400, E.parameter, 'Invalid parameter marker_id.');
    const id = query.get('id');

    const service = this.requireService(serviceId);
    let ascending: readonly ConnectionRecord[];
    if (id !== undefined || markerRaw !== undefined) {
      // id and marker_id each select at most one connection: look it up instead of scanning.
      const one = id !== undefined ? service.connections.get(id) : service.byMarker.get(Number(markerRaw));
      const matches =
        one !== undefined &&
        (markerRaw === undefined || one.markerId === Number(markerRaw)) &&
        (status === undefined || one.status === status);
      ascending = matches ? [one] : [];
    } else {
      ascending = this.store.sortedConnections(service, sortKey, status);
    }
    return {
      connections: page(ascending, dir, offset, limit).map(connectionToWire),
      total_count: ascending.length,
    };
  }

  private action(serviceId: string, body: Buffer): unknown {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new VpcepError(400, E.parameter, 'The request body is not valid JSON.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new VpcepError(400, E.parameter, 'The request body must be a JSON object.');
    }
    const { action, endpoints } = parsed as { action?: unknown; endpoints?: unknown };
    if (!Array.isArray(endpoints) || !endpoints.every((e): e is string => typeof e === 'string' && e !== '')) {
      throw new VpcepError(400, E.parameter, 'Invalid parameter endpoints: must be an array of endpoint ids.');
    }
    // VPCEP handles exactly one endpoint per action request.
    if (endpoints.length !== 1) {
      throw new VpcepError(400, E.parameter, 'Invalid parameter endpoints: exactly one endpoint id per request.');
    }
    // Accepting is spelled `receive`.
    if (action !== 'receive' && action !== 'reject') {
      throw new VpcepError(400, E.action, 'Invalid parameter action: must be receive or reject.');
    }
    const service = this.requireService(serviceId);
    const endpointId = endpoints[0] as string;
    const connection = service.connections.get(endpointId);
    if (connection === undefined) throw new VpcepError(404, E.notFound, `Endpoint ${endpointId} not found.`);
    const target = action === 'receive' ? 'accepted' : 'rejected';
    // Unconfirmed: which statuses the API refuses to act on. We allow the transitions the console
    // offers (pending, accepted and rejected connections can be accepted or rejected) and refuse
    // connections that are still being created, are being deleted or have failed.
    if (!['pendingAcceptance', 'accepted', 'rejected'].includes(connection.status)) {
      throw new VpcepError(400, E.parameter, `Endpoint ${endpointId} in status ${connection.status} cannot be ${target}.`);
    }
    if (connection.status !== target) this.store.setStatus(service, connection, target, this.ctx.now());
    return { connections: [connectionToWire(connection)] };
  }
}
