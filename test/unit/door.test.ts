import { describe, expect, it } from 'vitest';
import { diffRecords } from '../../lib/monitor/diff.js';
import { acceptedWithoutReview, doorCounts, type DoorState, phaseOf, planDoors, whitelistAccounts, whitelistDue } from '../../lib/monitor/door.js';
import { encodeChunk } from '../../lib/monitor/records.js';

const service = { id: 'svc-1', name: 'payments' };
const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);

describe('whitelistAccounts', () => {
  it('reads account ids out of VPCEP permissions, sorted, each once, and keeps other shapes whole', () => {
    expect(whitelistAccounts(['iam:domain::bbb', 'iam:domain::*', 'iam:domain::aaa', 'iam:domain::bbb', 'odd'])).toEqual(['*', 'aaa', 'bbb', 'odd']);
  });
});

describe('whitelistDue', () => {
  const door = (checkedAt: string): DoorState => ({ checkedAt });
  it('is never due when the check is off, or for a door not seen before', () => {
    expect(whitelistDue('svc-1', door('2026-01-01T00:00:00Z'), at('2026-02-01T00:00:00Z'), undefined)).toBe(false);
    expect(whitelistDue('svc-1', undefined, at('2026-02-01T00:00:00Z'), HOUR)).toBe(false);
  });

  it('is due once per interval, in the first run after the service\'s own slot boundary', () => {
    const phase = phaseOf('svc-1', HOUR);
    const boundary = Date.UTC(2026, 0, 1, 10) + phase; // a boundary of svc-1
    const checked = new Date(boundary - 1000).toISOString();
    expect(whitelistDue('svc-1', door(checked), new Date(boundary - 1), HOUR)).toBe(false);
    expect(whitelistDue('svc-1', door(checked), new Date(boundary), HOUR)).toBe(true);
    // Read just after the boundary: not again until the next one, an interval later.
    const read = new Date(boundary + 1).toISOString();
    expect(whitelistDue('svc-1', door(read), new Date(boundary + HOUR - 1), HOUR)).toBe(false);
    expect(whitelistDue('svc-1', door(read), new Date(boundary + HOUR), HOUR)).toBe(true);
  });

  it('spreads services across the interval: no boundary instant has them all due', () => {
    const ids = Array.from({ length: 20 }, (_, i) => `service-${i}`);
    const phases = new Set(ids.map((id) => Math.floor(phaseOf(id, HOUR) / 60_000)));
    expect(phases.size).toBeGreaterThan(10);
    expect(ids.every((id) => phaseOf(id, HOUR) < HOUR && phaseOf(id, HOUR) >= 0)).toBe(true);
  });

  it('reads a door whose check time cannot be read', () => {
    expect(whitelistDue('svc-1', door('garbage'), at('2026-02-01T00:00:00Z'), HOUR)).toBe(true);
  });
});

describe('planDoors', () => {
  const context = { detectedAt: '2026-01-01T00:05:00Z', generation: 7 };
  const known = (door: Partial<DoorState>) => new Map([['svc-1', { checkedAt: '2026-01-01T00:00:00Z', ...door }]]);

  it('records a door seen for the first time, and a whitelist read for the first time, silently', () => {
    const first = planDoors(undefined, [{ service, approvalEnabled: false, whitelist: ['*'] }], [], context);
    expect(first.events).toEqual([]);
    expect(first.doors.get('svc-1')).toEqual({ approvalEnabled: false, whitelist: ['*'], checkedAt: context.detectedAt });
    const read = planDoors(known({ approvalEnabled: true }), [{ service, approvalEnabled: true, whitelist: ['*'] }], [], context);
    expect(read.events).toEqual([]);
  });

  it('alerts when approval is switched off, and on', () => {
    const off = planDoors(known({ approvalEnabled: true }), [{ service, approvalEnabled: false }], [], context);
    expect(off.events.map((e) => [e.to, e.door?.kind, e.serviceId, e.connectionId])).toEqual([['approval-off', 'approval-off', 'svc-1', '']]);
    expect(off.doors.get('svc-1')).toEqual({ approvalEnabled: false, checkedAt: '2026-01-01T00:00:00Z' });
    const on = planDoors(known({ approvalEnabled: false }), [{ service, approvalEnabled: true }], [], context);
    expect(on.events.map((e) => e.door?.kind)).toEqual(['approval-on']);
    // A listing that does not say keeps what was known, and raises nothing.
    const silent = planDoors(known({ approvalEnabled: false }), [{ service }], [], context);
    expect(silent.events).toEqual([]);
    expect(silent.doors.get('svc-1')?.approvalEnabled).toBe(false);
  });

  it('alerts when the whitelist gains *, and lists accounts gained and lost', () => {
    const result = planDoors(known({ whitelist: ['aaa', 'bbb'] }), [{ service, whitelist: ['*', 'bbb', 'ccc'] }], [], context);
    expect(result.events.map((e) => e.door)).toEqual([{ kind: 'open-to-all' }, { kind: 'whitelist-changed', added: ['ccc'], removed: ['aaa'] }]);
    expect(result.doors.get('svc-1')).toEqual({ whitelist: ['*', 'bbb', 'ccc'], checkedAt: context.detectedAt });
    const closed = planDoors(known({ whitelist: ['*'] }), [{ service, whitelist: [] }], [], context);
    expect(closed.events.map((e) => e.door)).toEqual([{ kind: 'whitelist-changed', removed: ['*'] }]);
    const same = planDoors(known({ whitelist: ['aaa'] }), [{ service, whitelist: ['aaa'] }], [], context);
    expect(same.events).toEqual([]);
  });

  it('gives a repeat of the same change the same event id, and a later change a new one', () => {
    const once = planDoors(known({ approvalEnabled: true }), [{ service, approvalEnabled: false }], [], context).events[0]!;
    const repeat = planDoors(known({ approvalEnabled: true }), [{ service, approvalEnabled: false }], [], { ...context, detectedAt: 'later' }).events[0]!;
    const later = planDoors(known({ approvalEnabled: true }), [{ service, approvalEnabled: false }], [], { ...context, generation: 9 }).events[0]!;
    expect(repeat.id).toBe(once.id);
    expect(later.id).not.toBe(once.id);
    expect(once.id).toMatch(/^[0-9a-f]{24}$/);
  });

  it('keeps the door of a tracked service not observed in this run, and drops the door of one no longer tracked', () => {
    const previous = new Map([['svc-1', { approvalEnabled: true, checkedAt: 'x' }], ['svc-2', { approvalEnabled: false, checkedAt: 'y' }], ['gone', { checkedAt: 'z' }]]);
    const { doors } = planDoors(previous, [{ service, approvalEnabled: true }], ['svc-1', 'svc-2'], context);
    expect([...doors.keys()]).toEqual(['svc-1', 'svc-2']);
    expect(doors.get('svc-2')).toEqual({ approvalEnabled: false, checkedAt: 'y' });
  });
});

describe('acceptedWithoutReview', () => {
  const record = (id: string, status: string) => ({ id, status, domainId: 'dom', description: '', updatedAt: 't1', errors: [] });
  it('alerts on connections that first appear accepted or creating, not on status changes or pending ones', () => {
    const before = [encodeChunk([record('old', 'pendingAcceptance')])];
    const after = [encodeChunk([record('old', 'accepted'), record('new-accepted', 'accepted'), record('new-creating', 'creating'), record('new-pending', 'pendingAcceptance')])];
    const events = acceptedWithoutReview(service, diffRecords(before, after), 'now');
    expect(events.map((e) => [e.connectionId, e.to, e.door?.kind, e.from])).toEqual([
      ['new-accepted', 'accepted', 'accepted-without-review', null],
      ['new-creating', 'creating', 'accepted-without-review', null],
    ]);
    expect(events[0]).toMatchObject({ domainId: 'dom', at: 't1', detectedAt: 'now' });
    expect(acceptedWithoutReview(service, diffRecords(before, after), 'later')[0]!.id).toBe(events[0]!.id);
  });
});

describe('doorCounts', () => {
  it('counts services without approval and services open to every account', () => {
    const doors = new Map<string, DoorState>([
      ['a', { approvalEnabled: false, whitelist: ['*'], checkedAt: '' }],
      ['b', { approvalEnabled: true, whitelist: ['x'], checkedAt: '' }],
      ['c', { checkedAt: '' }],
    ]);
    expect(doorCounts(doors)).toEqual({ withoutApproval: 1, openToAll: 1 });
    expect(doorCounts(undefined)).toEqual({});
    expect(doorCounts(new Map([['c', { approvalEnabled: true, checkedAt: '' }]]))).toEqual({ withoutApproval: 0 });
  });
});

describe('sameDoors', () => {
  it('compares what the books say, not their order', async () => {
    const { sameDoors } = await import('../../lib/monitor/door.js');
    const a = new Map<string, DoorState>([['x', { approvalEnabled: true, whitelist: ['a'], checkedAt: 't' }], ['y', { checkedAt: 'u' }]]);
    const b = new Map<string, DoorState>([['y', { checkedAt: 'u' }], ['x', { checkedAt: 't', whitelist: ['a'], approvalEnabled: true }]]);
    expect(sameDoors(a, b)).toBe(true);
    expect(sameDoors(undefined, new Map())).toBe(true);
    expect(sameDoors(a, new Map([...b, ['x', { checkedAt: 't', whitelist: ['a'], approvalEnabled: false }]]))).toBe(false);
    expect(sameDoors(a, new Map([...b, ['x', { checkedAt: 't2', whitelist: ['a'], approvalEnabled: true }]]))).toBe(false);
    expect(sameDoors(a, new Map([...b, ['x', { checkedAt: 't', whitelist: [], approvalEnabled: true }]]))).toBe(false);
    expect(sameDoors(new Map([['y', { checkedAt: 'u', whitelist: [] }]]), new Map([['y', { checkedAt: 'u' }]]))).toBe(false);
    expect(sameDoors(a, new Map([['x', a.get('x')!]]))).toBe(false);
  });
});
