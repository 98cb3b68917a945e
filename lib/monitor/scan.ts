/**
 * Reading every connection of one endpoint service, completely and consistently, or not at all.
 */
import type { Budget } from '../huaweicloud/budget.js';
import { MAX_PAGE_SIZE, type ConnectionPage, type VpcepApi } from '../huaweicloud/vpcep.js';
import { ScanError } from './errors.js';
import type { Limiter } from './limiter.js';
import type { Connection } from './types.js';

export interface ScanOptions {
  limiter: Limiter;
  budget: Budget;
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
    const result = await readOnce(vpcep, serviceId, options.limiter);
    if (Array.isArray(result)) return result;
    problem = result.problem;
  }
  throw new ScanError(serviceId, `the connection list moved while paging (${problem}); keeping the previous snapshot`);
}

async function readOnce(vpcep: VpcepApi, serviceId: string, limiter: Limiter): Promise<Connection[] | { problem: string }> {
  const page = (offset: number): Promise<ConnectionPage> =>
    limiter(() => vpcep.listConnections(serviceId, offset, MAX_PAGE_SIZE)).catch((error: unknown) => {
      throw new ScanError(serviceId, `reading connections at offset ${offset} failed: ${(error as Error).message}`, { cause: error });
    });

  const first = await page(0);
  const total = first.totalCount;
  const offsets: number[] = [];
  for (let offset = MAX_PAGE_SIZE; offset < total; offset += MAX_PAGE_SIZE) offsets.push(offset);
  const rest = await Promise.all(offsets.map(page));

  const connections: Connection[] = [];
  const ids = new Set<string>();
  for (const current of [first, ...rest]) {
    if (current.totalCount !== total) return { problem: `total_count went from ${total} to ${current.totalCount}` };
    for (const connection of current.connections) {
      if (ids.has(connection.id)) continue;
      ids.add(connection.id);
      connections.push(connection);
    }
  }
  if (ids.size !== total) return { problem: `${ids.size} distinct connections read, total_count says ${total}` };
  return connections;
}
