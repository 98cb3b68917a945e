/**
 * The VPC Endpoint API v1 behind its gateway: list endpoint services, show one (the same shape as
 * a listed one, built by `serviceToWire`), list one service's
 * connections, accept (`receive`) or reject one connection (told to CTS), list a service's
 * whitelist. Parameters are checked as the API
 * reference documents them, with its EndPoint.* error codes.
 */
import { API, unknownApi } from './api-names.js';
import * as apigw from './apigw.js';
import { ServiceError } from './errors.js';
import type { EmulatorContext, EmulatorResponse, IncomingRequest, ServiceEndpoint } from './http.js';
import { jsonObjectBody, jsonResponse, queryMap, tryDecode } from './http.js';
import type { ApiCall, VpcepErrorShape } from './types.js';
import type { ConnectionRecord, ConnectionSortKey, ServiceRecord, VpcepStore } from './vpcep-store.js';

/**
 * The statuses accept and reject act on. Unconfirmed: which ones the API refuses. We allow what the
 * console offers (pending, accepted and rejected connections can be accepted or rejected) and refuse
 * connections still being created, being deleted, or failed. The emulator's console follows it too.
 */
export const ACTIONABLE_STATUSES: readonly string[] = ['pendingAcceptance', 'accepted', 'rejected'];
import { connectionToWire, endpointServiceToWire, permissionToWire } from './vpcep-store.js';

// Error codes from the VPCEP API reference.
const ERROR_CODES = {
  parameter: 'EndPoint.0002',
  permission: 'EndPoint.0004',
  notFound: 'EndPoint.0005',
  limit: 'EndPoint.0006',
  action: 'EndPoint.0007',
  offset: 'EndPoint.0010',
  sortKey: 'EndPoint.0017',
  sortDirection: 'EndPoint.0018',
  status: 'EndPoint.0019',
} as const;

// The documented statuses.
export const CONNECTION_STATUSES: ReadonlySet<string> = new Set(['pendingAcceptance', 'creating', 'accepted', 'rejected', 'failed', 'deleting']);
const SERVICE_STATUSES = new Set(['creating', 'available', 'failed', 'deleting']);

/** An accept or reject the API carried out: what CTS records as `serviceConnectionsAction`. */
export interface ConnectionActionTaken {
  serviceId: string;
  connectionId: string;
  action: 'receive' | 'reject';
  /** The access key that signed the request. */
  ak: string;
}

interface VpcepBehaviour {
  errorShape: VpcepErrorShape;
  /** How long an accepted connection stays `creating`, in the emulator clock's milliseconds. */
  acceptDelayMs: number;
  /** Told of every accept or reject the API carries out (CTS records them). */
  onAction?: (taken: ConnectionActionTaken) => void;
}

type Route =
  | { api: typeof API.listServices; projectId: string }
  | { api: typeof API.getService; projectId: string; serviceId: string }
  | { api: typeof API.listConnections; projectId: string; serviceId: string }
  | { api: typeof API.connectionAction; projectId: string; serviceId: string }
  | { api: typeof API.listPermissions; projectId: string; serviceId: string };

function route(method: string, rawPath: string): Route | undefined {
  const segments = rawPath.split('/').map((segment) => tryDecode(segment) ?? segment);
  if (segments[0] !== '' || segments[1] !== 'v1' || segments[3] !== 'vpc-endpoint-services') return undefined;
  const projectId = segments[2] ?? '';
  if (segments.length === 4 && method === 'GET') return { api: API.listServices, projectId };
  const serviceId = segments[4] ?? '';
  if (segments.length === 5 && method === 'GET' && serviceId !== '') return { api: API.getService, projectId, serviceId };
  if (segments[5] === 'permissions' && segments.length === 6 && method === 'GET' && serviceId !== '') return { api: API.listPermissions, projectId, serviceId };
  if (segments[5] !== 'connections' || serviceId === '') return undefined;
  if (segments.length === 6 && method === 'GET') return { api: API.listConnections, projectId, serviceId };
  if (segments.length === 7 && segments[6] === 'action' && method === 'POST') return { api: API.connectionAction, projectId, serviceId };
  return undefined;
}

function integerParameter(query: Map<string, string>, name: string, fallback: number, min: number, max: number, code: string): number {
  const raw = query.get(name);
  if (raw === undefined) return fallback;
  const value = /^[0-9]{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) {
    throw new ServiceError(400, code, `Invalid parameter ${name}: must be an integer from ${min} to ${max}.`);
  }
  return value;
}

function sortDirectionParameter(query: Map<string, string>): 'asc' | 'desc' {
  const raw = query.get('sort_dir') ?? 'desc';
  if (raw !== 'asc' && raw !== 'desc') throw new ServiceError(400, ERROR_CODES.sortDirection, 'Invalid parameter sort_dir: must be asc or desc.');
  return raw;
}

/** The page [offset, offset+limit) of an ascending list read in `direction` order, without copying the rest. */
function page<T>(ascending: readonly T[], direction: 'asc' | 'desc', offset: number, limit: number): T[] {
  const count = ascending.length;
  const out: T[] = [];
  for (let i = offset; i < count && out.length < limit; i++) {
    out.push(ascending[direction === 'asc' ? i : count - 1 - i] as T);
  }
  return out;
}

export class VpcepEndpoint implements ServiceEndpoint {
  readonly name = 'vpcep' as const;

  constructor(
    private readonly context: EmulatorContext,
    private readonly store: VpcepStore,
    private readonly behaviour: VpcepBehaviour,
  ) {}

  classify(method: string, rawPath: string): string {
    return route(method, rawPath)?.api ?? unknownApi('vpcep');
  }

  handle(request: IncomingRequest, call: ApiCall): EmulatorResponse {
    return apigw.serveBehindGateway(route(request.method, request.rawPath), request, call, this.context, (matched, ak) => {
      this.store.settle(this.context.now());
      if (matched.projectId !== this.context.projectId) {
        throw new ServiceError(403, ERROR_CODES.permission, 'You do not have permission to access this project.');
      }
      const query = queryMap(request.rawQuery);
      switch (matched.api) {
        case API.listServices:
          return this.ok(this.listServices(query));
        case API.getService:
          return this.ok(this.serviceToWire(this.requireService(matched.serviceId)));
        case API.listConnections:
          return this.ok(this.listConnections(matched.serviceId, query));
        case API.connectionAction:
          return this.ok(this.action(matched.serviceId, request.body, ak));
        case API.listPermissions:
          return this.ok(this.listPermissions(matched.serviceId, query));
      }
    }, (error) => this.error(error));
  }

  readonly faultResponse = apigw.faultResponse;
  readonly malformedResponse = apigw.malformedResponse;
  readonly tooLarge = apigw.tooLarge;

  private ok(value: unknown): EmulatorResponse {
    return jsonResponse(200, value, apigw.requestIdHeader());
  }

  /**
   * VPCEP's error-code page shows a flat `{"error_code","error_msg"}`; its SDK models
   * (vpcep/v1/model/model_error.go) and the accept/reject page a nested `{"error":{"code","message"}}`.
   * Which one the live service sends is unconfirmed, so a test picks.
   */
  private error(error: ServiceError): EmulatorResponse {
    const body = this.behaviour.errorShape === 'nested'
      ? { error: { code: error.code, message: error.message } }
      : { error_code: error.code, error_msg: error.message };
    return jsonResponse(error.status, body, apigw.requestIdHeader());
  }

  private listServices(query: Map<string, string>): unknown {
    const limit = integerParameter(query, 'limit', 10, 0, 1000, ERROR_CODES.limit);
    const offset = integerParameter(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER, ERROR_CODES.offset);
    // Sources disagree on created_at vs create_at, so both spellings are accepted here.
    const sortKeyRaw = query.get('sort_key') ?? 'created_at';
    const sortKey: ConnectionSortKey | undefined =
      sortKeyRaw === 'created_at' || sortKeyRaw === 'create_at' ? 'create'
        : sortKeyRaw === 'updated_at' || sortKeyRaw === 'update_at' ? 'update'
          : undefined;
    if (sortKey === undefined) throw new ServiceError(400, ERROR_CODES.sortKey, 'Invalid parameter sort_key.');
    const direction = sortDirectionParameter(query);
    const status = query.get('status');
    if (status !== undefined && !SERVICE_STATUSES.has(status)) throw new ServiceError(400, ERROR_CODES.status, 'Invalid parameter status.');

    const id = query.get('id');
    const nameFilter = query.get('endpoint_service_name');
    const time = sortKey === 'create' ? (service: ServiceRecord) => service.createdMs : (service: ServiceRecord) => service.updatedMs;
    // Every emulated service is 'available'.
    const statusMatches = status === undefined || status === 'available';
    const matching = this.store
      .allServices()
      .filter((service) => statusMatches && (id === undefined || service.id === id) && (nameFilter === undefined || service.serviceName.includes(nameFilter)))
      .sort((a, b) => time(a) - time(b) || a.seq - b.seq);
    return {
      endpoint_services: page(matching, direction, offset, limit).map((service) => this.serviceToWire(service)),
      total_count: matching.length,
    };
  }

  /** The shape of one service, shared by the listing and the one-service query. */
  private serviceToWire(service: ServiceRecord): Record<string, unknown> {
    return endpointServiceToWire(service, this.context.projectId, this.context.domainId);
  }

  private requireService(serviceId: string): ServiceRecord {
    const service = this.store.service(serviceId);
    if (service === undefined) throw new ServiceError(404, ERROR_CODES.notFound, `Endpoint service ${serviceId} not found.`);
    return service;
  }

  private listConnections(serviceId: string, query: Map<string, string>): unknown {
    // The SDK models document 0–1000 for both listings. limit=0 is answered as a count-only query
    // (no items, the real total_count) rather than guessed to mean "everything".
    const limit = integerParameter(query, 'limit', 10, 0, 1000, ERROR_CODES.limit);
    const offset = integerParameter(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER, ERROR_CODES.offset);
    const sortKeyRaw = query.get('sort_key') ?? 'create_at';
    if (sortKeyRaw !== 'create_at' && sortKeyRaw !== 'update_at') {
      throw new ServiceError(400, ERROR_CODES.sortKey, 'Invalid parameter sort_key: must be create_at or update_at.');
    }
    const sortKey: ConnectionSortKey = sortKeyRaw === 'create_at' ? 'create' : 'update';
    const direction = sortDirectionParameter(query);
    const status = query.get('status');
    if (status !== undefined && !CONNECTION_STATUSES.has(status)) throw new ServiceError(400, ERROR_CODES.status, 'Invalid parameter status.');
    const markerRaw = query.get('marker_id');
    if (markerRaw !== undefined && !/^[0-9]{1,15}$/.test(markerRaw)) throw new ServiceError(400, ERROR_CODES.parameter, 'Invalid parameter marker_id.');
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
    // An offset at or past the end is an empty page with the true total: golangsdk's pager reads
    // until an empty page, so it always asks for one, and the Terraform provider's connections
    // data source passes its acceptance tests against the real service that way. The reference's
    // "offset must be less than the total" (400 EndPoint.0010) stays available as an injected
    // fault (named-faults.ts: offsetPastEndRefused).
    return {
      connections: page(ascending, direction, offset, limit).map(connectionToWire),
      total_count: ascending.length,
    };
  }

  /**
   * ListServicePermissionsDetails: `limit` 0–500 (default 10), `offset`, `sort_key` (the pages
   * spell it create_at or created_at; update_at), `sort_dir`, and `permission`, a fuzzy match.
   * An offset past the end is an empty page, as for connections.
   */
  private listPermissions(serviceId: string, query: Map<string, string>): unknown {
    const limit = integerParameter(query, 'limit', 10, 0, 500, ERROR_CODES.limit);
    const offset = integerParameter(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER, ERROR_CODES.offset);
    const sortKey = query.get('sort_key') ?? 'create_at';
    if (!['create_at', 'created_at', 'update_at'].includes(sortKey)) throw new ServiceError(400, ERROR_CODES.sortKey, 'Invalid parameter sort_key: must be create_at or update_at.');
    const direction = sortDirectionParameter(query);
    const filter = query.get('permission');
    const service = this.requireService(serviceId);
    // Records keep the order they were added in: that is creation order, and nothing updates one.
    const matching = service.permissions.filter((record) => filter === undefined || record.permission.includes(filter));
    return { permissions: page(matching, direction, offset, limit).map(permissionToWire), total_count: matching.length };
  }

  private action(serviceId: string, body: Buffer, ak: string): unknown {
    const { action, endpoints } = jsonObjectBody(body, ERROR_CODES.parameter);
    if (!Array.isArray(endpoints) || !endpoints.every((endpoint): endpoint is string => typeof endpoint === 'string' && endpoint !== '')) {
      throw new ServiceError(400, ERROR_CODES.parameter, 'Invalid parameter endpoints: must be an array of endpoint ids.');
    }
    // VPCEP handles exactly one endpoint per action request.
    if (endpoints.length !== 1) {
      throw new ServiceError(400, ERROR_CODES.parameter, 'Invalid parameter endpoints: exactly one endpoint id per request.');
    }
    // Accepting is spelled `receive`.
    if (action !== 'receive' && action !== 'reject') {
      throw new ServiceError(400, ERROR_CODES.action, 'Invalid parameter action: must be receive or reject.');
    }
    const service = this.requireService(serviceId);
    const endpointId = endpoints[0] as string;
    const connection = service.connections.get(endpointId);
    if (connection === undefined) throw new ServiceError(404, ERROR_CODES.notFound, `Endpoint ${endpointId} not found.`);
    const target = action === 'receive' ? 'accepted' : 'rejected';
    if (!ACTIONABLE_STATUSES.includes(connection.status)) {
      throw new ServiceError(400, ERROR_CODES.parameter, `Endpoint ${endpointId} in status ${connection.status} cannot be ${target}.`);
    }
    if (connection.status !== target) {
      // Rejecting takes effect at once; accepting passes through `creating` (see beginAccept).
      if (target === 'accepted') this.store.beginAccept(service, connection, this.context.now(), this.behaviour.acceptDelayMs);
      else this.store.setStatus(service, connection, target, this.context.now());
    }
    // CTS records the operation whether or not it changed anything.
    this.behaviour.onAction?.({ serviceId, connectionId: endpointId, action, ak });
    return { connections: [connectionToWire(connection)] };
  }
}
