/**
 * A month of a small project's history, written straight into the local cloud's OBS as the
 * monitor writes it: one audit object per run, and the state the last run would have saved.
 * The state is derived by applying the trail, so the two always agree.
 */
import type { LocalCloud } from '../../lib/emulator/index.js';
import type { AuditRecord } from '../../lib/monitor/audit.js';
import { auditKey } from '../../lib/monitor/keys.js';
import { chunksOf } from '../../lib/monitor/records.js';
import { emptyState, heldPageObjects, putSnapshot, serializeState } from '../../lib/monitor/state.js';

const PREFIX = 'vpcep-monitor/';
const DAY = 86_400_000;

export interface Step {
  daysAgo: number;
  serviceId: string;
  connectionId: string;
  domainId?: string;
  from: string | null;
  to: string | null;
  description?: string;
  errors?: { code: string; message: string }[];
}

export function seedTrail(cloud: LocalCloud, bucket: string, services: Record<string, string>, steps: readonly Step[], now: Date): void {
  const state = emptyState();
  const runs = new Map<number, AuditRecord[]>();
  const pendingSince = new Map<string, string>();
  const lists = new Map<string, Map<string, { status: string; updatedAt: string; domainId: string }>>();
  for (const id of Object.keys(services)) lists.set(id, new Map());
  for (const step of [...steps].sort((a, b) => b.daysAgo - a.daysAgo)) {
    const at = new Date(now.getTime() - step.daysAgo * DAY).toISOString();
    const connections = lists.get(step.serviceId)!;
    const domainId = step.domainId ?? connections.get(step.connectionId)?.domainId ?? `domain-${step.connectionId}`;
    if (step.to === null) connections.delete(step.connectionId);
    else connections.set(step.connectionId, { status: step.to, updatedAt: at, domainId });
    if (step.to === 'pendingAcceptance') pendingSince.set(step.connectionId, at);
    else pendingSince.delete(step.connectionId);
    const run = runs.get(step.daysAgo) ?? [];
    runs.set(step.daysAgo, run);
    run.push({
      at,
      runId: `seed-run-${step.daysAgo}`,
      serviceId: step.serviceId,
      serviceName: services[step.serviceId]!,
      connectionId: step.connectionId,
      domainId,
      change: step.from === null ? 'added' : step.to === null ? 'removed' : 'status',
      from: step.from,
      to: step.to,
      eventId: `${step.connectionId}-${step.daysAgo}`,
      alerted: step.to === 'pendingAcceptance' || step.to === 'failed' || step.to === 'rejected',
      ...(step.description !== undefined ? { description: step.description } : {}),
      ...(step.errors ? { errors: step.errors } : {}),
    });
  }
  for (const [serviceId, connections] of lists) {
    putSnapshot(state, serviceId, services[serviceId]!, now.toISOString(), chunksOf([...connections].map(([id, c]) => ({ id, ...c }))));
    const book = new Map<string, { since: string; notifiedAt: string }>();
    for (const [connectionId, connection] of connections) {
      const since = pendingSince.get(connectionId);
      if (connection.status === 'pendingAcceptance' && since) book.set(connectionId, { since, notifiedAt: since });
    }
    state.pending.set(serviceId, book);
  }
  for (const [, run] of runs) {
    const at = new Date(run[0]!.at);
    cloud.putObject(bucket, auditKey(PREFIX, at, run[0]!.runId), `${run.map((record) => JSON.stringify(record)).join('\n')}\n`);
  }
  state.generation = runs.size;
  state.savedAt = now.toISOString();
  state.runId = 'seed';
  for (const [key, body] of heldPageObjects(state, PREFIX)) cloud.putObject(bucket, key, body);
  state.held = [];
  cloud.putObject(bucket, `${PREFIX}state.json`, serializeState(state).join(''));
}
