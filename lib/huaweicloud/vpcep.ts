/**
 * The VPC Endpoint API calls the monitor needs, with every response checked against the documented
 * shape before use: a malformed page must become a scan failure, never a crash or a silent gap.
 */
import { ApiError, ResponseShapeError } from './errors.js';
import { IAM_ACTIONS } from './iam-actions.js';
import { arrayField, countField, objectOf, optionalString, stringField } from './json-shape.js';
import type { SignedClient } from './signed-client.js';

/** The API's maximum page size: one call per 1000 connections. */
export const MAX_PAGE_SIZE = 1000;
/** Re-reads of a service listing that moved while paged, before the last read is taken as it is. */
const MAX_SERVICE_LIST_REREADS = 2;

/** An endpoint service, as the monitor needs it. */
export interface EndpointService {
  id: string;
  name: string;
  /** `approval_enabled`; absent when the answer did not carry a boolean there. */
  approvalEnabled?: boolean;
}

/** The whitelist call's largest page (ListServicePermissions: `limit` 1–500). */
export const PERMISSIONS_PAGE_SIZE = 500;
// A whitelist of 10,000 accounts is far past any real service; a total_count that keeps promising
// more pages than that is a broken answer, not a reason to page for ever.
const MAX_PERMISSION_PAGES = 20;
// `iam:domain::` and a 32-hex domain id, or `*`; anything longer is not what VPCEP sends.
const MAX_PERMISSION = 128;

/** One error a failed connection reports (VPCEP's `error_code` / `error_message`). */
export interface ConnectionError {
  code: string;
  message: string;
}

/** A connection, cleaned of the wire's spelling and bounded. */
export interface Connection {
  id: string;
  status: string;
  domainId: string;
  description: string;
  updatedAt: string;
  errors: readonly ConnectionError[];
}

export interface ConnectionPage {
  connections: Connection[];
  totalCount: number;
  /** 128 bits of the SHA-256 of the answer's bytes, in hex. */
  answerDigest?: string;
}

/** The answer was byte for byte the one `knownAnswer` names: it was not decoded. */
export interface SamePage {
  same: true;
  answerDigest: string;
}

/** VPCEP spells accept `receive`. */
export type ConnectionAction = 'receive' | 'reject';

/** The VPCEP calls of the monitor's `VpcepApi` port (`lib/monitor/ports.ts`). */
export class VpcepClient {
  constructor(
    private readonly client: SignedClient,
    private readonly projectId: string,
    /** Accepting and rejecting happen after the reads, on the run's write budget: a client of its own. */
    private readonly actionClient: SignedClient = client,
  ) {}

  /**
   * Every endpoint service, each once. A listing whose total_count moved between pages (a service
   * created or deleted meanwhile shifts the others across pages) is read again, at most twice; the
   * last read is returned then. Either way a service missing from it is not taken as deleted: the
   * monitor asks `getService` first.
   */
  async listServices(): Promise<EndpointService[]> {
    let read = await this.listServicesOnce();
    for (let again = 0; again < MAX_SERVICE_LIST_REREADS && read.moved; again++) read = await this.listServicesOnce();
    return read.services;
  }

  /** One endpoint service, or `undefined` when VPCEP says it does not exist (404). */
  async getService(serviceId: string): Promise<EndpointService | undefined> {
    const api = IAM_ACTIONS.getService;
    try {
      const { body } = await this.client.request({ api, method: 'GET', path: `/v1/${this.projectId}/vpc-endpoint-services/${encodeURIComponent(serviceId)}` });
      return toService(objectOf(body, api), api);
    } catch (error) {
      // VPCEP's own 404 (EndPoint.0005); a gateway's 404 (APIGW.0101, no such API) says nothing of the service.
      if (error instanceof ApiError && error.status === 404 && !/^APIGW?\./.test(error.code ?? '')) return undefined;
      throw error;
    }
  }

  private async listServicesOnce(): Promise<{ services: EndpointService[]; moved: boolean }> {
    const byId = new Map<string, EndpointService>();
    let first: number | undefined;
    // Without sort_key the API orders by creation time; sources disagree on the key's spelling
    // (create_at vs created_at), so we leave it out.
    for (let offset = 0; ; offset += MAX_PAGE_SIZE) {
      const api = IAM_ACTIONS.listServices;
      const { body } = await this.client.request({
        api,
        method: 'GET',
        path: `/v1/${this.projectId}/vpc-endpoint-services`,
        query: { limit: MAX_PAGE_SIZE, offset },
      });
      const page = objectOf(body, api);
      const items = arrayField(page, 'endpoint_services', api);
      const total = countField(page, 'total_count', api);
      first ??= total;
      // A service repeated (on two pages of a list that moved, or twice on one) is one service.
      for (const item of items) {
        const service = toService(objectOf(item, api), api);
        if (!byId.has(service.id)) byId.set(service.id, service);
      }
      if (total !== first) return { services: [...byId.values()], moved: true };
      if (items.length === 0 || offset + MAX_PAGE_SIZE >= total) return { services: [...byId.values()], moved: false };
    }
  }

  listConnections(serviceId: string, offset: number, limit: number): Promise<ConnectionPage>;
  listConnections(serviceId: string, offset: number, limit: number, knownAnswer: string | undefined): Promise<ConnectionPage | SamePage>;
  async listConnections(serviceId: string, offset: number, limit: number, knownAnswer?: string): Promise<ConnectionPage | SamePage> {
    const api = IAM_ACTIONS.listConnections;
    const { body, answerDigest, same } = await this.client.request({
      api,
      method: 'GET',
      path: `/v1/${this.projectId}/vpc-endpoint-services/${encodeURIComponent(serviceId)}/connections`,
      // Oldest first (by creation, the default key): a new connection then lands on the last page,
      // so only that page of the snapshot changes, instead of every page moving down one place.
      query: { limit, offset, sort_dir: 'asc' },
      // A page answered byte for byte as when the monitor last read it is not parsed again.
      answerDigest: { knownAnswer },
    });
    if (same && answerDigest !== undefined) return { same: true, answerDigest };
    const page = objectOf(body, api);
    return {
      connections: arrayField(page, 'connections', api).map((item) => toConnection(objectOf(item, api), api)),
      totalCount: countField(page, 'total_count', api),
      ...(answerDigest === undefined ? {} : { answerDigest }),
    };
  }

  async connectionAction(serviceId: string, connectionId: string, action: ConnectionAction): Promise<string> {
    const api = IAM_ACTIONS.connectionAction;
    // The API takes one endpoint per request, though the body holds a list.
    const { body } = await this.actionClient.request({
      api,
      method: 'POST',
      path: `/v1/${this.projectId}/vpc-endpoint-services/${encodeURIComponent(serviceId)}/connections/action`,
      body: { action, endpoints: [connectionId] },
    });
    const updated = arrayField(objectOf(body, api), 'connections', api)
      .map((item) => objectOf(item, api))
      .find((item) => item.id === connectionId);
    if (!updated) throw new ResponseShapeError(`${api} answered without connection ${connectionId}`, api);
    return stringField(updated, 'status', api);
  }

  /**
   * The service's whitelist: every `permission` string (`iam:domain::<domain id>`, or
   * `iam:domain::*` for every account), each once, in the order VPCEP gives them.
   */
  async listPermissions(serviceId: string): Promise<string[]> {
    const api = IAM_ACTIONS.listPermissions;
    const permissions = new Set<string>();
    for (let page = 0; page < MAX_PERMISSION_PAGES; page++) {
      const offset = page * PERMISSIONS_PAGE_SIZE;
      const { body } = await this.client.request({
        api,
        method: 'GET',
        path: `/v1/${this.projectId}/vpc-endpoint-services/${encodeURIComponent(serviceId)}/permissions`,
        query: { limit: PERMISSIONS_PAGE_SIZE, offset },
      });
      const answer = objectOf(body, api);
      const items = arrayField(answer, 'permissions', api);
      const total = countField(answer, 'total_count', api);
      for (const item of items) {
        const permission = stringField(objectOf(item, api), 'permission', api);
        if (permission.length > MAX_PERMISSION) throw new ResponseShapeError(`${api} answered with a permission of ${permission.length} characters`, api);
        permissions.add(permission);
      }
      // VPCEP refuses an offset at or past the total (EndPoint.0010): stop before asking for one.
      if (items.length === 0 || offset + PERMISSIONS_PAGE_SIZE >= total) return [...permissions];
    }
    throw new ResponseShapeError(`${api} kept announcing more pages after ${MAX_PERMISSION_PAGES * PERMISSIONS_PAGE_SIZE} entries`, api);
  }
}

function toService(item: Record<string, unknown>, api: string): EndpointService {
  const approval = item.approval_enabled;
  return {
    id: stringField(item, 'id', api),
    name: optionalString(item, 'service_name') ?? '',
    ...(typeof approval === 'boolean' ? { approvalEnabled: approval } : {}),
  };
}

// The API bounds description to 512 characters; anything longer is not what VPCEP sends, and we
// never carry more than that much of another tenant's text.
const MAX_DESCRIPTION = 512;
const MAX_DOMAIN_ID = 64;

function toConnection(item: Record<string, unknown>, api: string): Connection {
  return {
    id: stringField(item, 'id', api),
    status: stringField(item, 'status', api),
    domainId: (optionalString(item, 'domain_id') ?? '').slice(0, MAX_DOMAIN_ID),
    description: (optionalString(item, 'description') ?? '').slice(0, MAX_DESCRIPTION),
    updatedAt: optionalString(item, 'updated_at') ?? optionalString(item, 'created_at') ?? '',
    errors: toErrors(item.error),
  };
}

// Nearly every connection has no error: they all share this one empty list.
const NO_ERRORS: readonly ConnectionError[] = Object.freeze([]);

function toErrors(value: unknown): readonly ConnectionError[] {
  if (!Array.isArray(value) || value.length === 0) return NO_ERRORS;
  return value.slice(0, 10).flatMap((entry) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const record = entry as Record<string, unknown>;
    return [{
      code: String(record.error_code ?? '').slice(0, 64),
      message: String(record.error_message ?? record.error_msg ?? '').slice(0, 512),
    }];
  });
}
