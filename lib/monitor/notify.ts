/**
 * Alert events turned into SMN messages. Pure. One message carries as many events as fit SMN's
 * limits; the subject carries only our own words and counts, never another tenant's text.
 */
import type { SmnMessage } from '../huaweicloud/smn.js';
import { SMN_MESSAGE_MAX_BYTES, SMN_SUBJECT_MAX_BYTES } from '../huaweicloud/smn.js';
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
  message: SmnMessage;
  /** The events this message delivers: they leave the outbox when SMN accepts it. */
  eventIds: string[];
}

// Leave room for the header and footer that every part carries.
const BODY_BUDGET_BYTES = SMN_MESSAGE_MAX_BYTES - 4 * 1024;

export function buildNotifications(events: readonly AlertEvent[], context: NotificationContext): Notification[] {
  if (events.length === 0) return [];
  // Group by service, services in order of first appearance, so a reader sees one block per service.
  const byService = new Map<string, AlertEvent[]>();
  for (const event of events) {
    const group = byService.get(event.serviceId);
    if (group) group.push(event);
    else byService.set(event.serviceId, [event]);
  }

  const parts: { text: string; bytes: number; eventIds: string[]; events: AlertEvent[] }[] = [];
  let current = { text: '', bytes: 0, eventIds: [] as string[], events: [] as AlertEvent[] };
  let currentService: string | undefined;
  for (const [serviceId, group] of byService) {
    for (const event of group) {
      const heading = currentService === serviceId ? '' : serviceHeading(event);
      let block = heading + eventBlock(event);
      if (current.eventIds.length > 0 && current.bytes + byteLength(block) > BODY_BUDGET_BYTES) {
        parts.push(current);
        current = { text: '', bytes: 0, eventIds: [], events: [] };
        block = serviceHeading(event) + eventBlock(event);
      }
      current.text += block;
      current.bytes += byteLength(block);
      current.eventIds.push(event.id);
      current.events.push(event);
      currentService = serviceId;
    }
  }
  parts.push(current);

  return parts.map((part, index) => {
    const counter = parts.length > 1 ? ` (part ${index + 1} of ${parts.length})` : '';
    const subject = truncateBytes(subjectFor(part.events, context) + counter, SMN_SUBJECT_MAX_BYTES);
    const message = `${header(part.events, context)}${counter ? `This is${counter}.\n` : ''}\n${part.text}${footer(context)}`;
    return { message: { subject, message }, eventIds: part.eventIds };
  });
}

function subjectFor(events: readonly AlertEvent[], context: NotificationContext): string {
  const what = context.baseline
    ? `${events.length} connection${events.length === 1 ? '' : 's'} need${events.length === 1 ? 's' : ''} attention (first run)`
    : `${events.length} connection${events.length === 1 ? '' : 's'} changed: ${countByStatus(events)}`;
  return `[VPCEP ${context.region}] ${what}`;
}

function header(events: readonly AlertEvent[], context: NotificationContext): string {
  const intro = context.baseline
    ? 'First run of the VPC Endpoint connection monitor: these connections are in alert states now.'
    : 'VPC Endpoint connections entered alert states.';
  return `${intro}\nProject ${context.projectId}, region ${context.region}: ${countByStatus(events)}.\n`;
}

function footer(context: NotificationContext): string {
  return `\nRun ${cleanToken(context.runId, 80)}. Each event id is stable: if a message repeats an id you have seen, it is a repeat delivery.\n`;
}

function serviceHeading(event: AlertEvent): string {
  const name = event.serviceName ? `${displayServiceName(event.serviceName, event.serviceId)} ` : '';
  return `Service ${name}(${cleanToken(event.serviceId)})\n`;
}

function eventBlock(event: AlertEvent): string {
  const lines = [
    `  - Connection ${cleanToken(event.connectionId)} from consumer account ${cleanToken(event.domainId) || 'unknown'}`,
    `    ${event.from === null ? (event.baseline ? 'found' : 'new') : cleanToken(event.from)} -> ${cleanToken(event.to)} at ${cleanToken(event.at || event.detectedAt)}`,
  ];
  if (event.description) lines.push(`    Description: "${cleanText(event.description, 512)}"`);
  for (const error of event.errors) {
    lines.push(`    Error: ${cleanToken(error.code) || 'unknown'}: ${cleanText(error.message, 512)}`);
  }
  lines.push(`    Event id: ${event.id}`);
  return `${lines.join('\n')}\n`;
}

// Most urgent first: a failure needs a fix, a rejection a conversation, a request a decision.
const URGENCY = ['failed', 'rejected', 'pendingAcceptance'];
const urgency = (status: string): number => (URGENCY.includes(status) ? URGENCY.indexOf(status) : URGENCY.length);

function countByStatus(events: readonly AlertEvent[]): string {
  const counts = new Map<string, number>();
  for (const event of events) counts.set(event.to, (counts.get(event.to) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => urgency(a) - urgency(b) || a.localeCompare(b))
    .map(([status, count]) => `${count} ${cleanToken(status, 32)}`)
    .join(', ');
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function truncateBytes(text: string, max: number): string {
  if (byteLength(text) <= max) return text;
  let out = '';
  for (const char of text) {
    if (byteLength(out + char) > max - 3) break;
    out += char;
  }
  return `${out}...`;
}
