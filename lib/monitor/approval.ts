/**
 * The approval policy: which pending connections to accept or reject on the operator's behalf.
 * Pure; the run carries the decisions out (or, in dry-run, only reports them).
 */
import type { ApprovalPolicy } from '../config.js';
import { eventId, type AlertEvent, type PolicyAction } from './alerts.js';
import type { Connection, EndpointService } from './ports.js';

export interface Decision {
  type: PolicyAction['type'];
  reason: string;
}

/** The accept list wins over the reject list; a domain on neither is left to a person. */
export function decide(domainId: string, policy: ApprovalPolicy): Decision | undefined {
  if (policy.mode === 'off') return undefined;
  if (policy.acceptDomains.has(domainId)) return { type: 'receive', reason: 'the consumer domain is on AUTO_ACCEPT_DOMAINS' };
  if (policy.rejectDomains === '*') return { type: 'reject', reason: 'AUTO_REJECT_DOMAINS is * and the consumer domain is not on AUTO_ACCEPT_DOMAINS' };
  if (policy.rejectDomains.has(domainId)) return { type: 'reject', reason: 'the consumer domain is on AUTO_REJECT_DOMAINS' };
  return undefined;
}

export interface PlannedAction {
  service: EndpointService;
  connection: Connection;
  decision: Decision;
}

/**
 * In enforce mode every pending connection a list matches is acted on (a failed action is tried
 * again next run, while the connection still waits). A dry run reports only connections that
 * became pending in this run, so the same "would accept" is not repeated every five minutes.
 */
export function planActions(
  service: EndpointService,
  current: readonly Connection[],
  newlyPending: ReadonlySet<string>,
  policy: ApprovalPolicy,
): PlannedAction[] {
  if (policy.mode === 'off') return [];
  const planned: PlannedAction[] = [];
  for (const connection of current) {
    if (connection.status !== 'pendingAcceptance') continue;
    if (policy.mode === 'dry-run' && !newlyPending.has(connection.id)) continue;
    const decision = decide(connection.domainId, policy);
    if (decision) planned.push({ service, connection, decision });
  }
  return planned;
}

/** The event that reports an action (done, failed, or planned in a dry run). */
export function actionEvent(
  planned: PlannedAction,
  mode: PolicyAction['mode'],
  outcome: PolicyAction['outcome'],
  detectedAt: string,
  error?: string,
): AlertEvent {
  const { service, connection, decision } = planned;
  const to = decision.type === 'receive' ? 'accepted' : 'rejected';
  return {
    id: eventId(service.id, connection.id, 'pendingAcceptance', `${decision.type}:${mode}:${outcome}`, connection.updatedAt),
    serviceId: service.id,
    serviceName: service.name,
    connectionId: connection.id,
    domainId: connection.domainId,
    from: 'pendingAcceptance',
    to,
    at: connection.updatedAt,
    detectedAt,
    description: connection.description,
    errors: [],
    action: { type: decision.type, mode, outcome, reason: decision.reason, ...(error ? { error } : {}) },
  };
}

/** What a dry run reports instead of acting: every planned action, as planned. */
export function plannedEvents(planned: readonly PlannedAction[], detectedAt: string): AlertEvent[] {
  return planned.map((action) => actionEvent(action, 'dry-run', 'planned', detectedAt));
}
