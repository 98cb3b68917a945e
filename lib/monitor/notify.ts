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
import { LOCAL_CLI, truncateBytes } from '../text.js';
import type { AlertEvent } from './alerts.js';
import { countByStatus, footer, intro, type MessageContext, orderEvents, PAYLOAD_SCHEMA, payloadEvent, serviceBlocks, serviceLabel, smsText } from './message-text.js';
import type { SmnMessage } from './ports.js';

export { PAYLOAD_SCHEMA, SMS_MAX_CHARS } from './message-text.js';

/** "256 KB" read as 256,000 bytes, the smaller of its two readings, for the whole request body. */
export const PUBLISH_BODY_MAX_BYTES = 256_000;
/** SMN sends the subject as an e-mail subject: at most 512 bytes of UTF-8. */
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

export function buildNotifications(events: readonly AlertEvent[], context: MessageContext): Notification[] {
  if (events.length === 0) return [];
  const ordered = orderEvents(events);
  const costs = ordered.map((event) => bodyEscapedBytes(JSON.stringify(payloadEvent(event))) + 1);
  const shared = { headline: headline(ordered, context.baseline), sms: smsText(ordered, context) };
  // The common case: everything, for everyone, in one publish. The events alone take Σcosts − 1
  // bytes of the body (one comma fewer than events); past the limit the whole cannot fit, and a
  // burst of 100,000 is never rendered whole just to learn that.
  if (costs.reduce((sum, cost) => sum + cost, 0) - 1 <= PUBLISH_BODY_MAX_BYTES) {
    const whole = render(ordered, context, { ...shared, email: `${intro(ordered, context)}\n${serviceBlocks(ordered)}${footer(context)}` }, undefined);
    if (publishBodyBytes(whole.message) <= PUBLISH_BODY_MAX_BYTES) return [whole];
  }
  return renderBurst(ordered, context, costs, shared);
}

interface PeopleTexts {
  headline: string;
  email: string;
  sms: string;
}

/**
 * A burst: the machine payload split into as few parts as fit, each with the people's summary.
 * Parts are packed by each event's escaped size (`costs`), then measured exactly; in the rare
 * case a part overshoots (the estimate ignores how the counter in the subject grows), they are
 * packed again with that much less room.
 *
 * The parts are rendered when they are sent, not here: a burst of 20,000 alerts is some fifty
 * publishes of ~0.5 MB of text each, which held all at once were a quarter of the smallest
 * function's memory. Each part is rendered once to be measured and once when it is read, and never
 * kept; rendering is pure, so both give the same bytes.
 */
function renderBurst(events: readonly AlertEvent[], context: MessageContext, costs: readonly number[], shared: Omit<PeopleTexts, 'email'>): Notification[] {
  // What people read describes the whole burst: built once, only the part number differs.
  const summary = burstSummary(events, context);
  const people = (part: Part): PeopleTexts => ({ ...shared, email: summary(part) });
  const widest = { index: 999, count: 999 };
  const fixed = publishBodyBytes(render([], context, people(widest), widest).message);
  for (let room = PUBLISH_BODY_MAX_BYTES - fixed; ; ) {
    const groups = inBatches(events, (_, index) => costs[index]!, room);
    const partOf = (index: number): Part => ({ index: index + 1, count: groups.length });
    // One event per publish is as small as it gets; one still too large is SMN's to refuse, and
    // delivery then sets it aside rather than looping here. Only parts of several events can shrink,
    // so only they set the room: an oversized event must not split the rest of the burst apart.
    let overshoot = 0;
    for (const [index, group] of groups.entries()) {
      if (group.length > 1) overshoot = Math.max(overshoot, publishBodyBytes(render(group, context, people(partOf(index)), partOf(index)).message) - PUBLISH_BODY_MAX_BYTES);
    }
    if (overshoot === 0) return groups.map((group, index) => renderedWhenRead(group, () => render(group, context, people(partOf(index)), partOf(index)).message));
    room -= overshoot;
  }
}

/** A notification whose message is rendered each time it is read, and not kept. */
function renderedWhenRead(events: readonly AlertEvent[], message: () => Notification['message']): Notification {
  return {
    kind: 'alerts',
    get message() {
      return message();
    },
    eventIds: events.map((event) => event.id),
    events,
  };
}

interface Part {
  index: number;
  count: number;
}

function render(events: readonly AlertEvent[], context: MessageContext, people: PeopleTexts, part: Part | undefined): Notification {
  const counter = part ? ` (part ${part.index} of ${part.count})` : '';
  const subject = truncateBytes(`[VPCEP ${context.region}] ${people.headline}${counter}`, SUBJECT_MAX_BYTES);
  const payload = JSON.stringify({
    schema: PAYLOAD_SCHEMA,
    type: context.baseline ? 'baseline' : 'changes',
    runId: context.runId,
    projectId: context.projectId,
    region: context.region,
    ...(part ? { part: part.index, parts: part.count } : {}),
    events: events.map(payloadEvent),
  });
  const structure: ProtocolTexts = { default: payload, email: people.email, sms: people.sms };
  return { kind: 'alerts', message: { subject, structure }, eventIds: events.map((event) => event.id), events };
}

function headline(events: readonly AlertEvent[], baseline: boolean): string {
  const alerts = events.filter((event) => !event.action);
  const actions = events.length - alerts.length;
  const policy = actions > 0 ? `${alerts.length > 0 ? '; ' : ''}${actions} approval polic${actions === 1 ? 'y action' : 'y actions'}` : '';
  if (alerts.length === 0) return policy.replace(/^; /, '');
  // A service's door is no connection: said apart, first.
  const doors = alerts.filter((event) => event.door && event.door.kind !== 'accepted-without-review');
  if (doors.length > 0) {
    const rest = alerts.length - doors.length;
    return `${doors.length} door change${doors.length === 1 ? '' : 's'} (${countByStatus(doors)})${rest > 0 ? `; ${rest} connection${rest === 1 ? '' : 's'} changed` : ''}${policy}`;
  }
  const n = alerts.length;
  return baseline
    ? `${n} connection${n === 1 ? '' : 's'} need${n === 1 ? 's' : ''} attention (first run)${policy}`
    : `${n} connection${n === 1 ? '' : 's'} changed: ${countByStatus(alerts)}${policy}`;
}

/** The e-mail of every part of a burst, but for which part it is. */
function burstSummary(burst: readonly AlertEvent[], context: MessageContext): (part: Part) => string {
  const perService = new Map<string, { label: string; events: AlertEvent[] }>();
  for (const event of burst) {
    const entry = perService.get(event.serviceId) ?? { label: serviceLabel(event.serviceName, event.serviceId), events: [] };
    entry.events.push(event);
    perService.set(event.serviceId, entry);
  }
  const services = [...perService.values()];
  const serviceLines = services.slice(0, SUMMARY_LINES).map(({ label, events }) => `  ${label}: ${countByStatus(events)}`);
  if (services.length > SUMMARY_LINES) serviceLines.push(`  ...and ${services.length - SUMMARY_LINES} more services.`);
  const opening = intro(burst, context);
  const rest = [
    '',
    'By service:',
    ...serviceLines,
    '',
    `Most urgent ${Math.min(SUMMARY_LINES, burst.length)}:`,
    serviceBlocks(burst.slice(0, SUMMARY_LINES)).trimEnd(),
    burst.length > SUMMARY_LINES ? `  ...and ${burst.length - SUMMARY_LINES} more.` : '',
    footer(context),
  ].join('\n');
  return (part) =>
    [
      opening,
      `This burst is too large for one message: ${burst.length} events in ${part.count} messages (this is part ${part.index}). ` +
        `People get this summary in each; the JSON for HTTP/HTTPS/FunctionGraph subscribers carries every event, and so does the audit trail ("${LOCAL_CLI} audit").`,
      rest,
    ].join('\n');
}

/** What `text` costs inside the body: escaped once in the structure, once more in the body. */
function bodyEscapedBytes(text: string): number {
  // Stringifying twice adds the escapes of both levels plus 6 bytes of quotes (`"`, then `\"` twice).
  return Buffer.byteLength(JSON.stringify(JSON.stringify(text)), 'utf8') - 6;
}
