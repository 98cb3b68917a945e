/** The monitor's notices to its operators, as plain data: the channel contract every alert keeps. */
import { describe, expect, it } from 'vitest';
import { operatorNotice } from '../../lib/monitor/operator-notice.js';

describe('operatorNotice', () => {
  it('ends the SMS with the run that sent it, and keeps subject, e-mail and payload', () => {
    const notice = operatorNotice({ type: 'dead-lettered', subject: 'S', projectId: 'p1', region: 'ap-southeast-1', runId: 'run-7', email: 'E', sms: 'Alerts set aside.', details: { count: 2 } });
    expect(notice.subject).toBe('S');
    expect(notice.structure.email).toBe('E');
    expect(notice.structure.sms).toBe('Alerts set aside. Run run-7.');
    expect(JSON.parse(notice.structure.default)).toMatchObject({ type: 'dead-lettered', runId: 'run-7', projectId: 'p1', region: 'ap-southeast-1', count: 2 });
  });
});
