/**
 * Events turned into SMN messages, one text per protocol (`message_structure`). Pure.
 *
 * - `email` (and `default`, for every other protocol): grouped by service, one line per change,
 *   error details for failures;
 * - `sms`: at most 490 characters, none of `[ ] 【 】`, counts plus the most urgent ids;
 * - `http`, `https`, `functiongraph`: JSON with every event of that publish.
 *
 * A burst that does not fit one publish (256 KB for the whole structure) becomes as few publishes
 * as fit: people get a summary in each, machines get the full list across them. Subjects carry
 * only our own words and counts, never text another tenant wrote.
 */
import type { SmnMessage } from './ports.js';
import type { AlertEvent } from './alerts.js';
import { cleanText, cleanToken, displayServiceName } from './sanitize.js';

export interface NotificationContext {
  projectId: string;
  region: string;
  runId: string;
  /** The first run: the events are the connections found in alert states, not transitions. */
  baseline: boolean;
}

export interface Notification {
  /** Alerts (and policy actions) from the outbox, or the reminder of requests left waiting. */
  kind: 'alerts' | 'reminder';
  message: SmnMessage & { structure: ProtocolTexts };
  /** The events this message delivers: they leave the outbox when SMN accepts it. */
  eventIds: string[];
}

export interface ProtocolTexts extends Record<string, string> {
  default: string;
  email: string;
  sms: string;
  http: string;
  https: string;
  functiongraph: string;
}

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

export const PAYLOAD_SCHEMA = 'vpcep-connection-monitor/v1';
/** SMN's limits: the subject is an e-mail subject, the message at most 256 KB, both in UTF-8 bytes. */
const SMN_SUBJECT_MAX_BYTES = 512;
const SMN_MESSAGE_MAX_BYTES = 256 * 1024;
export const SMS_MAX_CHARS = 490;

// Room left in every publish for the JSON framing of message_structure and the subject.
const STRUCTURE_BUDGET_BYTES = SMN_MESSAGE_MAX_BYTES - 2 * 1024;
// In a burst, what people read is capped at this, so the rest of the publish carries the full list.
const SUMMARY_LINES = 25;
// Most urgent first: a failure needs a fix, a rejection a conversation, a request a decision.
const URGENCY = ['failed', 'rejected', 'pendingAcceptance'];

export function buildNotifications(events: readonly AlertEvent[], context: NotificationContext): Notification[] {
  if (events.length === 0) return [];
  const ordered = orderEvents(events);

  // The common case: everything, for everyone, in one publish.
  const whole = render(ordered, ordered, context, undefined);
  if (structureBytes(whole.message.structure) <= STRUCTURE_BUDGET_BYTES) return [whole];

  // A burst: split the machine payload into as few parts as fit, each with the people's summary.
  const parts = splitForPayload(ordered, context);
  return parts.map((part, index) => render(part, ordered, context, { index: index + 1, count: parts.length }));
}

function splitForPayload(events: readonly AlertEvent[], context: NotificationContext): AlertEvent[][] {
  // The summary for people is the same size in every part (it describes the whole burst).
  const fixed = structureBytes(render([], events, context, { index: 99, count: 99 }).message.structure);
  const parts: AlertEvent[][] = [];
  let current: AlertEvent[] = [];
  let bytes = fixed;
  for (const event of events) {
    // Each event appears in three JSON payloads (http, https, functiongraph), each escaped once
    // more inside message_structure.
    const cost = 3 * (escapedBytes(JSON.stringify(payloadEvent(event))) + 1);
    if (current.length > 0 && bytes + cost > STRUCTURE_BUDGET_BYTES) {
      parts.push(current);
      current = [];
      bytes = fixed;
    }
    current.push(event);
    bytes += cost;
  }
  parts.push(current);
  return parts;
}

function render(
  events: readonly AlertEvent[],
  burst: readonly AlertEvent[],
  context: NotificationContext,
  part: { index: number; count: number } | undefined,
): Notification {
  const counter = part ? ` (part ${part.index} of ${part.count})` : '';
  const subject = truncateBytes(`[VPCEP ${context.region}] ${headline(burst, context.baseline)}${counter}`, SMN_SUBJECT_MAX_BYTES);
  const people = part ? summaryText(burst, context, part) : fullText(events, context);
  const payload = JSON.stringify({
    schema: PAYLOAD_SCHEMA,
    type: context.baseline ? 'baseline' : 'changes',
    runId: context.runId,
    projectId: context.projectId,
    region: context.region,
    ...(part ? { part: part.index, parts: part.count } : {}),
    events: events.map(payloadEvent),
  });
  const structure: ProtocolTexts = {
    default: people,
    email: people,
    sms: smsText(burst, context),
    http: payload,
    https: payload,
    functiongraph: payload,
  };
  return { kind: 'alerts', message: { subject, structure }, eventIds: events.map((event) => event.id) };
}

/** What a reminder publish says: every request that has waited too long, once per run. */
export function buildReminder(reminders: readonly Reminder[], context: Omit<NotificationContext, 'baseline'>, periodMs: number): Notification {
  const ordered = [...reminders].sort((a, b) => b.waitingMs - a.waitingMs);
  const count = ordered.length;
  const subject = `[VPCEP ${context.region}] ${count} connection request${count === 1 ? '' : 's'} still waiting for acceptance`;
  const lines = ordered.map(
    (r) => `  - ${cleanToken(r.connectionId)} to ${serviceLabel(r.serviceName, r.serviceId)}: waiting ${formatWait(r.waitingMs)} (since ${cleanToken(r.since)}), consumer ${cleanToken(r.domainId) || 'unknown'}${r.description ? `, description "${cleanText(r.description, 200)}"` : ''}`,
  );
  const intro = `These requests have been pendingAcceptance for over ${formatWait(periodMs)}. Accept or reject them; this reminder repeats every ${formatWait(periodMs)} while they wait.\nProject ${context.projectId}, region ${context.region}.\n\n`;
  const footer = `\nRun ${cleanToken(context.runId, 80)}.\n`;
  let shown = lines.length;
  let email = intro + lines.join('\n') + '\n' + footer;
  // One reminder publish per run: if a huge backlog would not fit, list the longest-waiting ones.
  const payloadFor = (n: number) => JSON.stringify({
    schema: PAYLOAD_SCHEMA, type: 'reminder', runId: context.runId, projectId: context.projectId, region: context.region,
    events: ordered.slice(0, n).map((r) => ({ serviceId: r.serviceId, serviceName: r.serviceName, connectionId: r.connectionId, domainId: r.domainId, status: 'pendingAcceptance', since: r.since, waitingSeconds: Math.round(r.waitingMs / 1000), description: r.description })),
  });
  const sms = truncateChars(smsSafe(`VPCEP ${context.region}: ${count} request${count === 1 ? '' : 's'} waiting over ${formatWait(periodMs)}: ${ordered.map((r) => cleanToken(r.connectionId)).join(', ')}`), SMS_MAX_CHARS);
  let structure: ProtocolTexts = { default: email, email, sms, http: payloadFor(shown), https: payloadFor(shown), functiongraph: payloadFor(shown) };
  while (structureBytes(structure) > STRUCTURE_BUDGET_BYTES && shown > 1) {
    shown = Math.max(1, Math.floor(shown * 0.8));
    email = `${intro + lines.slice(0, shown).join('\n')}\n  ...and ${count - shown} more.\n${footer}`;
    structure = { default: email, email, sms, http: payloadFor(shown), https: payloadFor(shown), functiongraph: payloadFor(shown) };
  }
  return { kind: 'reminder', message: { subject, structure }, eventIds: [] };
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

function fullText(events: readonly AlertEvent[], context: NotificationContext): string {
  return `${intro(events, context)}\n${serviceBlocks(events)}${footer(context)}`;
}

function summaryText(burst: readonly AlertEvent[], context: NotificationContext, part: { index: number; count: number }): string {
  const perService = new Map<string, { label: string; events: AlertEvent[] }>();
  for (const event of burst) {
    const entry = perService.get(event.serviceId) ?? { label: serviceLabel(event.serviceName, event.serviceId), events: [] };
    entry.events.push(event);
    perService.set(event.serviceId, entry);
  }
  const serviceLines = [...perService.values()].map(({ label, events }) => `  ${label}: ${countByStatus(events)}`);
  return [
    intro(burst, context),
    `This burst is too large for one message: ${burst.length} events in ${part.count} messages (this is part ${part.index}). ` +
      'People get this summary in each; the HTTP/HTTPS/FunctionGraph payloads carry every event, and so does the audit trail ("vpcep-monitor audit").',
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

function intro(events: readonly AlertEvent[], context: NotificationContext): string {
  const lead = context.baseline
    ? 'First run of the VPC Endpoint connection monitor: these connections are in alert states now.'
    : 'VPC Endpoint connections entered alert states.';
  const alerts = events.filter((event) => !event.action);
  return `${lead}\nProject ${context.projectId}, region ${context.region}: ${alerts.length > 0 ? countByStatus(alerts) : 'no new alerts'}.\n`;
}

function footer(context: NotificationContext): string {
  return `\nRun ${cleanToken(context.runId, 80)}. Each event id is stable: if a message repeats an id you have seen, it is a repeat delivery.\n`;
}

function serviceBlocks(events: readonly AlertEvent[]): string {
  let text = '';
  let current: string | undefined;
  for (const event of events) {
    if (event.serviceId !== current) {
      text += `${serviceLabel(event.serviceName, event.serviceId)} (${cleanToken(event.serviceId)})\n`;
      current = event.serviceId;
    }
    text += `${eventLine(event)}\n`;
  }
  return text;
}

/** One line per change: what happened, to which connection, from whom, when, and why. */
function eventLine(event: AlertEvent): string {
  const who = `consumer ${cleanToken(event.domainId) || 'unknown'}`;
  const description = event.description ? `, description "${cleanText(event.description, 512)}"` : '';
  if (event.action) {
    const { action } = event;
    const verb = action.type === 'receive' ? 'accept' : 'reject';
    const what = action.outcome === 'planned' ? `would ${verb} (dry run)` : action.outcome === 'done' ? `${verb}ed` : `FAILED to ${verb}`;
    const error = action.error ? `: ${cleanText(action.error, 300)}` : '';
    return `  - ${cleanToken(event.connectionId)}: approval policy ${what}${error}; why: ${cleanText(action.reason, 200)}; ${who}${description} (event ${event.id})`;
  }
  const from = event.from === null ? (event.baseline ? 'found' : 'new') : cleanToken(event.from);
  const errors = event.errors.map((error) => `, error ${cleanToken(error.code) || 'unknown'}: ${cleanText(error.message, 512)}`).join('');
  return `  - ${cleanToken(event.connectionId)}: ${from} -> ${cleanToken(event.to)} at ${cleanToken(event.at || event.detectedAt)}, ${who}${errors}${description} (event ${event.id})`;
}

function smsText(events: readonly AlertEvent[], context: NotificationContext): string {
  const alerts = events.filter((event) => !event.action);
  const actions = events.length - alerts.length;
  let text = `VPCEP ${context.region}${context.baseline ? ' first run' : ''}: ${alerts.length > 0 ? countByStatus(alerts, true) : 'no new alerts'}`;
  if (actions > 0) text += `; ${actions} policy action${actions === 1 ? '' : 's'}`;
  text += '.';
  // The ids that need someone first; each is cut to its first block, enough to find it.
  const urgent = [...alerts].sort((a, b) => urgency(a.to) - urgency(b.to));
  const ids: string[] = [];
  for (const event of urgent) {
    const id = `${shortStatus(event.to)} ${cleanToken(event.connectionId)}`;
    const rest = urgent.length - ids.length - 1;
    const tail = rest > 0 ? ` +${rest} more` : '';
    if (`${text} ${[...ids, id].join(', ')}${tail}`.length > SMS_MAX_CHARS) break;
    ids.push(id);
  }
  if (ids.length > 0) text += ` ${ids.join(', ')}`;
  if (ids.length < urgent.length) text += ` +${urgent.length - ids.length} more`;
  return truncateChars(smsSafe(text), SMS_MAX_CHARS);
}

function payloadEvent(event: AlertEvent): Record<string, unknown> {
  return {
    id: event.id,
    serviceId: event.serviceId,
    serviceName: event.serviceName,
    connectionId: event.connectionId,
    domainId: event.domainId,
    from: event.from,
    to: event.to,
    at: event.at,
    detectedAt: event.detectedAt,
    description: event.description,
    error: event.errors.length > 0 ? event.errors : null,
    ...(event.action ? { action: event.action } : {}),
  };
}

function serviceLabel(serviceName: string, serviceId: string): string {
  return displayServiceName(serviceName, serviceId) || 'Service';
}

const urgency = (status: string): number => (URGENCY.includes(status) ? URGENCY.indexOf(status) : URGENCY.length);

/** Services in the order they first appear; within one, alerts by urgency, then policy actions. */
function orderEvents(events: readonly AlertEvent[]): AlertEvent[] {
  const rank = new Map<string, number>();
  for (const event of events) if (!rank.has(event.serviceId)) rank.set(event.serviceId, rank.size);
  return [...events].sort(
    (a, b) => rank.get(a.serviceId)! - rank.get(b.serviceId)! || Number(Boolean(a.action)) - Number(Boolean(b.action)) || urgency(a.to) - urgency(b.to),
  );
}

function countByStatus(events: readonly AlertEvent[], short = false): string {
  const counts = new Map<string, number>();
  for (const event of events) counts.set(event.to, (counts.get(event.to) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => urgency(a) - urgency(b) || a.localeCompare(b))
    .map(([status, count]) => `${count} ${short ? shortStatus(status) : cleanToken(status, 32)}`)
    .join(', ');
}

function shortStatus(status: string): string {
  return status === 'pendingAcceptance' ? 'pending' : cleanToken(status, 20);
}

/** SMN refuses SMS text with square brackets of either width. */
function smsSafe(text: string): string {
  return text.replace(/[[\]【】]/g, '');
}

function formatWait(ms: number): string {
  if (ms < 60_000) return `${Math.floor(ms / 1000)}s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h${minutes % 60 ? ` ${minutes % 60}m` : ''}`;
  return `${Math.floor(hours / 24)}d${hours % 24 ? ` ${hours % 24}h` : ''}`;
}

function structureBytes(structure: ProtocolTexts): number {
  return Buffer.byteLength(JSON.stringify(structure), 'utf8');
}

function escapedBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), 'utf8') - 2;
}

function truncateChars(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function truncateBytes(text: string, max: number): string {
  if (Buffer.byteLength(text, 'utf8') <= max) return text;
  let out = '';
  for (const char of text) {
    if (Buffer.byteLength(out + char, 'utf8') > max - 3) break;
    out += char;
  }
  return `${out}...`;
}
