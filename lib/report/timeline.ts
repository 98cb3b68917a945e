/**
 * Connections by status over a period, reconstructed from the audit trail. Pure: the caller
 * passes the snapshot's counts, the period's records and the period's bounds.
 *
 * The trail records changes, not counts, and the period rarely starts at the first run. So the
 * walk goes backwards: start from the snapshot's counts (what is true now), then undo each change,
 * newest first. Undoing `from → to` takes one connection out of `to` and gives it back to `from`
 * (`added` has no `from`, `removed` has no `to`). What is left when every change of the period is
 * undone is how things stood when the period began. Records of one run share their `at`, so each
 * run becomes one step of the chart.
 */
import type { AuditRecord } from '../monitor/audit.js';

export interface TimelinePoint {
  /** Milliseconds since the epoch; the counts hold from here until the next point (or `end`). */
  at: number;
  counts: Record<string, number>;
}

export interface Timeline {
  start: number;
  end: number;
  /** Oldest first; the first point is at `start`. */
  points: TimelinePoint[];
  /** Every status that has a connection at some point, most common now first. */
  statuses: string[];
  /**
   * Undoing the trail took a count below zero, which was held at zero: the snapshot and the trail
   * disagree (a run stopped between writing its trail and its state, or records are missing),
   * and counts before that moment are approximate.
   */
  clamped: boolean;
}

/** Whether a record moved a connection between statuses (an approval action only asks for a move). */
export function changesCounts(record: AuditRecord): boolean {
  return record.change === 'added' || record.change === 'removed' || record.change === 'status';
}

/**
 * @param countsNow the snapshot's connections by status
 * @param records one service's records within [start, end], oldest first (as `readAudit` yields them)
 */
export function reconstructTimeline(countsNow: Readonly<Record<string, number>>, records: readonly AuditRecord[], start: number, end: number): Timeline {
  const counts: Record<string, number> = { ...countsNow };
  const seen = new Set(Object.keys(counts).filter((status) => counts[status]! > 0));
  const backwards: TimelinePoint[] = [];
  let clamped = false;
  let i = records.length - 1;
  while (i >= 0) {
    const at = Date.parse(records[i]!.at);
    backwards.push({ at, counts: { ...counts } });
    // Undo every record of this run (they share `at`) before taking the next snapshot.
    do {
      const record = records[i]!;
      i -= 1;
      if (!changesCounts(record)) continue;
      if (record.to !== null) {
        const left = (counts[record.to] ?? 0) - 1;
        if (left < 0) clamped = true;
        counts[record.to] = Math.max(0, left);
      }
      if (record.from !== null) {
        counts[record.from] = (counts[record.from] ?? 0) + 1;
        seen.add(record.from);
      }
    } while (i >= 0 && Date.parse(records[i]!.at) === at);
  }
  backwards.push({ at: start, counts: { ...counts } });
  const points = backwards.reverse();
  const statuses = [...seen].sort((a, b) => (countsNow[b] ?? 0) - (countsNow[a] ?? 0) || a.localeCompare(b));
  return { start, end, points, statuses, clamped };
}
