/**
 * An SMN publish as its subscribers read it, for a person watching the local cloud: the subject
 * and e-mail text (what an `email` subscription receives) and the SMS text. The text carries what
 * other tenants wrote (connection descriptions), so nothing in it may steer the terminal: control,
 * invisible and bidirectional-override characters are shown as \u escapes instead of written raw.
 */
import type { PublishedMessage } from './types.js';

// C0 controls except tab and newline, DEL and C1 (escape sequences), zero-width and bidi controls.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The lines to print for one publish, without a trailing newline. */
export function subscriberView(message: PublishedMessage): string {
  const topic = message.topicUrn.split(':').at(-1) ?? message.topicUrn;
  const structure = message.messageStructure;
  // A subscription gets its protocol's key of message_structure, or `default` without one.
  const email = structure !== undefined ? (structure.email ?? structure.default) : (message.message ?? '');
  const sms = structure !== undefined ? (structure.sms ?? structure.default) : (message.message ?? '');
  const lines = [
    `── SMN message ${message.messageId} to topic ${terminalSafe(topic)} at ${message.at.toISOString()}`,
    `Subject: ${terminalSafe(message.subject ?? '')}`,
    'E-mail:',
    ...terminalSafe(email ?? '').trimEnd().split('\n').map((line) => (line === '' ? '' : `  ${line}`)),
    `SMS: ${terminalSafe(sms ?? '').replace(/\n/g, ' ')}`,
  ];
  return lines.join('\n');
}
