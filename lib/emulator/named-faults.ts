/**
 * Faults with a name: documented answers of the real services that the local cloud does not give
 * on its own, built as ordinary `Fault`s for `LocalCloud.inject`. Each says where it is documented.
 */
import { API } from './api-names.js';
import { tryDecode } from './http.js';
import type { CloudWorld, Fault, FaultMatchRequest } from './types.js';

/** Which requests a named fault affects, as for any fault; default one request. */
export interface NamedFaultOptions {
  times?: number;
  skip?: number;
  match?: (request: FaultMatchRequest) => boolean;
}

function scoped(options: NamedFaultOptions): Pick<Fault, 'times' | 'skip' | 'match'> {
  const out: Pick<Fault, 'times' | 'skip' | 'match'> = {};
  if (options.times !== undefined) out.times = options.times;
  if (options.skip !== undefined) out.skip = options.skip;
  if (options.match !== undefined) out.match = options.match;
  return out;
}

/**
 * VPCEP's own throttling: HTTP 400 `EndPoint.0022` "The number of requests exceeded the limit"
 * (VPCEP error-code page), not the gateway's 429 APIGW.0308. Any VPCEP API by default; pass
 * `api` to narrow it (e.g. API.listConnections).
 */
export function vpcepThrottled(options: NamedFaultOptions & { api?: string } = {}): Fault {
  const fault: Fault = {
    service: 'vpcep',
    kind: 'status',
    status: 400,
    body: { error_code: 'EndPoint.0022', error_msg: 'The number of requests exceeded the limit.' },
    ...scoped(options),
  };
  if (options.api !== undefined) fault.api = options.api;
  return fault;
}

/**
 * The stricter reading of VPCEP's reference, "offset must be less than the total": a connections
 * page asked for at or past the end of the list (offset > 0) answers 400 `EndPoint.0010` "Invalid
 * offset" instead of the empty page the local cloud gives by default. Counted when the request
 * arrives, with its `status` filter, so a list that shrank under the pager meets it. Applies to
 * every such request unless `times` says otherwise.
 */
export function offsetPastEndRefused(world: CloudWorld, options: NamedFaultOptions = {}): Fault {
  const pastEnd = (request: FaultMatchRequest): boolean => {
    const segments = request.path.split('/');
    const serviceId = tryDecode(segments[4] ?? '');
    const offset = Number(request.query.offset ?? '0');
    if (serviceId === undefined || !(offset > 0) || request.query.id !== undefined || request.query.marker_id !== undefined) return false;
    let connections;
    try {
      connections = world.listConnections(serviceId);
    } catch {
      return false; // an unknown service is VPCEP's own 404
    }
    const status = request.query.status;
    const total = status === undefined ? connections.length : connections.filter((connection) => connection.status === status).length;
    return offset >= total;
  };
  const extra = options.match;
  return {
    service: 'vpcep',
    api: API.listConnections,
    kind: 'status',
    status: 400,
    body: { error_code: 'EndPoint.0010', error_msg: 'Invalid offset.' },
    times: Infinity,
    ...scoped(options),
    match: (request) => pastEnd(request) && (extra === undefined || extra(request)),
  };
}

/**
 * CTS refusing ListTraces, by default as when the caller lacks `cts:trace:list`: HTTP 403 in CTS's
 * error shape `{"error_code","error_msg"}`, with IAM's usual wording. Which code CTS puts there is
 * not documented: `CTS.0403` is this emulator's own, so nothing may depend on it. Pass `status`
 * for another answer (a 5xx gets the gateway's "backend unavailable").
 */
export function ctsRefused(options: NamedFaultOptions & { status?: number } = {}): Fault {
  const status = options.status ?? 403;
  const fault: Fault = { service: 'cts', api: API.listTraces, kind: 'status', status, ...scoped(options) };
  if (status === 403) Object.assign(fault, { body: { error_code: 'CTS.0403', error_msg: "Policy doesn't allow cts:trace:list to be performed." } });
  return fault;
}

/**
 * VPCEP refusing a whitelist read for want of `vpcep:permissions:list`: HTTP 403 `EndPoint.0004`
 * (VPCEP error-code page: "permission").
 */
export function whitelistRefused(options: NamedFaultOptions = {}): Fault {
  return {
    service: 'vpcep',
    api: API.listPermissions,
    kind: 'status',
    status: 403,
    body: { error_code: 'EndPoint.0004', error_msg: 'You do not have permission to perform this operation.' },
    ...scoped(options),
  };
}
