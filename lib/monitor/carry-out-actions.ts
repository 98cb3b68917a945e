/**
 * The approval policy's "act" step: in enforce mode one request per connection (VPCEP accepts one
 * endpoint per action request), sequentially; in dry-run mode nothing is sent. Every outcome,
 * failures included, becomes an event for the notification and the audit trail.
 */
import type { Config } from '../config.js';
import type { AlertEvent } from './alerts.js';
import { actionEvent, type PlannedAction, plannedEvents } from './approval.js';
import type { MonitorDeps } from './ports.js';

export async function carryOutActions(planned: readonly PlannedAction[], config: Config, deps: MonitorDeps, detectedAt: string): Promise<AlertEvent[]> {
  if (config.approval.mode === 'dry-run') return plannedEvents(planned, detectedAt);
  const events: AlertEvent[] = [];
  for (const action of planned) {
    const { service, connection, decision } = action;
    try {
      await deps.vpcep.connectionAction(service.id, connection.id, decision.type);
      events.push(actionEvent(action, 'enforce', 'done', detectedAt));
      deps.logger.info({ serviceId: service.id, connectionId: connection.id, action: decision.type }, `approval policy: ${decision.type === 'receive' ? 'accepted' : 'rejected'} connection ${connection.id} (${decision.reason})`);
    } catch (error) {
      events.push(actionEvent(action, 'enforce', 'failed', detectedAt, (error as Error).message));
      deps.logger.error({ err: error, serviceId: service.id, connectionId: connection.id }, `approval policy: could not ${decision.type} connection ${connection.id}: ${(error as Error).message}; next run tries again while it is still pending`);
    }
  }
  return events;
}
