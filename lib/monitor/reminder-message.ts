/**
 * The reminder publish: every request left waiting past REMIND_PENDING_AFTER, longest first, once
 * per run, held to the same whole-body limit as every publish. Pure.
 */
import { formatDuration } from '../duration.js';
import { idList, PAYLOAD_SCHEMA, serviceLabel, smsSafe } from './message-text.js';
import { type Notification, type ProtocolTexts, PUBLISH_BODY_MAX_BYTES, publishBodyBytes } from './notify.js';
import { cleanStrings, cleanText, cleanToken } from './sanitize.js';

/** A pending request that has waited past REMIND_PENDING_AFTER. */
export interface Reminder {
  serviceId: string;
  serviceName: string;
  connectionId: string;
  domainId: string;
  description: string;
  /** When the monitor first saw it pending. */
  since: string;
  waitingMs: number;
}

export function buildReminder(reminders: readonly Reminder[], context: { projectId: string; region: string; runId: string }, periodMs: number): Notification {
  const ordered = [...reminders].sort((a, b) => b.waitingMs - a.waitingMs);
  const count = ordered.length;
  const period = formatDuration(periodMs);
  const subject = `[VPCEP ${context.region}] ${count} connection request${count === 1 ? '' : 's'} still waiting for acceptance`;
  const lines = ordered.map(
    (r) => `  - ${cleanToken(r.connectionId)} to ${serviceLabel(r.serviceName, r.serviceId)}: waiting ${formatDuration(r.waitingMs)} (since ${cleanToken(r.since)}), consumer ${cleanToken(r.domainId) || 'unknown'}${r.description ? `, description "${cleanText(r.description, 200)}"` : ''}`,
  );
  const intro = `These requests have been pendingAcceptance for over ${period}. Accept or reject them; this reminder repeats every ${period} while they wait.\nProject ${context.projectId}, region ${context.region}.\n\n`;
  const head = `VPCEP ${context.region}: ${count} request${count === 1 ? '' : 's'} waiting over ${period}:`;
  const sms = smsSafe(`${head}${idList(ordered.map((r) => cleanToken(r.connectionId)), head.length)}`);
  const structureFor = (shown: number): ProtocolTexts => {
    const more = shown < count ? `  ...and ${count - shown} more.\n` : '';
    const payload = JSON.stringify({
      schema: PAYLOAD_SCHEMA, type: 'reminder', runId: context.runId, projectId: context.projectId, region: context.region,
      events: ordered.slice(0, shown).map((r) => cleanStrings({ serviceId: r.serviceId, serviceName: r.serviceName, connectionId: r.connectionId, domainId: r.domainId, status: 'pendingAcceptance', since: r.since, waitingSeconds: Math.round(r.waitingMs / 1000), description: r.description })),
    });
    return { default: payload, email: `${intro}${lines.slice(0, shown).join('\n')}\n${more}\nRun ${cleanToken(context.runId, 80)}.\n`, sms };
  };
  // One reminder publish per run: if a huge backlog would not fit, list the longest-waiting ones.
  let shown = count;
  let structure = structureFor(shown);
  while (publishBodyBytes({ subject, structure }) > PUBLISH_BODY_MAX_BYTES && shown > 1) {
    shown = Math.max(1, Math.floor(shown * 0.8));
    structure = structureFor(shown);
  }
  return { kind: 'reminder', message: { subject, structure }, eventIds: [], events: [] };
}
