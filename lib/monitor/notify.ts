/**
 * Alert events turned into SMN publishes, one text per protocol (`message_structure`). Pure.
 *
 * - `email`: grouped by service, one line per change, error details for failures;
 * - `sms`: at most 490 characters, none of `[ ] 【 】`, counts plus the most urgent ids;
 * - `default`, which every other protocol receives (http, https, functiongraph): JSON with every
 *   event of that publish. The JSON travels once per publish rather than once per machine
 *   protocol: a burst needs a third of the publishes, and machines get the same bytes.
 *
 * SMN documents 256 KB for `message` and says nothing of what it measures for a structure, so every
 * publish is held to the strictest reading: the whole request body (the subject, the structure
 * escaped once more as a JSON string, and the JSON around them) within 256,000 bytes. A burst that
 * does not fit becomes as few publishes as fit: people get a summary in each, machines the full
 * list across them. Subjects carry only our own words and counts, never text another tenant wrote.
 */
import { inBatches } from '../batches.js';
import { truncateBytes } from '../text.js';
import type { AlertEvent } from './alerts.js';
import { countByStatus, footer, intro, type MessageContext, orderEvents, PAYLOAD_SCHEMA, payloadEvent, serviceBlocks, serviceLabel, smsText } from './message-text.js';
import type { SmnMessage } from './ports.js';

export { PAYLOAD_SCHEMA, SMS_MAX_CHARS } from './message-text.js';
export type NotificationContext = MessageContext;

/** "256 KB" read as 256,000 bytes, the smaller of its two readings, for the whole request body. */
export const PUBLISH_BODY_MAX_BYTES = 256_000;
const SUBJECT_MAX_BYTES = 512;
// In a burst, what people read is capped at this many lines and services, so the rest of each
// publish carries the full list for machines.
const SUMMARY_LINES = 25;

export interface ProtocolTexts extends Record<string, string> {
  default: string;
  email: string;
  sms: string;
}

export interface Notification {
  /** Alerts (and policy actions) from the outbox, or the reminder of requests left waiting. */
  kind: 'alerts' | 'reminder';
  message: SmnMessage & { structure: ProtocolTexts };
  /** The events this message delivers: they leave the outbox when SMN accepts it. */
  eventIds: string[];
  events: readonly AlertEvent[];
}

/**
 * The bytes SMN receives for this message: exactly the body the SMN adapter sends
 * (`{"subject":…,"message_structure":"<the structure as a JSON string>"}`).
 */
export function publishBodyBytes(message: SmnMessage): number {
  const body = message.structure ? { subject: message.subject, message_structure: JSON.stringify(message.structure) } : { subject: message.subject, message: message.message ?? '' };
  return Buffer.byteLength(JSON.stringify(body), 'utf8');
}

export function buildNotifications(events: readonly AlertEvent[], context: NotificationContext): Notification[] {
  if (events.length === 0) return [];
  const ordered = orderEvents(events);
  // The common case: everything, for everyone, in one publish.
  const whole = render(ordered, ordered, context, undefined);
  if (publishBodyBytes(whole.message) <= PUBLISH_BODY_MAX_BYTES) return [whole];
  return renderBurst(ordered, context);
}

/**
 * A burst: the machine payload split into as few parts as fit, each with the people's summary.
 * Parts are packed by an estimate of each event's escaped size, then measured exactly; in the rare
 * case a part overshoots (the estimate ignores how the counter in the subject grows), they are
 * packed again with that much less room.
 */
function renderBurst(events: readonly AlertEvent[], context: NotificationContext): Notification[] {
  // The summary for people is the same in every part (it describes the whole burst).
  const fixed = publishBodyBytes(render([], events, context, { index: 999, count: 999 }).message);
  const costs = events.map((event) => bodyEscapedBytes(JSON.stringify(payloadEvent(event))) + 1);
  for (let room = PUBLISH_BODY_MAX_BYTES - fixed; ; ) {
    const groups = inBatches(events, (_, index) => costs[index]!, room);
    const parts = groups.map((group, index) => render(group, events, context, { index: index + 1, count: groups.length }));
    const overshoot = Math.max(...parts.map((part) => publishBodyBytes(part.message) - PUBLISH_BODY_MAX_BYTES));
    // One event per publish is as small as it gets; one still too large is SMN's to refuse, and
    // delivery then sets it aside rather than looping here.
    if (overshoot <= 0 || groups.every((group) => group.length === 1)) return parts;
    room -= overshoot;
  }
}

function render(events: readonly AlertEvent[], burst: readonly AlertEvent[], context: NotificationContext, part: { index: number; count: number } | undefined): Notification {
  const counter = part ? ` (part ${part.index} of ${part.count})` : '';
  const subject = truncateBytes(`[VPCEP ${context.region}] ${headline(burst, context.baseline)}${counter}`, SUBJECT_MAX_BYTES);
  const email = part ? summaryText(burst, context, part) : `${intro(events, context)}\n${serviceBlocks(events)}${footer(context)}`;
  const payload = JSON.stringify({
    schema: PAYLOAD_SCHEMA,
    type: context.baseline ? 'baseline' : 'changes',
    runId: context.runId,
    projectId: context.projectId,
    region: context.region,
    ...(part ? { part: part.index, parts: part.count } : {}),
    events: events.map(payloadEvent),
  });
  const structure: ProtocolTexts = { default: payload, email, sms: smsText(burst, context) };
  return { kind: 'alerts', message: { subject, structure }, eventIds: events.map((event) => event.id), events };
}

function headline(events: readonly AlertEvent[], baseline: boolean): string {
  const alerts = events.filter((event) => !event.action);
  const actions = events.length - alerts.length;
  const policy = actions > 0 ? `${alerts.length > 0 ? '; ' : ''}${actions} approval polic${actions === 1 ? 'y action' : 'y actions'}` : '';
  if (alerts.length === 0) return policy.replace(/^; /, '');
  const n = alerts.length;
  return baseline
    ? `${n} connection${n === 1 ? '' : 's'} need${n === 1 ? 's' : ''} attention (first run)${policy}`
    : `${n} connection${n === 1 ? '' : 's'} changed: ${countByStatus(alerts)}${policy}`;
}

function summaryText(burst: readonly AlertEvent[], context: NotificationContext, part: { index: number; count: number }): string {
  const perService = new Map<string, { label: string; events: AlertEvent[] }>();
  for (const event of burst) {
    const entry = perService.get(event.serviceId) ?? { label: serviceLabel(event.serviceName, event.serviceId), events: [] };
    entry.events.push(event);
    perService.set(event.serviceId, entry);
  }
  const services = [...perService.values()];
  const serviceLines = services.slice(0, SUMMARY_LINES).map(({ label, events }) => `  ${label}: ${countByStatus(events)}`);
  if (services.length > SUMMARY_LINES) serviceLines.push(`  ...and ${services.length - SUMMARY_LINES} more services.`);
  return [
    intro(burst, context),
    `This burst is too large for one message: ${burst.length} events in ${part.count} messages (this is part ${part.index}). ` +
      'People get this summary in each; the JSON for HTTP/HTTPS/FunctionGraph subscribers carries every event, and so does the audit trail ("vpcep-monitor audit").',
    '',
    'By service:',
    ...serviceLines,
    '',
    `Most urgent ${Math.min(SUMMARY_LINES, burst.length)}:`,
    serviceBlocks(burst.slice(0, SUMMARY_LINES)).trimEnd(),
    burst.length > SUMMARY_LINES ? `  ...and ${burst.length - SUMMARY_LINES} more.` : '',
    footer(context),
  ].join('\n');
}

/** What `text` costs inside the body: escaped once in the structure, once more in the body. */
export function bodyEscapedBytes(text: string): number {
  // Stringifying twice adds the escapes of both levels plus 6 bytes of quotes (`"`, then `\"` twice).
  return Buffer.byteLength(JSON.stringify(JSON.stringify(text)), 'utf8') - 6;
}
