import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import type { AlertEvent } from '../../lib/monitor/alerts.js';
import type { Change } from '../../lib/monitor/diff.js';
import { type LoadedState, mergeOutbox, messagesFor, planRun } from '../../lib/monitor/plan-run.js';
import type { Connection } from '../../lib/monitor/ports.js';
import { pageDigest, pageName } from '../../lib/monitor/pages.js';
import { encodeChunk } from '../../lib/monitor/records.js';
import type { DueReminder, PendingBook } from '../../lib/monitor/reminders.js';
import type { ScanResult, ServiceRead } from '../../lib/monitor/scan-all.js';
import { emptyState, type MonitorState, type ServiceSnapshot } from '../../lib/monitor/state.js';
import { ownerOf } from '../../lib/monitor/state-owner.js';
import { buildReminder } from '../../lib/monitor/reminder-message.js';
import { connection } from '../fakes.js';

const PROJECT = '0123456789abcdef0123456789abcdef';
const FRIEND = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const NOW = new Date('2026-11-25T12:00:00.000Z');
const context = { runId: 'run-2', startedAt: NOW.toISOString(), now: NOW };
const config = (settings: Record<string, string> = {}) =>
  loadConfig((name) => ({ OBS_BUCKET: 'bucket', SMN_TOPIC_URN: `urn:smn:ap-southeast-1:${PROJECT}:alerts`, HUAWEICLOUD_PROJECT_ID: PROJECT, ...settings })[name]);

const service = { id: 'svc-1', name: 'payments' };
const accepted = connection('c1', 'accepted');
const snapshot = (name = service.name): ServiceSnapshot => ({ name, scannedAt: '2026-11-25T11:55:00.000Z', total: 1, pages: [pageName(4, pageDigest(encodeChunk([accepted])))] });

/** The state the last run saved: one service, one accepted connection, nothing waiting. */
function previousState(): MonitorState {
  const state = emptyState();
  state.generation = 4;
  state.owner = ownerOf(config());
  state.services.set(service.id, snapshot());
  return state;
}

const loaded = (state = previousState(), extra: Partial<LoadedState> = {}): LoadedState => ({ state, baseline: false, quarantined: false, etag: 'e1', published: 0, owner: ownerOf(config()), ...extra });

/** A scan of the one service: `changes` as found, `pending` the pendingAcceptance connections read. */
function scan(options: { changes?: Change[]; kept?: Connection[]; pending?: Connection[]; services?: Map<string, ServiceSnapshot>; book?: PendingBook; failed?: string[] } = {}): ScanResult {
  const changes = options.changes ?? [];
  const entry: ServiceRead = {
    service,
    count: changes.length,
    changes: async function* () {
      yield* changes;
    },
    kept: new Map((options.kept ?? []).map((c) => [c.id, c])),
    keptChanges: changes.filter((change) => change.kind !== 'removed' && (options.kept ?? []).some((c) => c.id === change.record.id)),
    pending: options.pending ?? [],
    counts: { serviceId: service.id, total: 1, byStatus: new Map([['accepted', 1]]) },
  };
  return {
    serviceCount: 1,
    read: [entry],
    changed: changes.length > 0 ? [entry] : [],
    failedServices: options.failed ?? [],
    connections: 1,
    services: options.services ?? new Map([[service.id, snapshot()]]),
    pending: options.book ?? new Map(),
  };
}

const event = (id: string, extra: Partial<AlertEvent> = {}): AlertEvent => ({
  id,
  serviceId: service.id,
  serviceName: service.name,
  connectionId: `conn-${id}`,
  domainId: FRIEND,
  from: 'accepted',
  to: 'failed',
  at: '2026-11-25T11:59:00Z',
  detectedAt: NOW.toISOString(),
  description: '',
  errors: [],
  ...extra,
});

const failedNow = connection('c1', 'failed', { updatedAt: '2026-11-25T11:59:00Z' });
const toFailed: Change = { kind: 'status', from: 'accepted', record: { id: 'c1', status: 'failed', updatedAt: '2026-11-25T11:59:00Z', domainId: 'domain-1' } };

describe('planRun: whether the run writes anything', () => {
  it('writes nothing on a quiet pass: no baseline, change, waiting alert, action, reminder or service change', () => {
    const plan = planRun(config(), loaded(), scan(), context);
    expect(plan.mustSave).toBe(false);
    expect(plan.summary).toMatchObject({ runId: 'run-2', baseline: false, changes: 0, alerts: 0, actions: 0, reminders: 0, generation: 4 });
  });

  it('adopts a state written before owners were recorded: saves it once, stamped with this owner', () => {
    const unowned = previousState();
    delete unowned.owner;
    const plan = planRun(config(), loaded(unowned), scan(), context);
    expect(plan.mustSave).toBe(true);
    expect(plan.next.owner).toEqual({ projectId: PROJECT, region: 'ap-southeast-1', services: '*', prefix: 'vpcep-monitor/' });
    expect(plan.summary).toMatchObject({ changes: 0, alerts: 0 });
  });

  it('saves a quiet pass that records another owner (a reconfigured filter, a first named deployment), stamped with it', () => {
    const owner = { ...ownerOf(config()), deployment: 'default/vpcep-connection-monitor' };
    const plan = planRun(config(), loaded(previousState(), { owner }), scan(), context);
    expect(plan.mustSave).toBe(true);
    expect(plan.next.owner).toEqual(owner);
    expect(plan.summary).toMatchObject({ changes: 0, alerts: 0 });
  });

  it('writes a baseline even when it found nothing', () => {
    expect(planRun(config(), loaded(emptyState(), { baseline: true }), scan(), context).mustSave).toBe(true);
  });

  it('writes when a connection changed, even to a status that does not alert', () => {
    const toCreating: Change = { kind: 'status', from: 'accepted', record: { ...toFailed.record, status: 'creating' } };
    const plan = planRun(config(), loaded(), scan({ changes: [toCreating] }), context);
    expect(plan).toMatchObject({ mustSave: true, alerts: [], summary: { changes: 1, alerts: 0 } });
  });

  it('writes while alerts wait in the outbox', () => {
    const state = previousState();
    state.outbox.push(event('waiting'));
    const plan = planRun(config(), loaded(state), scan(), context);
    expect(plan.mustSave).toBe(true);
    expect(plan.next.outbox.map((e) => e.id)).toEqual(['waiting']);
  });

  it('writes when a service was renamed, added or dropped', () => {
    expect(planRun(config(), loaded(), scan({ services: new Map([[service.id, snapshot('payments-v2')]]) }), context).mustSave).toBe(true);
    expect(planRun(config(), loaded(), scan({ services: new Map() }), context).mustSave).toBe(true);
    expect(planRun(config(), loaded(), scan({ services: new Map([[service.id, snapshot()], ['svc-2', snapshot('orders')]]) }), context).mustSave).toBe(true);
  });

  it('writes when the approval policy has something to do', () => {
    const waiting = connection('c9', 'pendingAcceptance', { domainId: FRIEND });
    const plan = planRun(config({ APPROVAL_MODE: 'enforce', AUTO_ACCEPT_DOMAINS: FRIEND }), loaded(), scan({ pending: [waiting] }), context);
    expect(plan.mustSave).toBe(true);
    expect(plan.actions.map((action) => [action.connection.id, action.decision.type])).toEqual([['c9', 'receive']]);
  });

  it('writes when a reminder is due, and only then', () => {
    const waiting = connection('c9', 'pendingAcceptance');
    const book = (notifiedAt: string): PendingBook => new Map([[service.id, new Map([['c9', { since: '2026-11-24T00:00:00.000Z', notifiedAt }]])]]);
    const remind = config({ REMIND_PENDING_AFTER: '1h' });
    const due = planRun(remind, loaded(), scan({ pending: [waiting], book: book('2026-11-25T10:00:00.000Z') }), context);
    expect(due.mustSave).toBe(true);
    expect(due.reminders.map((r) => r.connectionId)).toEqual(['c9']);
    const notYet = planRun(remind, loaded(), scan({ pending: [waiting], book: book('2026-11-25T11:30:00.000Z') }), context);
    expect(notYet).toMatchObject({ mustSave: false, reminders: [] });
  });
});

describe('planRun: alerts and the next state', () => {
  it('raises an alert for a change into an alert status and queues it behind what waits', () => {
    const state = previousState();
    state.outbox.push(event('waiting'));
    const plan = planRun(config(), loaded(state), scan({ changes: [toFailed], kept: [failedNow], failed: ['svc-z', 'svc-a'] }), context);
    expect(plan.alerts).toHaveLength(1);
    expect(plan.alerts[0]).toMatchObject({ connectionId: 'c1', from: 'accepted', to: 'failed', detectedAt: context.startedAt });
    expect(plan.next.outbox.map((e) => e.id)).toEqual(['waiting', plan.alerts[0]!.id]);
    expect(plan.next).toMatchObject({ runId: 'run-2', generation: 4 });
    expect(plan.summary).toMatchObject({ changes: 1, alerts: 1, failedServices: ['svc-a', 'svc-z'] });
  });

  it('alerts on a baseline as baseline findings, unless ALERT_ON_BASELINE=false or the state was quarantined', () => {
    const added: Change = { kind: 'added', record: toFailed.record };
    const first = planRun(config(), loaded(emptyState(), { baseline: true }), scan({ changes: [added], kept: [failedNow] }), context);
    expect(first.alerts).toHaveLength(1);
    expect(first.alerts[0]).toMatchObject({ from: null, to: 'failed', baseline: true });
    expect(planRun(config({ ALERT_ON_BASELINE: 'false' }), loaded(emptyState(), { baseline: true }), scan({ changes: [added], kept: [failedNow] }), context).alerts).toEqual([]);
    expect(planRun(config(), loaded(emptyState(), { baseline: true, quarantined: true }), scan({ changes: [added], kept: [failedNow] }), context).alerts).toEqual([]);
  });

  it('does not alert on a change the scan did not keep whole', () => {
    expect(planRun(config(), loaded(), scan({ changes: [toFailed], kept: [] }), context).alerts).toEqual([]);
  });
});

describe('mergeOutbox', () => {
  it('appends fresh alerts after the waiting ones, each id once', () => {
    const waiting = [event('a'), event('b')];
    const merged = mergeOutbox(waiting, [event('b', { description: 'repeat' }), event('c'), event('c'), event('d')]);
    expect(merged.map((e) => e.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(merged[1]).toBe(waiting[1]);
    expect(mergeOutbox([], [])).toEqual([]);
  });
});

describe('messagesFor', () => {
  const reminder: DueReminder = {
    key: { serviceId: service.id, connectionId: 'c9' },
    serviceId: service.id,
    serviceName: service.name,
    connectionId: 'c9',
    domainId: FRIEND,
    description: '',
    since: '2026-11-24T00:00:00.000Z',
    waitingMs: 36 * 3_600_000,
  };

  it('sends changes first, then baseline findings, then the reminder', () => {
    const outbox = [event('base-1', { baseline: true }), event('change-1'), event('base-2', { baseline: true }), event('change-2')];
    const messages = messagesFor(outbox, [reminder], config({ REMIND_PENDING_AFTER: '24h' }), 'run-2');
    expect(messages.map((message) => [message.kind, [...message.eventIds].sort()])).toEqual([
      ['alerts', ['change-1', 'change-2']],
      ['alerts', ['base-1', 'base-2']],
      ['reminder', []],
    ]);
    expect(messages[2]!.message.structure.email).toContain('c9');
  });

  it('sends nothing for an empty outbox and no reminders', () => {
    expect(messagesFor([], [], config(), 'run-2')).toEqual([]);
    expect(messagesFor([event('only-base', { baseline: true })], [], config(), 'run-2').map((m) => m.eventIds)).toEqual([['only-base']]);
  });
});

describe('planRun: which changes are walked, and what a dry-run policy plans', () => {
  const dryRun = (settings: Record<string, string> = {}) => config({ APPROVAL_MODE: 'dry-run', AUTO_ACCEPT_DOMAINS: FRIEND, ...settings });
  const waiting = (id: string) => connection(id, 'pendingAcceptance', { domainId: FRIEND });
  const becamePending = (id: string, kind: 'added' | 'status' | 'removed' = 'status'): Change =>
    kind === 'added'
      ? { kind, record: { id, status: 'pendingAcceptance', updatedAt: '2026-11-25T11:59:00Z', domainId: FRIEND } }
      : ({ kind, from: 'accepted', record: { id, status: 'pendingAcceptance', updatedAt: '2026-11-25T11:59:00Z', domainId: FRIEND } } as Change);
  const planned = (plan: { actions: readonly { connection: { id: string } }[] }) => plan.actions.map((action) => action.connection.id);

  it('plans in a dry run only for the connections that became pending in this run and were kept whole', () => {
    const pending = [waiting('new'), waiting('added'), waiting('old'), waiting('not-kept')];
    const changes = [becamePending('new'), becamePending('added', 'added'), becamePending('not-kept'), { kind: 'status', from: 'pendingAcceptance', record: { ...toFailed.record, id: 'old', status: 'failed' } } as Change];
    const plan = planRun(dryRun(), loaded(), scan({ changes, kept: [waiting('new'), waiting('added'), waiting('old')], pending }), context);
    expect(planned(plan)).toEqual(['new', 'added']);
    expect(plan.summary.actions).toBe(2);
  });

  it('does not take a removed connection for a newly pending one', () => {
    const removed = { kind: 'removed', record: { id: 'gone', status: 'pendingAcceptance', updatedAt: '2026-11-25T11:59:00Z', domainId: FRIEND } } as unknown as Change;
    expect(planned(planRun(dryRun(), loaded(), scan({ changes: [removed], kept: [waiting('gone')], pending: [waiting('gone')] }), context))).toEqual([]);
  });

  it('walks the changes for a dry-run policy even on a silent baseline', () => {
    const silent = dryRun({ ALERT_ON_BASELINE: 'false' });
    const plan = planRun(silent, loaded(emptyState(), { baseline: true }), scan({ changes: [becamePending('new', 'added')], kept: [waiting('new')], pending: [waiting('new')] }), context);
    expect(plan.alerts).toEqual([]);
    expect(planned(plan)).toEqual(['new']);
  });

  it('does not walk the changes on a silent baseline under an enforcing policy, nor for a service with nothing kept or nothing changed', () => {
    const unwalkable = (options: { kept: Connection[]; count?: number }): ScanResult => {
      const result = scan({ kept: options.kept, pending: options.kept });
      const entry = result.read[0]!;
      result.read[0] = { ...entry, count: options.count ?? 1, changes: () => { throw new Error('walked'); } };
      return result;
    };
    const enforce = config({ APPROVAL_MODE: 'enforce', AUTO_ACCEPT_DOMAINS: FRIEND, ALERT_ON_BASELINE: 'false' });
    expect(planned(planRun(enforce, loaded(emptyState(), { baseline: true }), unwalkable({ kept: [waiting('c9')] }), context))).toEqual(['c9']);
    expect(planRun(config(), loaded(), unwalkable({ kept: [] }), context).alerts).toEqual([]);
    expect(planRun(config(), loaded(), unwalkable({ kept: [failedNow], count: 0 }), context).alerts).toEqual([]);
  });

  it('uses the changes of the kept connections the count already walked, without walking again', () => {
    const result = scan({ kept: [failedNow] });
    result.read[0] = { ...result.read[0]!, count: 5, changes: () => { throw new Error('walked'); }, keptChanges: [toFailed] };
    const plan = planRun(config(), loaded(), result, context);
    expect(plan.alerts.map((alert) => alert.connectionId)).toEqual(['c1']);
  });
});

describe('messagesFor: what each message says', () => {
  it('marks baseline findings as such and change alerts as changes, and names the reminder period', () => {
    const settings = config({ REMIND_PENDING_AFTER: '24h' });
    const due: DueReminder = { key: { serviceId: service.id, connectionId: 'c9' }, serviceId: service.id, serviceName: service.name, connectionId: 'c9', domainId: FRIEND, description: '', since: '2026-11-24T00:00:00.000Z', waitingMs: 36 * 3_600_000 };
    const messages = messagesFor([event('change-1'), event('base-1', { baseline: true })], [due], settings, 'run-2');
    expect(messages.slice(0, 2).map((message) => JSON.parse(message.message.structure.default).type)).toEqual(['changes', 'baseline']);
    expect(messages[2]).toEqual(buildReminder([due], { projectId: PROJECT, region: 'ap-southeast-1', runId: 'run-2' }, 24 * 3_600_000));
  });
});
