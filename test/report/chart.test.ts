import { describe, expect, it } from 'vitest';
import { renderChart } from '../../lib/report/chart.js';
import type { Timeline } from '../../lib/report/timeline.js';

const start = Date.parse('2026-11-01T00:00:00Z');
const end = start + 240 * 3_600_000; // one x unit per hour

function pathOf(html: string, status: string): string {
  const series = new RegExp(`data-status="${status}"[\\s\\S]*?<path class="line" d="([^"]+)"`).exec(html);
  return series![1]!;
}

describe('renderChart', () => {
  it('draws steps: level until the next run, then straight up or down', () => {
    const timeline: Timeline = {
      start,
      end,
      points: [
        { at: start, counts: { accepted: 0 } },
        { at: start + 24 * 3_600_000, counts: { accepted: 4 } },
        { at: start + 120 * 3_600_000, counts: { accepted: 2 } },
      ],
      statuses: ['accepted'],
      clamped: false,
    };
    // y runs from 39 (zero) up to 1 (the row's maximum, 4).
    expect(pathOf(renderChart(timeline, 't').text, 'accepted')).toBe('M0 39H24V1H120V20H240');
  });

  it('draws runs that share an x unit as one stroke through their lowest and highest count', () => {
    const hour = 3_600_000;
    const timeline: Timeline = {
      start,
      end,
      points: [
        { at: start, counts: { failed: 2 } },
        { at: start + 10 * hour, counts: { failed: 4 } },
        { at: start + 10 * hour + 60_000, counts: { failed: 0 } },
        { at: start + 10 * hour + 120_000, counts: { failed: 1 } },
      ],
      statuses: ['failed'],
      clamped: false,
    };
    expect(pathOf(renderChart(timeline, 't').text, 'failed')).toBe('M0 20H10V1V39V30H240');
  });

  it('gives each status a row with its numbers, in a title a screen reader can read', () => {
    const timeline: Timeline = { start, end, points: [{ at: start, counts: { accepted: 1800, pendingAcceptance: 0 } }, { at: start + 3_600_000, counts: { accepted: 1800, pendingAcceptance: 2 } }], statuses: ['accepted', 'pendingAcceptance'], clamped: false };
    const html = renderChart(timeline, 'Connections of payments').text;
    expect(html).toContain('<figure class="chart" aria-label="Connections of payments">');
    expect(html).toContain('<div class="series st-accepted" data-status="accepted" data-now="1800" data-max="1800">');
    expect(html).toContain('<title>accepted: 1,800 now, 1,800 throughout in the period</title>');
    expect(html).toContain('<title>pendingAcceptance: 2 now, between 0 and 2 in the period</title>');
    // Each row has its own scale: two pending requests reach the top of their row.
    expect(pathOf(html, 'pendingAcceptance')).toBe('M0 39H1V1H240');
  });
});
