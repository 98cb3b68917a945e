import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { UNLIMITED } from '../../lib/huaweicloud/budget.js';
import { actionEvent, type PlannedAction } from '../../lib/monitor/approval.js';
import { carryOutActions } from '../../lib/monitor/carry-out-actions.js';
import type { MonitorDeps } from '../../lib/monitor/ports.js';
import { connection, FakeObjects, FakePublisher, FakeVpcep, memoryLogger } from '../fakes.js';

const PROJECT = '0123456789abcdef0123456789abcdef';
const FRIEND = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const STRANGER = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const DETECTED = '2026-11-25T12:00:00.000Z';
const service = { id: 'svc-1', name: 'payments' };

const configFor = (mode: string) =>
  loadConfig((name) => ({ OBS_BUCKET: 'bucket', SMN_TOPIC_URN: `urn:smn:ap-southeast-1:${PROJECT}:alerts`, HUAWEICLOUD_PROJECT_ID: PROJECT, APPROVAL_MODE: mode, AUTO_ACCEPT_DOMAINS: FRIEND, AUTO_REJECT_DOMAINS: STRANGER })[name]);

function world() {
  const vpcep = new FakeVpcep();
  const friend = connection('c-friend', 'pendingAcceptance', { domainId: FRIEND });
  const stranger = connection('c-stranger', 'pendingAcceptance', { domainId: STRANGER });
  vpcep.connections.set(service.id, [friend, stranger]);
  const { logger, lines } = memoryLogger();
  const deps: MonitorDeps = { vpcep, objects: new FakeObjects(), publisher: new FakePublisher(), logger, now: () => new Date(DETECTED), budget: UNLIMITED };
  const planned: PlannedAction[] = [
    { service, connection: friend, decision: { type: 'receive', reason: 'the consumer domain is on AUTO_ACCEPT_DOMAINS' } },
    { service, connection: stranger, decision: { type: 'reject', reason: 'the consumer domain is on AUTO_REJECT_DOMAINS' } },
  ];
  const logged = () => lines().map((line) => JSON.parse(line) as { level: number; msg: string; connectionId: string; serviceId: string; action?: string });
  return { vpcep, deps, planned, logged };
}

describe('carryOutActions', () => {
  it('in dry-run mode sends nothing and reports each action as planned', async () => {
    const w = world();
    const events = await carryOutActions(w.planned, configFor('dry-run'), w.deps, DETECTED);
    expect(w.vpcep.actions).toEqual([]);
    expect(events.map((e) => e.action)).toEqual([
      expect.objectContaining({ type: 'receive', mode: 'dry-run', outcome: 'planned' }),
      expect.objectContaining({ type: 'reject', mode: 'dry-run', outcome: 'planned' }),
    ]);
  });

  it('in enforce mode sends one request per connection, in order, and reports each as done', async () => {
    const w = world();
    const events = await carryOutActions(w.planned, configFor('enforce'), w.deps, DETECTED);
    expect(w.vpcep.actions).toEqual([
      { serviceId: 'svc-1', connectionId: 'c-friend', action: 'receive' },
      { serviceId: 'svc-1', connectionId: 'c-stranger', action: 'reject' },
    ]);
    expect(events).toEqual([actionEvent(w.planned[0]!, 'enforce', 'done', DETECTED), actionEvent(w.planned[1]!, 'enforce', 'done', DETECTED)]);
    expect(w.logged().map((line) => [line.level, line.msg])).toEqual([
      [30, 'approval policy: accepted connection c-friend (the consumer domain is on AUTO_ACCEPT_DOMAINS)'],
      [30, 'approval policy: rejected connection c-stranger (the consumer domain is on AUTO_REJECT_DOMAINS)'],
    ]);
    expect(w.logged()[0]).toMatchObject({ serviceId: 'svc-1', connectionId: 'c-friend', action: 'receive' });
  });

  it('reports a refused action as failed with the error, logs it, and goes on with the next', async () => {
    const w = world();
    w.vpcep.failActions = 1;
    const events = await carryOutActions(w.planned, configFor('enforce'), w.deps, DETECTED);
    expect(w.vpcep.actions).toHaveLength(2);
    expect(events[0]!.action).toEqual({ type: 'receive', mode: 'enforce', outcome: 'failed', reason: 'the consumer domain is on AUTO_ACCEPT_DOMAINS', error: 'injected action failure for c-friend' });
    expect(events[1]!.action).toMatchObject({ outcome: 'done' });
    const [failed] = w.logged();
    expect(failed).toMatchObject({ level: 50, connectionId: 'c-friend' });
    expect(failed!.msg).toBe('approval policy: could not receive connection c-friend: injected action failure for c-friend; next run tries again while it is still pending');
  });
});
