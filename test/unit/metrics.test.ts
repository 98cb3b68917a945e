import { describe, expect, it } from 'vitest';
import { dimensionValue, RUN_METRICS, runMetrics, SERVICE_METRICS } from '../../lib/monitor/metrics.js';

// Cloud Eye's documented rules, written out here independently of the code under test.
const METRIC_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
// Cloud Eye's rule: a letter or digit first, then letters, digits, _ or -; no dot.
const DIMENSION_VALUE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,255}$/;
const now = new Date('2026-11-26T12:00:00Z');

describe('runMetrics', () => {
  it('reports every service read, by status, and the run, under names Cloud Eye accepts', () => {
    const metrics = runMetrics({
      projectId: '0123456789abcdef0123456789abcdef',
      services: [{ serviceId: 'svc-1', total: 5, byStatus: new Map([['accepted', 2], ['pendingAcceptance', 2], ['failed', 1]]), oldestPendingSince: now.getTime() - 90_500 }],
      unreadable: 1,
      undelivered: 3,
      durationMs: 1234,
      now,
    });
    const byName = Object.fromEntries(metrics.map((m) => [`${m.dimension.value}/${m.name}`, m.value]));
    expect(byName).toEqual({
      'svc-1/connections_total': 5,
      'svc-1/connections_pending': 2,
      'svc-1/connections_failed': 1,
      'svc-1/connections_rejected': 0,
      'svc-1/connections_accepted': 2,
      'svc-1/pending_oldest_seconds': 90,
      '0123456789abcdef0123456789abcdef/services_unreadable': 1,
      '0123456789abcdef0123456789abcdef/alerts_undelivered': 3,
      '0123456789abcdef0123456789abcdef/run_duration_ms': 1234,
      '0123456789abcdef0123456789abcdef/run_skipped': 0,
    });
    for (const metric of metrics) {
      expect(metric.name).toMatch(METRIC_NAME);
      expect(metric.dimension.value).toMatch(DIMENSION_VALUE);
      expect(metric.unit.length).toBeLessThanOrEqual(32);
    }
  });

  it('says 0 for a service where nobody waits, and never a negative or non-finite value', () => {
    const metrics = runMetrics({
      projectId: 'p', services: [{ serviceId: 's', total: 0, byStatus: new Map(), oldestPendingSince: now.getTime() + 60_000 }],
      unreadable: 0, undelivered: 0, durationMs: Number.NaN, now,
    });
    expect(metrics.every((m) => Number.isFinite(m.value) && m.value >= 0)).toBe(true);
    expect(metrics.find((m) => m.name === 'pending_oldest_seconds')!.value).toBe(0);
  });

  it('keeps every declared name within Cloud Eye rules', () => {
    for (const name of [...Object.keys(SERVICE_METRICS), ...Object.keys(RUN_METRICS)]) expect(name).toMatch(METRIC_NAME);
  });

  it('cuts a dimension value to the characters Cloud Eye takes', () => {
    expect(dimensionValue('4c1a0d8e-8f0e-4d6b-9d0b-2b1f3c4d5e6f')).toBe('4c1a0d8e-8f0e-4d6b-9d0b-2b1f3c4d5e6f');
    expect(dimensionValue('a b/c:d')).toMatch(DIMENSION_VALUE);
    expect(dimensionValue('v1.2')).toMatch(DIMENSION_VALUE);
    // Each refused character becomes an underscore, so distinct values stay distinct.
    expect(dimensionValue('a b/c:d')).toBe('a_b_c_d');
    expect(dimensionValue('_leading')).toMatch(DIMENSION_VALUE);
    expect(dimensionValue('-'.repeat(300))).toMatch(DIMENSION_VALUE);
    expect(dimensionValue('')).toMatch(DIMENSION_VALUE);
    expect(dimensionValue('x'.repeat(400))).toHaveLength(256);
  });
});

describe('door metrics', () => {
  it('counts services without approval and open to all, only when known', () => {
    const base = { projectId: 'p', services: [], unreadable: 0, undelivered: 0, durationMs: 1, now: new Date(0) };
    const names = (doors?: { withoutApproval?: number; openToAll?: number }) =>
      Object.fromEntries(runMetrics({ ...base, ...(doors ? { doors } : {}) }).filter((m) => m.name.startsWith('services_') && m.name !== 'services_unreadable').map((m) => [m.name, m.value]));
    expect(names()).toEqual({});
    expect(names({ withoutApproval: 2 })).toEqual({ services_without_approval: 2 });
    expect(names({ withoutApproval: 0, openToAll: 1 })).toEqual({ services_without_approval: 0, services_open_to_all: 1 });
  });
});
