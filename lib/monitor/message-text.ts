/**
 * The words of every message, for people and for machines: one line per change for e-mail, a
 * bracket-free SMS of at most 490 characters, and the JSON events machines parse. Pure. Text other
 * tenants wrote (descriptions, domain ids) passes through `sanitize.ts` before any format sees it,
 * and never reaches a subject.
 */
import { truncate } from '../text.js';
import type { AlertEvent, Attribution } from './alerts.js';
import { cleanStrings, cleanText, cleanToken, displayServiceName } from './sanitize.js';

export const PAYLOAD_SCHEMA = 'vpcep-connection-monitor/v1';
export const SMS_MAX_CHARS = 490;

// Most urgent first: an open door lets anyone in, a failure needs a fix, a rejection a
// conversation, a request a decision.
const URGENCY = ['open-to-all', 'approval-off', 'accepted-without-review', 'failed', 'rejected', 'pendingAcceptance', 'whitelist-changed', 'approval-on'];
/** User names and the like in CTS traces are data too: bounded. */
const NAME_MAX = 64;

export interface MessageContext {
  projectId: string;
  region: string;
  runId: string;
  /** The first run: the events are the connections found in alert states, not transitions. */
  baseline: boolean;
}

export function intro(events: readonly AlertEvent[], context: MessageContext): string {
  const alerts = events.filter((event) => !event.action);
  const doors = alerts.filter((event) => event.door && event.door.kind !== 'accepted-without-review').length;
  const lead = context.baseline
    ? 'First run of the VPC Endpoint connection monitor: these connections are in alert states now.'
    : doors === 0 ? 'VPC Endpoint connections entered alert states.'
    : doors === alerts.length ? 'The door of a VPC endpoint service changed: who may connect, or whether anyone reviews it.'
    : 'VPC Endpoint connections entered alert states, and the door of a service changed.';
  return `${lead}\nProject ${context.projectId}, region ${context.region}: ${alerts.length > 0 ? countByStatus(alerts) : 'no new alerts'}.\n`;
}

export function footer(context: Pick<MessageContext, 'runId'>): string {
  return `\nRun ${cleanToken(context.runId, 80)}. Each event id is stable: if a message repeats an id you have seen, it is a repeat delivery.\n`;
}

/** Events grouped under a heading per service, in the order given. */
export function serviceBlocks(events: readonly AlertEvent[]): string {
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
  if (event.door && event.door.kind !== 'accepted-without-review') return doorLine(event);
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
  const review = event.door ? ' without review (connection approval is off)' : '';
  return `  - ${cleanToken(event.connectionId)}: ${from} -> ${cleanToken(event.to)}${review} at ${cleanToken(event.at || event.detectedAt)}${actor(event.attribution)}, ${who}${errors}${description} (event ${event.id})`;
}

/** A change of the service's door: what it means, in words. */
function doorLine(event: AlertEvent): string {
  const door = event.door!;
  const accounts = (list: readonly string[] | undefined): string => list!.map((account) => (account === '*' ? '* (every account)' : cleanToken(account))).join(', ');
  const what =
    door.kind === 'approval-off' ? 'connection approval switched OFF: from now on every whitelisted account is accepted without review'
    : door.kind === 'approval-on' ? 'connection approval switched on: new connections wait for acceptance again'
    : door.kind === 'open-to-all' ? 'whitelist opened to EVERY account (*): any account of the cloud may connect'
    : [door.added ? `whitelist gained ${accounts(door.added)}` : '', door.removed ? `whitelist lost ${accounts(door.removed)}` : ''].filter(Boolean).join('; ');
  return `  - door: ${what} (detected ${cleanToken(event.detectedAt)}, event ${event.id})`;
}

/** `, by NAME (type, account A) from IP, trace T`: who made an accept or reject, as far as CTS says. */
export function actor(attribution: Attribution | undefined): string {
  if (attribution === undefined) return '';
  if (attribution.source === 'pending') return ', by: not known yet (CTS traces arrive late; the audit trail will say)';
  if (attribution.source === 'unknown' || attribution.user === undefined) return ', by: unknown';
  const details = [attribution.userType ? cleanToken(attribution.userType, 32) : '', attribution.accountName ? `account ${cleanText(attribution.accountName, NAME_MAX)}` : ''].filter(Boolean).join(', ');
  const from = attribution.sourceIp ? ` from ${cleanToken(attribution.sourceIp, 45)}` : '';
  const trace = attribution.traceId ? `, trace ${cleanToken(attribution.traceId)}` : '';
  return `, by ${cleanText(attribution.user, NAME_MAX)}${details ? ` (${details})` : ''}${from}${trace}`;
}

/** Counts first, then as many of the most urgent ids as fit 490 characters. */
export function smsText(events: readonly AlertEvent[], context: MessageContext): string {
  const alerts = events.filter((event) => !event.action);
  const actions = events.length - alerts.length;
  let text = `VPCEP ${context.region}${context.baseline ? ' first run' : ''}: ${alerts.length > 0 ? countByStatus(alerts, true) : 'no new alerts'}`;
  if (actions > 0) text += `; ${actions} policy action${actions === 1 ? '' : 's'}`;
  text += '.';
  const urgent = [...alerts].sort((a, b) => urgency(kindOf(a)) - urgency(kindOf(b)));
  const named = (event: AlertEvent): string => (event.attribution?.source === 'trace' && event.attribution.user ? ` by ${cleanText(event.attribution.user, 32)}` : '');
  return smsSafe(`${text}${idList(urgent.map((event) => `${shortStatus(kindOf(event))} ${cleanToken(event.connectionId || event.serviceId)}${named(event)}`), text.length)}`);
}

/** ` id, id, id +N more`, as many ids as fit after `used` characters of an SMS. */
export function idList(ids: readonly string[], used: number): string {
  let list = '';
  let shown = 0;
  for (const id of ids) {
    const next = `${list}${shown === 0 ? ' ' : ', '}${id}`;
    const rest = ids.length - shown - 1;
    if (used + next.length + (rest > 0 ? ` +${rest} more`.length : 0) > SMS_MAX_CHARS) break;
    list = next;
    shown += 1;
  }
  return shown < ids.length ? `${list} +${ids.length - shown} more` : list;
}

/** SMN refuses SMS text with square brackets of either width; the result is bounded too. */
export function smsSafe(text: string): string {
  return truncate(text.replace(/[[\]【】]/g, ''), SMS_MAX_CHARS);
}

/**
 * The event as machines receive it: stable field names, documented in docs/messages.md. Every text
 * in it is cleaned as the e-mail's are (a machine's JSON is read by people too, in consoles and tickets).
 */
export function payloadEvent(event: AlertEvent): Record<string, unknown> {
  return cleanStrings({
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
    ...(event.door ? { door: event.door } : {}),
    ...(event.attribution ? { by: event.attribution } : {}),
  });
}

export function serviceLabel(serviceName: string, serviceId: string): string {
  return displayServiceName(serviceName, serviceId) || 'Service';
}

const urgency = (status: string): number => (URGENCY.includes(status) ? URGENCY.indexOf(status) : URGENCY.length);

/** What an event is counted and ordered as: its door change, or the status it entered. */
export function kindOf(event: AlertEvent): string {
  return event.door?.kind ?? event.to;
}

/** Services in the order they first appear; within one, alerts by urgency, then policy actions. */
export function orderEvents(events: readonly AlertEvent[]): AlertEvent[] {
  const rank = new Map<string, number>();
  for (const event of events) if (!rank.has(event.serviceId)) rank.set(event.serviceId, rank.size);
  return [...events].sort(
    (a, b) => rank.get(a.serviceId)! - rank.get(b.serviceId)! || Number(Boolean(a.action)) - Number(Boolean(b.action)) || urgency(kindOf(a)) - urgency(kindOf(b)),
  );
}

export function countByStatus(events: readonly AlertEvent[], short = false): string {
  const counts = new Map<string, number>();
  for (const event of events) counts.set(kindOf(event), (counts.get(kindOf(event)) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => urgency(a) - urgency(b) || a.localeCompare(b))
    .map(([status, count]) => `${count} ${short ? shortStatus(status) : cleanToken(status, 32)}`)
    .join(', ');
}

const SHORT: Record<string, string> = { pendingAcceptance: 'pending', 'accepted-without-review': 'unreviewed', 'whitelist-changed': 'whitelist' };

function shortStatus(status: string): string {
  return SHORT[status] ?? cleanToken(status, 20);
}
