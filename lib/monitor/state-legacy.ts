/**
 * Reading the state's earlier schemas, each one JSON document (the current schema is JSON Lines,
 * `state.ts`): schema 1 kept each connection as `id: [status, updated_at, domain_id]`, schema 2 a
 * service's records as one string. Both become the record chunks the monitor holds now.
 */
import { StateFormatError } from './errors.js';
import { CONNECTIONS_PAGE_SIZE } from './ports.js';
import { chunkRecords, chunksOf, type ConnectionRecord } from './records.js';
import { checkChunk, isObject } from './state-checks.js';

export interface LegacySnapshot {
  id: string;
  name: string;
  scannedAt: string;
  chunks: string[];
}

/** The services of a schema 1 or 2 document, as page-sized record chunks. */
export function legacyServices(version: 1 | 2, services: unknown): LegacySnapshot[] {
  if (!isObject(services)) throw new StateFormatError('state is missing its services');
  return Object.entries(services).map(([id, snapshot]) => {
    if (!isObject(snapshot) || typeof snapshot.name !== 'string' || typeof snapshot.scannedAt !== 'string') {
      throw new StateFormatError(`state has a malformed snapshot for service ${JSON.stringify(id.slice(0, 64))}`);
    }
    const chunks = version === 1 ? migrateV1Connections(snapshot.connections) : migrateV2Connections(snapshot.connections);
    return { id, name: snapshot.name, scannedAt: snapshot.scannedAt, chunks };
  });
}

/** Schema 2 kept each service's records as one string: the same records, cut into page chunks. */
function migrateV2Connections(value: unknown): string[] {
  if (typeof value !== 'string') throw new StateFormatError('state has a service whose connections are not a string');
  const chunks = chunkRecords(value, CONNECTIONS_PAGE_SIZE);
  for (const chunk of chunks) checkChunk(chunk);
  return chunks;
}

/** Schema 1 kept each connection as `id: [status, updated_at, domain_id]`. */
function migrateV1Connections(value: unknown): string[] {
  if (!isObject(value)) throw new StateFormatError('state has a service whose connections are not an object');
  const records: ConnectionRecord[] = [];
  for (const [id, record] of Object.entries(value)) {
    if (!Array.isArray(record) || record.length !== 3 || !record.every((part) => typeof part === 'string')) {
      throw new StateFormatError(`state has a malformed connection ${JSON.stringify(id.slice(0, 64))}`);
    }
    const [status, updatedAt, domainId] = record as [string, string, string];
    records.push({ id, status, updatedAt, domainId });
  }
  return chunksOf(records);
}
