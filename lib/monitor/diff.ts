/**
 * What changed between two looks at one endpoint service's connections. Pure: no I/O, no clock.
 */
import type { Connection } from './types.js';

/** What the snapshot keeps of a connection: only what the diff and the messages need. */
export interface ConnectionRecord {
  status: string;
  updatedAt: string;
  domainId: string;
}

export type Change =
  | { kind: 'added'; connection: Connection }
  | { kind: 'removed'; connectionId: string; previous: ConnectionRecord }
  | { kind: 'status'; from: string; connection: Connection };

/**
 * Compares the previous snapshot with the current list. A connection whose status is unchanged
 * yields nothing, whatever else moved (a description edit is not an event). Changes come out in a
 * stable order: current list order for added and status changes, then removals in snapshot order.
 */
export function diffConnections(
  previous: ReadonlyMap<string, ConnectionRecord>,
  current: readonly Connection[],
): Change[] {
  const changes: Change[] = [];
  const seen = new Set<string>();
  for (const connection of current) {
    seen.add(connection.id);
    const before = previous.get(connection.id);
    if (before === undefined) changes.push({ kind: 'added', connection });
    else if (before.status !== connection.status) changes.push({ kind: 'status', from: before.status, connection });
  }
  for (const [connectionId, record] of previous) {
    if (!seen.has(connectionId)) changes.push({ kind: 'removed', connectionId, previous: record });
  }
  return changes;
}

/** The snapshot records of a freshly read list. */
export function toRecords(connections: readonly Connection[]): Map<string, ConnectionRecord> {
  const records = new Map<string, ConnectionRecord>();
  for (const { id, status, updatedAt, domainId } of connections) records.set(id, { status, updatedAt, domainId });
  return records;
}
