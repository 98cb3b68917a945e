/**
 * The chart of one service's connections by status over the period, in inline SVG: one row per
 * status, each on its own scale from zero, so two pending requests stay visible beside 1,800 accepted
 * connections (one shared axis would flatten them into the baseline). Counts change only when a
 * run sees a change, so each row is drawn as steps, not slopes. No script, no external resource.
 */
import { formatCount, formatTime } from './format.js';
import { type Html, html, untrusted } from './html.js';
import type { Timeline } from './timeline.js';

/**
 * The plot's own coordinates; the SVG stretches to the width it is given. The x axis has one unit
 * per 1/240 of the period (3 hours of 30 days): runs that fall in the same unit are drawn as one
 * vertical stroke through every count they reached, so a month of 5-minute runs costs a few
 * kilobytes per row, not a few hundred.
 */
const WIDTH = 240;
const HEIGHT = 40;

/** Colour classes (defined in the style sheet) of the statuses people know; the rest share one. */
const STATUS_CLASS: Record<string, string> = {
  accepted: 'st-accepted',
  pendingAcceptance: 'st-pending',
  failed: 'st-failed',
  rejected: 'st-rejected',
  creating: 'st-creating',
  deleting: 'st-deleting',
};

export function statusClass(status: string): string {
  return STATUS_CLASS[status] ?? 'st-other';
}

/**
 * Each row is HTML (the status and its numbers, readable at any width) beside an SVG that stretches
 * to the room left (`preserveAspectRatio="none"`, strokes kept at their width by
 * `vector-effect`), so the chart reads on a phone as on a printed page.
 */
export function renderChart(timeline: Timeline, title: string): Html {
  const { start, end, points, statuses, dataFrom } = timeline;
  const span = Math.max(1, end - start);
  const x = (at: number) => Math.round(((Math.min(Math.max(at, start), end) - start) / span) * WIDTH);

  // Before the first run there is nothing to draw, and 0 would be a claim: a hatched band instead,
  // and a mark where the baseline was recorded.
  const noData = dataFrom === undefined ? null : html`<rect class="no-data" x="0" y="0" width="${x(dataFrom)}" height="${HEIGHT}"/><line class="baseline-mark" x1="${x(dataFrom)}" y1="0" x2="${x(dataFrom)}" y2="${HEIGHT}" vector-effect="non-scaling-stroke"/>
`;
  const rows = statuses.map((status) => {
    let max = 0;
    let min = Number.POSITIVE_INFINITY;
    for (const point of points) {
      const n = point.counts[status] ?? 0;
      if (n > max) max = n;
      if (n < min) min = n;
    }
    const now = points.at(-1)?.counts[status] ?? 0;
    // 1 unit of room at the top and bottom keeps a flat line at the maximum or at zero visible.
    const y = (n: number) => Math.round(HEIGHT - 1 - (n / Math.max(1, max)) * (HEIGHT - 2));
    const line = stepLine(points.map((point) => ({ x: x(point.at), y: y(point.counts[status] ?? 0) })));
    const area = `${line}V${HEIGHT}H${x(points[0]!.at)}Z`;
    const label = untrusted(status, 40);
    const range = min === max ? `${formatCount(max)} throughout` : `between ${formatCount(min)} and ${formatCount(max)}`;
    return html`<div class="series ${statusClass(status)}" data-status="${label}" data-now="${now}" data-max="${max}">
<div class="row-label"><b>${label}</b><span>now ${formatCount(now)} · max ${formatCount(max)}</span></div>
<svg class="spark" role="img" viewBox="0 0 ${WIDTH} ${HEIGHT}" preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">
<title>${label}: ${formatCount(now)} now, ${range} in the period</title>
${noData}<path class="area" d="${area}"/>
<path class="line" d="${line}" vector-effect="non-scaling-stroke"/>
</svg>
</div>
`;
  });

  return html`<figure class="chart" aria-label="${title}">
${rows}${dataFrom === undefined ? null : html`<p class="chart-note"><span class="no-data-key"></span>No data before ${formatTime(dataFrom)}: the monitor's first run (its baseline) was then; the mark shows it.</p>
`}<div class="axis"><span>${formatTime(start)}</span><span class="axis-middle">${formatTime(start + span / 2)}</span><span>${formatTime(end)}</span></div>
</figure>`;
}

/**
 * A step line through points in time order: level until the next point's x, then vertical. Points
 * sharing an x become one vertical stroke covering their lowest and highest value, ending at the
 * last; a move to where the pen already is is left out.
 */
function stepLine(points: readonly { x: number; y: number }[]): string {
  let d = `M${points[0]!.x} ${points[0]!.y}`;
  let pen = points[0]!.y;
  let i = 0;
  while (i < points.length) {
    const { x } = points[i]!;
    let low = points[i]!.y;
    let high = low;
    let last = low;
    for (i += 1; i < points.length && points[i]!.x === x; i++) {
      last = points[i]!.y;
      low = Math.min(low, last);
      high = Math.max(high, last);
    }
    if (low !== pen || high !== pen || last !== pen) d += `H${x}`;
    for (const target of [low, high, last]) {
      if (target === pen) continue;
      d += `V${target}`;
      pen = target;
    }
  }
  return `${d}H${WIDTH}`;
}
