/**
 * The local cloud's world as plain JSON, so `vpcep-monitor emulator --data-dir` can keep it across
 * restarts: VPCEP services (approval, whitelist) and connections (with accepts still in flight),
 * CTS traces, SMN topics and the current version of every OBS object. Read back with every field checked, so a damaged file is
 * refused with the field it got wrong rather than half-loaded.
 */
import type { ConnectionError, EmulatedTrace } from './types.js';

export const WORLD_SCHEMA = 'vpcep-local-cloud/v1';

export interface ConnectionSnapshot {
  id: string;
  markerId: number;
  createdMs: number;
  updatedMs: number;
  domainId: string;
  status: string;
  description: string;
  error?: ConnectionError[];
  /** Set while an accept passes through `creating`: when it becomes `accepted`. */
  acceptDueMs?: number;
}

export interface ServiceSnapshot {
  id: string;
  name: string;
  approvalEnabled: boolean;
  vpcId: string;
  createdMs: number;
  updatedMs: number;
  /** The whitelist; absent in files written before whitelists were kept. */
  permissions?: PermissionSnapshot[];
  connections: ConnectionSnapshot[];
}

export interface PermissionSnapshot {
  id: string;
  permission: string;
  createdMs: number;
}

export interface ObjectSnapshot {
  key: string;
  /** Base64. */
  body: string;
  contentType: string;
  lastModifiedMs: number;
}

export interface BucketSnapshot {
  name: string;
  /** Current versions only: older versions and delete markers are not kept. */
  objects: ObjectSnapshot[];
}

export interface WorldSnapshot {
  schema: typeof WORLD_SCHEMA;
  region: string;
  projectId: string;
  services: ServiceSnapshot[];
  topics: string[];
  buckets: BucketSnapshot[];
  /** CTS traces, oldest first; absent in files written before traces were kept. */
  traces?: EmulatedTrace[];
}

/** A world file that cannot be read back; the message names the file and the field. */
export class WorldFileError extends Error {
  override readonly name = 'WorldFileError';
}

type Check<T> = (value: unknown, path: string) => T;

function fail(source: string, path: string, rule: string): never {
  throw new WorldFileError(`${source}: ${path} ${rule}`);
}

/** Checks one JSON document against the snapshot's shape; `source` names it in errors. */
export function parseWorldSnapshot(text: string, source: string): WorldSnapshot {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new WorldFileError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  const string: Check<string> = (value, path) => (typeof value === 'string' ? value : fail(source, path, 'must be a string'));
  const number: Check<number> = (value, path) => (typeof value === 'number' && Number.isFinite(value) ? value : fail(source, path, 'must be a number'));
  const object = (value: unknown, path: string): Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : fail(source, path, 'must be an object');
  const array = <T>(value: unknown, path: string, item: Check<T>): T[] =>
    Array.isArray(value) ? value.map((entry, index) => item(entry, `${path}[${index}]`)) : fail(source, path, 'must be an array');

  const connection: Check<ConnectionSnapshot> = (value, path) => {
    const fields = object(value, path);
    const snapshot: ConnectionSnapshot = {
      id: string(fields.id, `${path}.id`),
      markerId: number(fields.markerId, `${path}.markerId`),
      createdMs: number(fields.createdMs, `${path}.createdMs`),
      updatedMs: number(fields.updatedMs, `${path}.updatedMs`),
      domainId: string(fields.domainId, `${path}.domainId`),
      status: string(fields.status, `${path}.status`),
      description: string(fields.description, `${path}.description`),
    };
    if (fields.error !== undefined) {
      snapshot.error = array(fields.error, `${path}.error`, (entry, at) => {
        const error = object(entry, at);
        return { error_code: string(error.error_code, `${at}.error_code`), error_message: string(error.error_message, `${at}.error_message`) };
      });
    }
    if (fields.acceptDueMs !== undefined) snapshot.acceptDueMs = number(fields.acceptDueMs, `${path}.acceptDueMs`);
    return snapshot;
  };
  const service: Check<ServiceSnapshot> = (value, path) => {
    const fields = object(value, path);
    if (typeof fields.approvalEnabled !== 'boolean') fail(source, `${path}.approvalEnabled`, 'must be true or false');
    return {
      id: string(fields.id, `${path}.id`),
      name: string(fields.name, `${path}.name`),
      approvalEnabled: fields.approvalEnabled,
      vpcId: string(fields.vpcId, `${path}.vpcId`),
      createdMs: number(fields.createdMs, `${path}.createdMs`),
      updatedMs: number(fields.updatedMs, `${path}.updatedMs`),
      ...(fields.permissions === undefined ? {} : {
        permissions: array(fields.permissions, `${path}.permissions`, (entry, at) => {
          const record = object(entry, at);
          return { id: string(record.id, `${at}.id`), permission: string(record.permission, `${at}.permission`), createdMs: number(record.createdMs, `${at}.createdMs`) };
        }),
      }),
      connections: array(fields.connections, `${path}.connections`, connection),
    };
  };
  const trace: Check<EmulatedTrace> = (value, path) => {
    const fields = object(value, path);
    const text = (name: string) => string(fields[name], `${path}.${name}`);
    const user = object(fields.user, `${path}.user`);
    const domain = object(user.domain, `${path}.user.domain`);
    return {
      trace_id: text('trace_id'),
      trace_name: text('trace_name'),
      trace_rating: text('trace_rating'),
      trace_type: text('trace_type'),
      service_type: text('service_type'),
      resource_type: text('resource_type'),
      resource_id: text('resource_id'),
      resource_name: text('resource_name'),
      request: text('request'),
      response: text('response'),
      code: text('code'),
      time: number(fields.time, `${path}.time`),
      record_time: number(fields.record_time, `${path}.record_time`),
      user: {
        ...(user.type === undefined ? {} : { type: string(user.type, `${path}.user.type`) }),
        name: string(user.name, `${path}.user.name`),
        domain: { id: string(domain.id, `${path}.user.domain.id`), name: string(domain.name, `${path}.user.domain.name`) },
        account_id: string(user.account_id, `${path}.user.account_id`),
      },
      source_ip: text('source_ip'),
      request_id: text('request_id'),
    };
  };
  const bucket: Check<BucketSnapshot> = (value, path) => {
    const fields = object(value, path);
    return {
      name: string(fields.name, `${path}.name`),
      objects: array(fields.objects, `${path}.objects`, (entry, at) => {
        const item = object(entry, at);
        return {
          key: string(item.key, `${at}.key`),
          body: string(item.body, `${at}.body`),
          contentType: string(item.contentType, `${at}.contentType`),
          lastModifiedMs: number(item.lastModifiedMs, `${at}.lastModifiedMs`),
        };
      }),
    };
  };

  const root = object(json, 'the document');
  if (root.schema !== WORLD_SCHEMA) fail(source, 'schema', `must be "${WORLD_SCHEMA}" (this file says ${JSON.stringify(root.schema)})`);
  return {
    schema: WORLD_SCHEMA,
    region: string(root.region, 'region'),
    projectId: string(root.projectId, 'projectId'),
    services: array(root.services, 'services', service),
    topics: array(root.topics, 'topics', string),
    buckets: array(root.buckets, 'buckets', bucket),
    ...(root.traces === undefined ? {} : { traces: array(root.traces, 'traces', trace) }),
  };
}
