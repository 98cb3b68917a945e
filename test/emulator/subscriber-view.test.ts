/** An SMN publish as its subscribers read it, safe to print on a terminal whatever another tenant wrote. */
import { expect, test } from 'vitest';
import { subscriberView, terminalSafe } from '../../lib/emulator/subscriber-view.js';
import type { PublishedMessage } from '../../lib/emulator/types.js';

const base: PublishedMessage = { topicUrn: 'urn:smn:ap-southeast-1:0a5c:vpcep-alerts', raw: {}, at: new Date('2026-11-26T10:00:00Z'), messageId: 'm1' };

test('shows the subject, the e-mail text and the SMS text of a message_structure', () => {
  const view = subscriberView({ ...base, subject: '[VPCEP] 1 connection changed', messageStructure: { default: 'plain', email: 'line one\n\nline two\n', sms: 'short\ntext' } });
  expect(view.split('\n')).toEqual([
    '── SMN message m1 to topic vpcep-alerts at 2026-11-26T10:00:00.000Z',
    'Subject: [VPCEP] 1 connection changed',
    'E-mail:',
    '  line one',
    '',
    '  line two',
    'SMS: short text',
  ]);
});

test('falls back to default, and shows a plain message to both', () => {
  expect(subscriberView({ ...base, messageStructure: { default: 'for everyone' } })).toContain('E-mail:\n  for everyone\nSMS: for everyone');
  expect(subscriberView({ ...base, message: 'plain text' })).toContain('E-mail:\n  plain text\nSMS: plain text');
});

test('shows terminal controls, invisible and bidi characters as escapes instead of obeying them', () => {
  expect(terminalSafe('a\u001b[2Jb\u0007c\u202ed\u200be\tf\ng')).toBe('a\\u001b[2Jb\\u0007c\\u202ed\\u200be\tf\ng');
  const view = subscriberView({ ...base, subject: 'x\u001b]0;owned\u0007', message: 'description "\u009b31m"' });
  expect(view).not.toMatch(/[\u001b\u0007\u009b]/);
  expect(view).toContain('Subject: x\\u001b]0;owned\\u0007');
});
