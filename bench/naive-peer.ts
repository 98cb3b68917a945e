/**
 * The obvious implementation, as a yardstick: the API's default page size (no `limit`, so VPCEP
 * answers 10 at a time), one service after another, whole API objects kept, and the whole snapshot
 * written back to OBS on every run, changed or not. Same signed client and OBS store as the monitor,
 * so the difference is the design, not the transport.
 */
import type { ObjectStore } from '../lib/monitor/ports.js';
import type { SignedClient } from '../lib/huaweicloud/signed-client.js';

interface Page {
  total_count: number;
  [list: string]: unknown;
}

type Snapshot = Record<string, Record<string, { status: string } & Record<string, unknown>>>;

export async function naivePass(vpcep: SignedClient, objects: ObjectStore, projectId: string, key: string): Promise<{ connections: number; changes: number }> {
  const base = `/v1/${projectId}/vpc-endpoint-services`;
  const services = await listAll(vpcep, base, 'endpoint_services');
  const previous = JSON.parse((await objects.get(key))?.body ?? '{}') as Snapshot;
  const snapshot: Snapshot = {};
  let connections = 0;
  let changes = 0;
  for (const service of services) {
    const id = service.id as string;
    const current: Snapshot[string] = {};
    for (const connection of await listAll(vpcep, `${base}/${id}/connections`, 'connections')) {
      current[connection.id as string] = connection as Snapshot[string][string];
      if (previous[id]?.[connection.id as string]?.status !== connection.status) changes += 1;
      connections += 1;
    }
    snapshot[id] = current;
  }
  await objects.put(key, JSON.stringify(snapshot));
  return { connections, changes };
}

async function listAll(vpcep: SignedClient, path: string, field: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (;;) {
    const { body } = await vpcep.request({ api: `naive:${field}`, method: 'GET', path, query: { offset: items.length } });
    const page = body as Page;
    const batch = page[field] as Record<string, unknown>[];
    items.push(...batch);
    if (batch.length === 0 || items.length >= page.total_count) return items;
  }
}
