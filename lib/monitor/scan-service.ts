/**
 * Reading every connection of one endpoint service, completely and consistently, or not at all.
 */
import type { ConnectionRecord } from './diff.js';
import { ScanError } from './errors.js';
import type { Limiter } from './limiter.js';
import { type Budget, callFailure, CONNECTIONS_PAGE_SIZE, type Connection, type ConnectionPage, type VpcepApi } from './ports.js';

export interface ScanOptions {
  limiter: Limiter;
  budget: Budget;
  /** The service's snapshot: unchanged connections borrow its strings instead of keeping copies. */
  previous?: ReadonlyMap<string, ConnectionRecord>;
  /** Whole re-reads allowed when the list moved while paging. */
  rereads?: number;
}

/** Reading a list that moved takes about as long again; do not start one with less time than this. */
const MIN_REREAD_MS = 5_000;

/**
 * Pages through the service's connections at the API's maximum page size: ceil(n/1000) calls for n
 * connections (one call when there are none). The first page gives `total_count`; the remaining
 * pages are then fetched concurrently through the shared limiter.
 *
 * Offset paging over a list that changes can skip or repeat items, so the result is checked: every
 * page must report the same `total_count` and the pages together must hold exactly that many
 * distinct connections. A list that moved is read again while the budget allows; otherwise the
 * scan fails and the service keeps its previous snapshot.
 */
export async function scanService(vpcep: VpcepApi, serviceId: string, options: ScanOptions): Promise<Connection[]> {
  const rereads = options.rereads ?? 1;
  let problem = '';
  for (let attempt = 0; attempt <= rereads; attempt++) {
    if (attempt > 0 && options.budget.remainingMs() < MIN_REREAD_MS) break;
    const result = await readOnce(vpcep, serviceId, options.limiter, options.previous);
    if (Array.isArray(result)) return result;
    problem = result.problem;
  }
  throw new ScanError(serviceId, `the connection list moved while paging (${problem}); keeping the previous snapshot`);
}

async function readOnce(
  vpcep: VpcepApi,
  serviceId: string,
  limiter: Limiter,
  previous: ReadonlyMap<string, ConnectionRecord> | undefined,
): Promise<Connection[] | { problem: string }> {
  const page = (offset: number): Promise<ConnectionPage> => limiter(() => vpcep.listConnections(serviceId, offset, CONNECTIONS_PAGE_SIZE));
  const failed = (offset: number, error: unknown): ScanError =>
    new ScanError(serviceId, `reading connections at offset ${offset} failed: ${(error as Error).message}`, { cause: error });

  const first = await page(0).catch((error: unknown) => {
    throw failed(0, error);
  });
  const total = first.totalCount;
  const offsets: number[] = [];
  for (let offset = CONNECTIONS_PAGE_SIZE; offset < total; offset += CONNECTIONS_PAGE_SIZE) offsets.push(offset);
  const rest = await Promise.all(offsets.map((offset) => page(offset).catch((error: unknown) => ({ offset, error }))));

  // VPCEP refuses an offset that is not less than the total (400 EndPoint.0010). A later page can
  // ask for one when the list shrank after the first page: that is the list moving, not a failure.
  const shortest = Math.min(total, ...rest.flatMap((result) => ('totalCount' in result ? [result.totalCount] : [])));
  for (const result of rest) {
    if ('totalCount' in result) continue;
    const { status, code } = callFailure(result.error);
    if (status === 400 && (code === 'EndPoint.0010' || result.offset >= shortest)) return { problem: `offset ${result.offset} is past the end of a list that shrank (${code ?? 'HTTP 400'})` };
    throw failed(result.offset, result.error);
  }

  const connections: Connection[] = [];
  const ids = new Set<string>();
  for (const current of [first, ...(rest as ConnectionPage[])]) {
    if (current.totalCount !== total) return { problem: `total_count went from ${total} to ${current.totalCount}` };
    for (const connection of current.connections) {
      if (ids.has(connection.id)) continue;
      ids.add(connection.id);
      connections.push(previous ? borrowStrings(connection, previous.get(connection.id)) : connection);
    }
  }
  if (ids.size !== total) return { problem: `${ids.size} distinct connections read, total_count says ${total}` };
  return connections;
}

/**
 * A connection that has not changed since the snapshot takes the snapshot's copies of its strings,
 * so the page's copies can be collected at once: at 100,000 connections that is ~10 MB less held
 * through the pass, in a function that has 128 MB in all.
 */
function borrowStrings(connection: Connection, record: ConnectionRecord | undefined): Connection {
  if (!record || record.status !== connection.status || record.updatedAt !== connection.updatedAt || record.domainId !== connection.domainId) return connection;
  connection.status = record.status;
  connection.updatedAt = record.updatedAt;
  connection.domainId = record.domainId;
  return connection;
}
