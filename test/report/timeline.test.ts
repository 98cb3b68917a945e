import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../lib/monitor/audit.js';
import { addToRuns, reconstructTimeline, type RunDelta } from '../../lib/report/timeline.js';
import { record } from './records.js';

const start = Date.parse('2026-11-01T00:00:00Z');
const end = Date.parse('2026-11-10T00:00:00Z');
const t = (day: number) => `2026-11-0${day}T00:00:00.000Z`;

function runsOf(records: readonly AuditRecord[]): RunDelta[] {
  const runs: RunDelta[] = [];
  for (const r of records) addToRuns(runs, r);
  return runs;
}

describe('reconstructTimeline', () => {
  it('walks back from the counts now, undoing each run newest first', () => {
    const records = [
      // run on day 2: the baseline found three accepted connections
      record({ at: t(2), connectionId: 'a', change: 'added', to: 'accepted' }),
      record({ at: t(2), connectionId: 'b', change: 'added', to: 'accepted' }),
      record({ at: t(2), connectionId: 'c', change: 'added', to: 'accepted' }),
      // day 4: one failed, a request arrived
      record({ at: t(4), connectionId: 'a', from: 'accepted', to: 'failed' }),
      record({ at: t(4), connectionId: 'd', change: 'added', to: 'pendingAcceptance' }),
      // day 6: the request was accepted, b went away
      record({ at: t(6), connectionId: 'd', from: 'pendingAcceptance', to: 'accepted' }),
      record({ at: t(6), connectionId: 'b', change: 'removed', from: 'accepted', to: null }),
    ];
    const timeline = reconstructTimeline({ accepted: 2, failed: 1 }, runsOf(records), start, end);

    expect(timeline.points.map((point) => point.at)).toEqual([start, Date.parse(t(2)), Date.parse(t(4)), Date.parse(t(6))]);
    const counts = timeline.points.map(({ counts: c }) => [c.accepted ?? 0, c.failed ?? 0, c.pendingAcceptance ?? 0]);
    expect(counts).toEqual([
      [0, 0, 0],
      [3, 0, 0],
      [2, 1, 1],
      [2, 1, 0],
    ]);
    expect(timeline.statuses).toEqual(['accepted', 'failed', 'pendingAcceptance']);
    expect(timeline.clamped).toBe(false);
  });

  it('starts where the trail starts: no points, hence no zeros, before the first run', () => {
    const records = [
      record({ at: t(2), connectionId: 'a', change: 'added', to: 'accepted' }),
      record({ at: t(2), connectionId: 'b', change: 'added', to: 'accepted' }),
      record({ at: t(4), connectionId: 'a', from: 'accepted', to: 'failed' }),
    ];
    const timeline = reconstructTimeline({ accepted: 1, failed: 1 }, runsOf(records), start, end, Date.parse(t(2)));
    expect(timeline.dataFrom).toBe(Date.parse(t(2)));
    expect(timeline.points).toEqual([
      { at: Date.parse(t(2)), counts: { accepted: 2, failed: 0 } },
      { at: Date.parse(t(4)), counts: { accepted: 1, failed: 1 } },
    ]);
    // A trail that began before the period leaves the period whole.
    expect(reconstructTimeline({ accepted: 1 }, [], start, end, start - 1).dataFrom).toBeUndefined();
    // A first run with nothing to record in this service: the counts held from then on.
    expect(reconstructTimeline({ accepted: 1 }, [], start, end, Date.parse(t(3))).points).toEqual([{ at: Date.parse(t(3)), counts: { accepted: 1 } }]);
  });

  it('holds the counts flat through a period without changes', () => {
    const timeline = reconstructTimeline({ accepted: 5, rejected: 1 }, runsOf([]), start, end);
    expect(timeline.points).toEqual([{ at: start, counts: { accepted: 5, rejected: 1 } }]);
    expect(timeline.statuses).toEqual(['accepted', 'rejected']);
  });

  it('keeps one net change per run, and none for approval actions, which only ask for a move', () => {
    const runs = runsOf([
      record({ at: t(3), connectionId: 'x', change: 'action', from: 'pendingAcceptance', to: 'accepted', action: 'receive' }),
      record({ at: t(4), connectionId: 'a', from: 'accepted', to: 'failed' }),
      record({ at: t(4), connectionId: 'b', from: 'failed', to: 'accepted' }),
      record({ at: t(4), connectionId: 'c', change: 'added', to: 'pendingAcceptance' }),
    ]);
    expect(runs).toEqual([{ at: Date.parse(t(4)), delta: { accepted: 0, failed: 0, pendingAcceptance: 1 } }]);
    const timeline = reconstructTimeline({ pendingAcceptance: 1, accepted: 3 }, runs, start, end);
    expect(timeline.points.map((point) => point.counts)).toEqual([{ pendingAcceptance: 0, accepted: 3, failed: 0 }, { pendingAcceptance: 1, accepted: 3 }]);
  });

  it('holds a count at zero and says so when the trail claims more than the snapshot has', () => {
    // The snapshot has no failed connection, yet the trail says one failed: a run stopped between
    // writing its trail and its state.
    const records = [record({ at: t(5), connectionId: 'a', from: 'accepted', to: 'failed' })];
    const timeline = reconstructTimeline({ accepted: 1 }, runsOf(records), start, end);
    expect(timeline.clamped).toBe(true);
    expect(timeline.points[0]!.counts).toEqual({ accepted: 2, failed: 0 });
  });
});
