/**
 * Cloud Eye metrics of a run. Pure: what to report is decided here, from what the run read and
 * did; the adapter sends it. Names and units are a closed list, every name already obeys Cloud
 * Eye's rules (letter first, `[A-Za-z0-9_]`, at most 64), dimension values are cut to the
 * characters Cloud Eye takes, and values are finite and not negative: a run cannot build a datum
 * Cloud Eye would refuse, so one bad value cannot cost the others.
 */

/** Per endpoint service (dimension `service_id`), only for services read completely in the run. */
export const SERVICE_METRICS = {
  connections_total: 'count',
  connections_pending: 'count',
  connections_failed: 'count',
  connections_rejected: 'count',
  connections_accepted: 'count',
  /** How long the oldest pendingAcceptance request has waited; 0 when none waits. */
  pending_oldest_seconds: 's',
} as const;

/** Per run (dimension `project_id`). */
export const RUN_METRICS = {
  services_unreadable: 'count',
  alerts_undelivered: 'count',
  run_duration_ms: 'ms',
  /** 1 when the run found the state lease held and wrote and published nothing. */
  run_skipped: 'count',
  /** Services whose connection approval is off, as last listed: any whitelisted account gets in unreviewed. */
  services_without_approval: 'count',
  /** Services whose whitelist holds `*`, as last read: any account of the cloud may connect. */
  services_open_to_all: 'count',
} as const;

export type MetricName = keyof typeof SERVICE_METRICS | keyof typeof RUN_METRICS;
export type MetricUnit = (typeof SERVICE_METRICS)[keyof typeof SERVICE_METRICS] | (typeof RUN_METRICS)[keyof typeof RUN_METRICS];

export interface Metric {
  name: MetricName;
  dimension: { name: 'service_id' | 'project_id'; value: string };
  value: number;
  unit: MetricUnit;
}

/** What a complete read of one service says, for its metrics. */
export interface ServiceCounts {
  serviceId: string;
  total: number;
  /** Connections per status. */
  byStatus: ReadonlyMap<string, number>;
  /** Epoch ms since when the oldest pending request has waited, when one does. */
  oldestPendingSince?: number;
}

export interface RunFigures {
  projectId: string;
  services: readonly ServiceCounts[];
  unreadable: number;
  undelivered: number;
  durationMs: number;
  /** Whether the run was skipped for a held lease. */
  skipped?: boolean;
  /** The doors as the state keeps them (`door.ts`); none counted when absent. */
  doors?: { withoutApproval?: number; openToAll?: number };
  now: Date;
}

const STATUS_METRICS = [
  ['connections_pending', 'pendingAcceptance'],
  ['connections_failed', 'failed'],
  ['connections_rejected', 'rejected'],
  ['connections_accepted', 'accepted'],
] as const;

export function runMetrics(figures: RunFigures): Metric[] {
  const metrics: Metric[] = [];
  for (const service of figures.services) {
    const dimension = { name: 'service_id', value: dimensionValue(service.serviceId) } as const;
    const add = (name: keyof typeof SERVICE_METRICS, value: number): void => {
      metrics.push({ name, dimension, value: amount(value), unit: SERVICE_METRICS[name] });
    };
    add('connections_total', service.total);
    for (const [name, status] of STATUS_METRICS) add(name, service.byStatus.get(status) ?? 0);
    add('pending_oldest_seconds', service.oldestPendingSince === undefined ? 0 : Math.floor((figures.now.getTime() - service.oldestPendingSince) / 1000));
  }
  const dimension = { name: 'project_id', value: dimensionValue(figures.projectId) } as const;
  const run = (name: keyof typeof RUN_METRICS, value: number): Metric => ({ name, dimension, value: amount(value), unit: RUN_METRICS[name] });
  metrics.push(run('services_unreadable', figures.unreadable), run('alerts_undelivered', figures.undelivered), run('run_duration_ms', figures.durationMs), run('run_skipped', figures.skipped ? 1 : 0));
  // Only what is known: before any whitelist is read, "0 open to all" would be a claim.
  if (figures.doors?.withoutApproval !== undefined) metrics.push(run('services_without_approval', figures.doors.withoutApproval));
  if (figures.doors?.openToAll !== undefined) metrics.push(run('services_open_to_all', figures.doors.openToAll));
  return metrics;
}

/**
 * Cloud Eye takes 1–256 characters of `[A-Za-z0-9_-]`, a letter or digit first, as a dimension
 * value (no dot). Ids (UUIDs, 32-hex project ids) pass unchanged.
 */
export function dimensionValue(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256);
  return /^[A-Za-z0-9]/.test(cleaned) ? cleaned : `x${cleaned}`.slice(0, 256);
}

// A clock that stepped back or a count gone wrong must not become a datum Cloud Eye refuses.
function amount(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}
