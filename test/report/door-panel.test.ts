/** The report's door panel and who made each change: model and page. */
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../lib/report/report-model.js';
import { renderReport } from '../../lib/report/render-report.js';
import { record, stateWith } from './records.js';

const now = new Date('2026-11-20T12:00:00Z');
const since = new Date('2026-11-10T12:00:00Z');

describe('the door panel and the By column', () => {
  const state = { ...stateWith({ 'svc-1': { name: 'payments', connections: { c1: ['rejected', '2026-11-19T00:00:00Z', 'd1'], c2: ['rejected', '2026-11-19T00:00:00Z', 'd2'] } } }), doors: new Map([['svc-1', { approvalEnabled: false, whitelist: ['*', 'aaa'], checkedAt: '2026-11-20T11:00:00Z' }]]) };
  const records = [
    record({ at: '2026-11-19T00:05:00Z', connectionId: 'c1', change: 'status', from: 'accepted', to: 'rejected', eventId: 'e1', attribution: 'trace', by: 'alice<script>', account: 'acme', sourceIp: '192.0.2.1', traceId: 'tr-1' }),
    record({ at: '2026-11-19T00:05:00Z', connectionId: 'c2', change: 'status', from: 'accepted', to: 'rejected', eventId: 'e2', attribution: 'pending' }),
    record({ at: '2026-11-19T00:10:00Z', connectionId: 'c2', change: 'attribution', from: 'accepted', to: 'rejected', eventId: 'e2', attribution: 'trace', by: 'bob' }),
    record({ at: '2026-11-19T01:00:00Z', connectionId: '', change: 'door', from: null, to: 'approval-off', eventId: 'e3', door: 'approval-off', raised: true }),
    record({ at: '2026-11-19T02:00:00Z', connectionId: '', change: 'door', from: null, to: 'whitelist-changed', eventId: 'e4', door: 'whitelist-changed', accountsAdded: ['aaa'], raised: true }),
  ];
  const model = buildReport({ now, since, state, records });
  const service = model.services[0]!;

  it('keeps door records out of the changes and fills a pending attribution from the later record', () => {
    expect(service.changes.map((c) => [c.connectionId, c.by])).toEqual([['c2', 'bob'], ['c1', 'alice<script>']]);
    expect(service.changeCount).toBe(2);
    expect(service.doorChanges.map((r) => r.door)).toEqual(['whitelist-changed', 'approval-off']);
    expect(service.door).toEqual({ approvalEnabled: false, whitelist: ['*', 'aaa'], checkedAt: '2026-11-20T11:00:00Z' });
  });

  it('shows the door now, its changes, and who made each change, escaped', () => {
    const page = renderReport(model);
    expect(page).toContain('Connection approval: OFF');
    expect(page).toContain('Whitelist: open to every account (*)');
    expect(page).toContain('+aaa');
    expect(page).toContain('alice&lt;script&gt;');
    expect(page).not.toContain('alice<script>');
    expect(page).toContain('from 192.0.2.1');
    expect(page).toContain('trace tr-1');
    expect(page).toMatch(/<td data-label="By">bob<\/td>/);
  });

  it('says a service\'s door is not watched yet when the state has none', () => {
    const page = renderReport(buildReport({ now, since, state: stateWith({ 'svc-1': { name: 'payments', connections: {} } }), records: [] }));
    expect(page).toContain('Not watched yet');
  });
});
