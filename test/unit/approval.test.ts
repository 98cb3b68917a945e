import { describe, expect, it } from 'vitest';
import type { ApprovalPolicy } from '../../lib/config.js';
import { eventId } from '../../lib/monitor/alerts.js';
import { actionEvent, decide, planActions, plannedEvents } from '../../lib/monitor/approval.js';
import { connection } from '../fakes.js';

const FRIEND = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const STRANGER = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const BOTH = 'cccccccccccccccccccccccccccccccc';
const NOBODY = 'dddddddddddddddddddddddddddddddd';
const service = { id: 'svc-1', name: 'payments' };
const DETECTED = '2026-11-25T12:00:00.000Z';

const policy = (mode: ApprovalPolicy['mode'], accept: string[], reject: string[] | '*'): ApprovalPolicy => ({
  mode,
  acceptDomains: new Set(accept),
  rejectDomains: reject === '*' ? '*' : new Set(reject),
});

describe('decide', () => {
  it('accepts a domain on the accept list and rejects one on the reject list', () => {
    const lists = policy('enforce', [FRIEND], [STRANGER]);
    expect(decide(FRIEND, lists)).toEqual({ type: 'receive', reason: 'the consumer domain is on AUTO_ACCEPT_DOMAINS' });
    expect(decide(STRANGER, lists)).toEqual({ type: 'reject', reason: 'the consumer domain is on AUTO_REJECT_DOMAINS' });
  });

  it('lets the accept list win over the reject list, * included', () => {
    expect(decide(BOTH, policy('enforce', [BOTH], [BOTH]))?.type).toBe('receive');
    expect(decide(FRIEND, policy('enforce', [FRIEND], '*'))?.type).toBe('receive');
    expect(decide(NOBODY, policy('enforce', [FRIEND], '*'))).toEqual({ type: 'reject', reason: 'AUTO_REJECT_DOMAINS is * and the consumer domain is not on AUTO_ACCEPT_DOMAINS' });
  });

  it('leaves a domain on neither list to a person, and decides nothing when the policy is off', () => {
    expect(decide(NOBODY, policy('enforce', [FRIEND], [STRANGER]))).toBeUndefined();
    expect(decide(FRIEND, policy('off', [FRIEND], '*'))).toBeUndefined();
    expect(decide(STRANGER, policy('off', [FRIEND], '*'))).toBeUndefined();
  });
});

describe('planActions', () => {
  const current = [
    connection('p-friend', 'pendingAcceptance', { domainId: FRIEND }),
    connection('a-friend', 'accepted', { domainId: FRIEND }),
    connection('p-stranger', 'pendingAcceptance', { domainId: STRANGER }),
    connection('p-nobody', 'pendingAcceptance', { domainId: NOBODY }),
    connection('f-stranger', 'failed', { domainId: STRANGER }),
  ];

  it('in enforce mode acts on every pending connection a list matches, new or not, in listing order', () => {
    const planned = planActions(service, current, new Set(), policy('enforce', [FRIEND], [STRANGER]));
    expect(planned.map(({ connection: c, decision }) => [c.id, decision.type])).toEqual([
      ['p-friend', 'receive'],
      ['p-stranger', 'reject'],
    ]);
    expect(planned[0]!.service).toBe(service);
  });

  it('in a dry run plans only for connections that became pending in this run', () => {
    const planned = planActions(service, current, new Set(['p-stranger', 'p-nobody', 'a-friend']), policy('dry-run', [FRIEND], [STRANGER]));
    expect(planned.map(({ connection: c }) => c.id)).toEqual(['p-stranger']);
  });

  it('plans nothing when the policy is off', () => {
    expect(planActions(service, current, new Set(['p-friend']), policy('off', [FRIEND], '*'))).toEqual([]);
  });
});

describe('plannedEvents', () => {
  const pending = connection('p-1', 'pendingAcceptance', { domainId: FRIEND, description: 'ours', updatedAt: '2026-11-25T11:00:00Z' });
  const rejected = connection('p-2', 'pendingAcceptance', { domainId: STRANGER, updatedAt: '2026-11-25T11:30:00Z' });
  const planned = planActions(service, [pending, rejected], new Set(['p-1', 'p-2']), policy('dry-run', [FRIEND], [STRANGER]));

  it('reports each planned action as a dry-run event, the status it would lead to as `to`', () => {
    const events = plannedEvents(planned, DETECTED);
    expect(events).toHaveLength(2);
    expect(events[0]).toEqual({
      id: eventId('svc-1', 'p-1', 'pendingAcceptance', 'receive:dry-run:planned', '2026-11-25T11:00:00Z'),
      serviceId: 'svc-1',
      serviceName: 'payments',
      connectionId: 'p-1',
      domainId: FRIEND,
      from: 'pendingAcceptance',
      to: 'accepted',
      at: '2026-11-25T11:00:00Z',
      detectedAt: DETECTED,
      description: 'ours',
      errors: [],
      action: { type: 'receive', mode: 'dry-run', outcome: 'planned', reason: 'the consumer domain is on AUTO_ACCEPT_DOMAINS' },
    });
    expect(events[1]).toMatchObject({ connectionId: 'p-2', to: 'rejected', action: { type: 'reject', mode: 'dry-run', outcome: 'planned' } });
  });

  it('gives a planned, a done and a failed action distinct ids, and carries the error of a failure', () => {
    const ids = [plannedEvents(planned, DETECTED)[0]!, actionEvent(planned[0]!, 'enforce', 'done', DETECTED), actionEvent(planned[0]!, 'enforce', 'failed', DETECTED, 'HTTP 403')].map((event) => event.id);
    expect(new Set(ids).size).toBe(3);
    expect(actionEvent(planned[0]!, 'enforce', 'failed', DETECTED, 'HTTP 403').action).toMatchObject({ outcome: 'failed', error: 'HTTP 403' });
    expect(actionEvent(planned[0]!, 'enforce', 'done', DETECTED).action).not.toHaveProperty('error');
  });

  it('reports nothing for nothing planned', () => {
    expect(plannedEvents([], DETECTED)).toEqual([]);
  });
});
