/**
 * VPCEP's world held in memory: endpoint services and their connections, with marker ids,
 * second-precision timestamps and sorted views cached for paging through 100,000 connections.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ConnectionError, ConnectionSeed, EmulatedConnection, EmulatedPermission, EmulatedService, ServiceSeed } from './types.js';
import type { ConnectionSnapshot, ServiceSnapshot } from './world-snapshot.js';

/**
 * A connection as the store holds it: every field a world file keeps (`world-snapshot.ts`), save
 * an accept in flight, which the store tracks apart (`pendingAccepts`).
 */
export type ConnectionRecord = Omit<ConnectionSnapshot, 'acceptDueMs'>;

export type ConnectionSortKey = 'create' | 'update';

export interface ServiceRecord {
  id: string;
  name: string;
  serviceName: string;
  approvalEnabled: boolean;
  vpcId: string;
  createdMs: number;
  updatedMs: number;
  /** Tie-breaker for services created in the same second. */
  seq: number;
  connections: Map<string, ConnectionRecord>;
  byMarker: Map<number, ConnectionRecord>;
  /** Ascending views keyed by `${sortKey}|${status}`; dropped whenever a connection changes. */
  sorted: Map<string, ConnectionRecord[]>;
  /** The whitelist, in the order the records were added. */
  permissions: PermissionRecord[];
}

/** One whitelist record: `iam:domain::<domain id>` or `iam:domain::*`. */
export interface PermissionRecord {
  id: string;
  permission: string;
  createdMs: number;
}

export function permissionToWire(record: PermissionRecord): EmulatedPermission {
  return { id: record.id, permission: record.permission, permission_type: 'domainId', created_at: formatApiTime(record.createdMs) };
}

/** The API reports times with second precision. */
export function wholeSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000) * 1000;
}

/** `YYYY-MM-DDTHH:MM:SSZ`, the VPCEP timestamp format. */
export function formatApiTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

/** randomUUID draws from a cached entropy pool, far cheaper than randomBytes per call when seeding 100k. */
export function randomHex32(): string {
  return randomUUID().replaceAll('-', '');
}

export function connectionToWire(connection: ConnectionRecord): EmulatedConnection {
  const wire: EmulatedConnection = {
    id: connection.id,
    marker_id: connection.markerId,
    created_at: formatApiTime(connection.createdMs),
    updated_at: formatApiTime(connection.updatedMs),
    domain_id: connection.domainId,
    status: connection.status,
    description: connection.description,
  };
  if (connection.error !== undefined) wire.error = connection.error.map((error) => ({ ...error }));
  return wire;
}

// A service's connection_count counts only the endpoints that are (becoming) connected.
const COUNTED_STATUSES = new Set(['creating', 'accepted']);

/** A UUID derived from the service id, so a field the world file does not keep is stable across restarts. */
function derivedUuid(serviceId: string, purpose: string): string {
  const hex = createHash('sha256').update(`${purpose}:${serviceId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * One endpoint service as VPCEP reports it, in the listing and in the one-service query alike:
 * every field of the SDK models (huaweicloud-sdk-go-v3 `vpcep/v1/model/model_service_list.go` and
 * `model_list_service_details_response.go`; huaweicloud-sdk-nodejs-v3 `vpcep/v1/model/ServiceList.ts`,
 * which adds description, public_border_group and enable_policy), with the values a private
 * VM-backed interface service has: one TCP port mapping, no tags, proxy protocol off, no policy,
 * no errors. `vip_port_id` is left out: the models send it only for VIP services.
 */
export function endpointServiceToWire(service: ServiceRecord, projectId: string, ownerDomainId: string): Record<string, unknown> {
  let connectionCount = 0;
  for (const connection of service.connections.values()) if (COUNTED_STATUSES.has(connection.status)) connectionCount++;
  return {
    id: service.id,
    port_id: derivedUuid(service.id, 'port'),
    service_name: service.serviceName,
    server_type: 'VM',
    vpc_id: service.vpcId,
    approval_enabled: service.approvalEnabled,
    status: 'available',
    service_type: 'interface',
    created_at: formatApiTime(service.createdMs),
    updated_at: formatApiTime(service.updatedMs),
    project_id: projectId,
    domain_id: ownerDomainId,
    cidr_type: 'internal',
    ports: [{ client_port: 443, server_port: 8443, protocol: 'TCP' }],
    tags: [],
    connection_count: connectionCount,
    tcp_proxy: 'close',
    error: [],
    description: '',
    public_border_group: 'center',
    enable_policy: false,
  };
}

export function serviceToPublic(service: ServiceRecord): EmulatedService {
  return {
    id: service.id,
    name: service.name,
    serviceName: service.serviceName,
    approvalEnabled: service.approvalEnabled,
    vpcId: service.vpcId,
    createdAt: formatApiTime(service.createdMs),
  };
}

/** An accepted connection on its way through `creating`. */
interface PendingAccept {
  service: ServiceRecord;
  /** When it becomes `accepted` (emulator clock, ms). */
  dueMs: number;
}

/** Services and their connections, held in memory. */
export class VpcepStore {
  private readonly services = new Map<string, ServiceRecord>();
  private readonly pendingAccepts = new Map<ConnectionRecord, PendingAccept>();
  private nextMarkerId = 1;
  private nextSeq = 1;

  constructor(private readonly region: string) {}

  addService(input: ServiceSeed, now: Date): ServiceRecord {
    const id = input.id ?? randomUUID();
    if (this.services.has(id)) throw new Error(`service ${id} already exists`);
    const seq = this.nextSeq++;
    const name = input.name ?? `svc-${seq}`;
    const ms = wholeSeconds(now);
    const service: ServiceRecord = {
      id,
      name,
      serviceName: `${this.region}.${name}.${id}`,
      approvalEnabled: input.approvalEnabled ?? true,
      vpcId: randomUUID(),
      createdMs: ms,
      updatedMs: ms,
      seq,
      connections: new Map(),
      byMarker: new Map(),
      sorted: new Map(),
      permissions: [],
    };
    this.services.set(id, service);
    return service;
  }

  /** Switches connection approval on or off, as modifying the service does; updated_at moves. */
  setApprovalEnabled(service: ServiceRecord, enabled: boolean, now: Date): void {
    service.approvalEnabled = enabled;
    service.updatedMs = Math.max(wholeSeconds(now), service.updatedMs + 1000);
  }

  /** Adds a whitelist record unless the service has it already; returns whether it was added. */
  addPermission(service: ServiceRecord, permission: string, now: Date): boolean {
    if (service.permissions.some((record) => record.permission === permission)) return false;
    service.permissions.push({ id: randomUUID(), permission, createdMs: wholeSeconds(now) });
    return true;
  }

  /** Removes a whitelist record; returns whether there was one. */
  removePermission(service: ServiceRecord, permission: string): boolean {
    const before = service.permissions.length;
    service.permissions = service.permissions.filter((record) => record.permission !== permission);
    return service.permissions.length !== before;
  }

  service(id: string): ServiceRecord | undefined {
    return this.services.get(id);
  }

  requireService(id: string): ServiceRecord {
    const service = this.services.get(id);
    if (service === undefined) throw new Error(`no endpoint service ${id}`);
    return service;
  }

  allServices(): ServiceRecord[] {
    return [...this.services.values()];
  }

  removeService(id: string): void {
    const service = this.requireService(id);
    for (const connection of service.connections.values()) this.pendingAccepts.delete(connection);
    this.services.delete(id);
  }

  addConnection(service: ServiceRecord, seed: Partial<ConnectionSeed>, now: Date): ConnectionRecord {
    const id = seed.id ?? randomUUID();
    if (service.connections.has(id)) throw new Error(`connection ${id} already exists in service ${service.id}`);
    const createdMs = wholeSeconds(seed.created_at ?? now);
    const connection: ConnectionRecord = {
      id,
      markerId: this.nextMarkerId++,
      createdMs,
      updatedMs: seed.updated_at === undefined ? createdMs : wholeSeconds(seed.updated_at),
      domainId: seed.domain_id ?? randomHex32(),
      status: seed.status ?? 'accepted',
      description: seed.description ?? '',
    };
    if (seed.error !== undefined) connection.error = seed.error.map((entry) => ({ ...entry }));
    service.connections.set(id, connection);
    service.byMarker.set(connection.markerId, connection);
    service.sorted.clear();
    return connection;
  }

  requireConnection(service: ServiceRecord, connectionId: string): ConnectionRecord {
    const connection = service.connections.get(connectionId);
    if (connection === undefined) throw new Error(`no connection ${connectionId} in service ${service.id}`);
    return connection;
  }

  /**
   * Sets the status, replaces `error` (removed when not given) and bumps updated_at. Timestamps
   * have second precision, so when the clock has not moved past the previous value the new one is
   * the previous plus one second: a change must always be visible in updated_at.
   */
  setStatus(service: ServiceRecord, connection: ConnectionRecord, status: string, now: Date, error?: ConnectionError[]): void {
    // A status set from outside (a test, the operator) wins over an accept still in flight.
    this.pendingAccepts.delete(connection);
    connection.status = status;
    if (error === undefined) delete connection.error;
    else connection.error = error.map((entry) => ({ ...entry }));
    connection.updatedMs = Math.max(wholeSeconds(now), connection.updatedMs + 1000);
    service.sorted.clear();
  }

  removeConnection(service: ServiceRecord, connectionId: string): void {
    const connection = this.requireConnection(service, connectionId);
    this.pendingAccepts.delete(connection);
    service.connections.delete(connectionId);
    service.byMarker.delete(connection.markerId);
    service.sorted.clear();
  }

  /**
   * Accepting is asynchronous: after `receive` the connection is `creating`, and it becomes
   * `accepted` once `delayMs` of the emulator's clock have passed (terraform-provider-huaweicloud's
   * approval resource polls through `creating` for this). The move happens when the world is next
   * read (settleDue), so a test that controls the clock controls it exactly.
   */
  beginAccept(service: ServiceRecord, connection: ConnectionRecord, now: Date, delayMs: number): void {
    this.setStatus(service, connection, 'creating', now);
    this.pendingAccepts.set(connection, { service, dueMs: now.getTime() + delayMs });
  }

  /** Completes the accepts that are due at `now` (all of them without `now`); returns how many. */
  settle(now?: Date): number {
    let settled = 0;
    for (const [connection, pending] of this.pendingAccepts) {
      if (now !== undefined && pending.dueMs > now.getTime()) continue;
      // updated_at says when it became accepted, however late the world is read.
      this.setStatus(pending.service, connection, 'accepted', new Date(pending.dueMs));
      settled++;
    }
    return settled;
  }

  /** Ascending by the sort key, ties by marker_id; cached until the service's connections change. */
  sortedConnections(service: ServiceRecord, sortKey: ConnectionSortKey, status?: string): ConnectionRecord[] {
    const cacheKey = `${sortKey}|${status ?? ''}`;
    const cached = service.sorted.get(cacheKey);
    if (cached !== undefined) return cached;
    let list = [...service.connections.values()];
    if (status !== undefined) list = list.filter((connection) => connection.status === status);
    const time = sortKey === 'create' ? (connection: ConnectionRecord) => connection.createdMs : (connection: ConnectionRecord) => connection.updatedMs;
    list.sort((a, b) => time(a) - time(b) || a.markerId - b.markerId);
    service.sorted.set(cacheKey, list);
    return list;
  }

  /** Every service with its connections, in creation order, for a world file. */
  exportServices(): ServiceSnapshot[] {
    return [...this.services.values()].map((service) => ({
      id: service.id,
      name: service.name,
      approvalEnabled: service.approvalEnabled,
      vpcId: service.vpcId,
      createdMs: service.createdMs,
      updatedMs: service.updatedMs,
      permissions: service.permissions.map((record) => ({ ...record })),
      connections: [...service.connections.values()].map((connection) => {
        const snapshot: ConnectionSnapshot = { ...connection };
        if (connection.error !== undefined) snapshot.error = connection.error.map((entry) => ({ ...entry }));
        const pending = this.pendingAccepts.get(connection);
        if (pending !== undefined) snapshot.acceptDueMs = pending.dueMs;
        return snapshot;
      }),
    }));
  }

  /** Adds the services of a world file (the store is expected to be empty), keeping ids and marker ids. */
  importServices(snapshots: readonly ServiceSnapshot[]): void {
    for (const snapshot of snapshots) {
      if (this.services.has(snapshot.id)) throw new Error(`service ${snapshot.id} already exists`);
      const service: ServiceRecord = {
        id: snapshot.id,
        name: snapshot.name,
        serviceName: `${this.region}.${snapshot.name}.${snapshot.id}`,
        approvalEnabled: snapshot.approvalEnabled,
        vpcId: snapshot.vpcId,
        createdMs: snapshot.createdMs,
        updatedMs: snapshot.updatedMs,
        seq: this.nextSeq++,
        connections: new Map(),
        byMarker: new Map(),
        sorted: new Map(),
        permissions: (snapshot.permissions ?? []).map((record) => ({ ...record })),
      };
      this.services.set(service.id, service);
      for (const { acceptDueMs, ...fields } of snapshot.connections) {
        const connection: ConnectionRecord = { ...fields };
        if (fields.error !== undefined) connection.error = fields.error.map((entry) => ({ ...entry }));
        service.connections.set(connection.id, connection);
        service.byMarker.set(connection.markerId, connection);
        this.nextMarkerId = Math.max(this.nextMarkerId, connection.markerId + 1);
        if (acceptDueMs !== undefined) this.pendingAccepts.set(connection, { service, dueMs: acceptDueMs });
      }
    }
  }
}
