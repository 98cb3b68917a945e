/**
 * Connections by status over a period, reconstructed from the audit trail. Pure: the caller
 * passes the snapshot's counts, the period's runs and the period's bounds.
 *
 * The trail records changes, not counts, and the period rarely starts at the first run. So the
 * walk goes backwards: start from the snapshot's counts (what is true now), then undo each run's
 * changes, newest first. Undoing `from → to` takes one connection out of `to` and gives it back to
 * `from` (`added` has no `from`, `removed` has no `to`). What is left when every change of the
 * period is undone is how things stood when the period began.
 *
 * Records of one run share their `at`, and one run changes a connection at most once, so a run is
 * kept as its net change per status: a trail of 100,000 records becomes a few thousand small
 * objects, and each run is one step of the chart.
 */
import type { AuditRecord } from '../monitor/audit.js';

/** One run's net change in connections per status. */
export interface RunDelta {
  /** Milliseconds since the epoch. */
  at: number;
  delta: Record<string, number>;
}

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
  /**
   * When the trail starts, if after `start`: the monitor's first run (its baseline). Before it there
   * is no data, which is not the same as no connections; the points begin here.
   */
  dataFrom?: number;
}

/** Whether a record moved a connection between statuses (an approval action only asks for a move). */
export function changesCounts(record: AuditRecord): boolean {
  return record.change === 'added' || record.change === 'removed' || record.change === 'status';
}

/** Adds a record to `runs`, merging it into the last run when it belongs to it (records come oldest first). */
export function addToRuns(runs: RunDelta[], record: AuditRecord): void {
  if (!changesCounts(record)) return;
  const at = Date.parse(record.at);
  let run = runs.at(-1);
  if (!run || run.at !== at) runs.push((run = { at, delta: {} }));
  if (record.to !== null) run.delta[record.to] = (run.delta[record.to] ?? 0) + 1;
  if (record.from !== null) run.delta[record.from] = (run.delta[record.from] ?? 0) - 1;
}

/**
 * @param countsNow the snapshot's connections by status
 * @param runs one service's runs within [start, end], oldest first (see `addToRuns`)
 */
export function reconstructTimeline(countsNow: Readonly<Record<string, number>>, runs: readonly RunDelta[], start: number, end: number, trailStart?: number): Timeline {
  const ordered = runs.every((run, i) => i === 0 || runs[i - 1]!.at <= run.at) ? runs : [...runs].sort((a, b) => a.at - b.at);
  const counts: Record<string, number> = { ...countsNow };
  const backwards: TimelinePoint[] = [];
  let clamped = false;
  for (let i = ordered.length - 1; i >= 0; i--) {
    const run = ordered[i]!;
    backwards.push({ at: run.at, counts: { ...counts } });
    for (const [status, change] of Object.entries(run.delta)) {
      const before = (counts[status] ?? 0) - change;
      if (before < 0) clamped = true;
      counts[status] = Math.max(0, before);
    }
  }
  backwards.push({ at: start, counts: { ...counts } });
  const walked = backwards.reverse();
  const dataFrom = trailStart !== undefined && trailStart > start ? Math.min(trailStart, end) : undefined;
  const points = dataFrom === undefined ? walked : fromTrailStart(walked, dataFrom);
  const seen = new Set<string>();
  for (const point of points) for (const [status, n] of Object.entries(point.counts)) if (n > 0) seen.add(status);
  const statuses = [...seen].sort((a, b) => (countsNow[b] ?? 0) - (countsNow[a] ?? 0) || a.localeCompare(b));
  return { start, end, points, statuses, clamped, ...(dataFrom === undefined ? {} : { dataFrom }) };
}

/** The points from `dataFrom` on: what held at that moment, then every later run. */
function fromTrailStart(points: readonly TimelinePoint[], dataFrom: number): TimelinePoint[] {
  const later = points.filter((point) => point.at >= dataFrom);
  if (later[0]?.at === dataFrom) return later;
  const holding = points.filter((point) => point.at < dataFrom).at(-1) ?? points[0]!;
  return [{ at: dataFrom, counts: holding.counts }, ...later];
}
