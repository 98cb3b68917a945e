/**
 * Alerts SMN refuses for good. A single event that SMN refuses with a client error about the
 * message itself (not throttling, authentication or a missing topic) would otherwise be retried in
 * every run for ever and block nothing but itself — and fail every invocation. Instead it is set
 * aside: written to `{prefix}dead-letter/…` with SMN's answer, announced in one short notice,
 * recorded in the audit trail, and only then removed from the outbox.
 *
 * The notice doubles as proof that the channel works: if SMN refuses that small plain message too,
 * the problem is the topic or the account, not the events, and they stay in the outbox.
 */
import type { Config } from '../config.js';
import type { AlertEvent } from './alerts.js';
import { type AuditRecord, eventRecord, writeAudit } from './audit.js';
import { auditKey, deadLetterKey } from './keys.js';
import { type CallFailure, callFailure, type MonitorDeps } from './ports.js';
import { cleanText, cleanToken } from './sanitize.js';

export interface Refusal {
  event: AlertEvent;
  failure: CallFailure;
}

/** One line of a dead-letter object: the whole event as it would have been published, and why not. */
export interface DeadLetter {
  refusedAt: string;
  runId: string;
  event: AlertEvent;
  smn: { status?: number; code?: string; message: string; requestId?: string };
}

/**
 * Sets the refused events aside. Resolves when they may leave the outbox; rejects (leaving them in
 * it) when any step fails, so a later run tries again.
 */
export async function deadLetter(config: Config, deps: MonitorDeps, refusals: readonly Refusal[], runId: string): Promise<void> {
  const at = deps.now();
  const key = deadLetterKey(config.obsPrefix, at, runId);
  const letters = refusals.map(({ event, failure }): DeadLetter => ({ refusedAt: at.toISOString(), runId, event, smn: { ...failure } }));
  await deps.objects.put(key, `${letters.map((letter) => JSON.stringify(letter)).join('\n')}\n`, 'application/x-ndjson');
  await deps.publisher.publish(notice(config, refusals, key, runId));
  const records = refusals.map(({ event, failure }): AuditRecord => ({ ...eventRecord(event, runId, at.toISOString(), 'undeliverable'), error: describeFailure(failure) }));
  await writeAudit(deps.objects, auditKey(config.obsPrefix, at, runId, 'dead-letter'), records);
  deps.logger.error(
    { key, events: refusals.map(({ event, failure }) => ({ eventId: event.id, connectionId: event.connectionId, smn: failure })) },
    `SMN refused ${refusals.length} alert(s) for good; set aside in ${key} and announced to the topic`,
  );
}

/** Whether SMN refused the message itself, rather than failing as a channel. */
export function refusesMessage(error: unknown): boolean {
  const { status, code } = callFailure(error);
  if (status === undefined) return false;
  // SMN's "subject is invalid" and "message is invalid" are about this message whatever the status:
  // its error table gives them HTTP 403, which alone would read as a permission failure.
  if (code === 'SMN.0008' || code === 'SMN.0009') return true;
  if (status < 400 || status > 499) return false;
  // Authentication, permission, a missing topic and throttling are the channel's problems: every
  // message would meet them, so the alerts wait in the outbox instead.
  if (status === 401 || status === 403 || status === 404 || status === 429) return false;
  if (code === undefined) return true;
  // SMN.0001 is "no permission", SMN.0005 an invalid topic URN and SMN.0006 a missing topic,
  // whatever the status. Codes from the API gateway in front are about the request's route,
  // signature or rate, except its "request entity too large" (APIGW.0201), which is about this message.
  if (code === 'SMN.0001' || code === 'SMN.0005' || code === 'SMN.0006') return false;
  if (/^APIGW?\./.test(code)) return /^APIGW?\.0201$/.test(code);
  return true;
}

function notice(config: Config, refusals: readonly Refusal[], key: string, runId: string): { subject: string; message: string } {
  const n = refusals.length;
  const lines = refusals.slice(0, 20).map(({ event, failure }) => `  - ${cleanToken(event.connectionId)} (${cleanToken(event.from ?? 'new')} -> ${cleanToken(event.to)}, event ${event.id}): ${cleanText(describeFailure(failure), 300)}`);
  if (n > 20) lines.push(`  ...and ${n - 20} more.`);
  return {
    subject: `[VPCEP ${config.region}] ${n} alert${n === 1 ? '' : 's'} could not be delivered and ${n === 1 ? 'was' : 'were'} set aside`,
    message:
      `SMN refused ${n === 1 ? 'this alert' : 'these alerts'} of the VPC Endpoint connection monitor for good, so ${n === 1 ? 'it was' : 'they were'} moved out of the outbox ` +
      `to obs://${config.obsBucket}/${key} (every other alert was delivered as usual):\n${lines.join('\n')}\n\n` +
      `Read them with "vpcep-monitor status" and the object above; the audit trail records them as undeliverable.\nRun ${cleanToken(runId, 80)}.\n`,
  };
}

function describeFailure(failure: CallFailure): string {
  const { status, code, message, requestId } = failure;
  return [status === undefined ? undefined : `HTTP ${status}`, code, message, requestId ? `(request id ${requestId})` : undefined].filter(Boolean).join(' ');
}
