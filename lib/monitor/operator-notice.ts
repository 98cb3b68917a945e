/**
 * The monitor's notices to its operators (state set aside, alerts dead-lettered) keep the channel
 * contract every alert keeps: a `message_structure` with JSON in `default` (what http, https and
 * functiongraph subscribers parse), the e-mail text, and an SMS within 490 characters without
 * brackets. Pure.
 */
import { PAYLOAD_SCHEMA, smsSafe } from './message-text.js';
import type { Notification } from './notify.js';
import { cleanToken } from './sanitize.js';

export interface OperatorNoticeInput {
  /** The payload's `type`, which machines switch on. */
  type: 'state-quarantined' | 'dead-lettered' | 'foreign-state';
  subject: string;
  projectId: string;
  region: string;
  runId: string;
  email: string;
  sms: string;
  /** The notice's facts for machines, beside the fields every payload has. */
  details: Record<string, unknown>;
}

export function operatorNotice(input: OperatorNoticeInput): Notification['message'] {
  const payload = JSON.stringify({ schema: PAYLOAD_SCHEMA, type: input.type, runId: input.runId, projectId: input.projectId, region: input.region, ...input.details });
  return {
    subject: input.subject,
    structure: { default: payload, email: input.email, sms: smsSafe(`${input.sms} Run ${cleanToken(input.runId, 80)}.`) },
  };
}
