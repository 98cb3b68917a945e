/**
 * One monitoring pass, the use case the handler and the CLI call. It reads top to bottom: load →
 * scan → look around → plan → (lease) → act → record → save → deliver → metrics. Each step is a
 * function of its own; the decisions are pure (`plan-run.ts`) and every piece of I/O arrives
 * through the ports in `MonitorDeps`. The order is the guarantee: the trail is written before the state, the outbox is
 * saved before anything is published, and nothing is saved over a state another run saved.
 */
import type { Config } from '../config.js';
import { plannedEvents } from './approval.js';
import { notePolicyActions } from './attribution.js';
import { recordRun } from './audit.js';
import { carryOutActions } from './carry-out-actions.js';
import { deliver } from './deliver.js';
import { RunIncompleteError } from './errors.js';
import { finishSkipped, takeLease } from './lease.js';
import { mergeOutbox, messagesFor, planRun, type RunSummary } from './plan-run.js';
import type { Checkpoint, MonitorDeps } from './ports.js';
import { readPosture } from './posture.js';
import { reportMetrics } from './report-metrics.js';
import { listWatchedServices, scanAll } from './scan-all.js';
import { assertStateUnchanged, loadState, saveState, sweepSnapshots } from './state-store.js';

export type { RunSummary } from './plan-run.js';

export interface RunOptions {
  runId: string;
  /** Read and diff, but publish nothing and write nothing. */
  dryRun?: boolean;
  /** When this invocation is certainly over (FunctionGraph's hard timeout): the lease's expiry, at most 900 s on. */
  leaseExpiresAt?: Date;
  /** The function running this pass (`{package}/{name}`), recorded as the state's owner; the CLI has none. */
  deployment?: string;
  /** Changes this run may hold (`changeRoomFor` the function's memory); 10,000 when not said. */
  maxChanges?: number;
}

export async function runMonitor(config: Config, deps: MonitorDeps, options: RunOptions): Promise<RunSummary> {
  const { runId } = options;
  const started = deps.now();
  const startedAt = started.toISOString();
  const step = checkpoints(deps);

  // The state, the list of services and the first pages do not wait on each other: pages are read
  // while the state still arrives, and compared with it when it is in.
  const loading = loadState(config, deps, options);
  loading.catch(() => undefined); // met below; a failure before then is not an unhandled one
  const services = await listWatchedServices(config, deps).catch(async (error: unknown) => {
    await loading.catch(() => undefined);
    throw error;
  });
  const stop = new AbortController();
  const [loaded, scan] = await Promise.all([
    loading.then(async (result) => (await step('state-loaded'), result)),
    scanAll(config, deps, loading.then((result) => result.state), services, { startedAt, signal: stop.signal, dryRun: options.dryRun, maxChanges: options.maxChanges }),
  ]).catch((error: unknown) => {
    stop.abort(); // a run that has failed asks for no more pages
    throw error;
  });
  // Who made this run's accepts and rejects, and how each service's door looks: best effort.
  const posture = await readPosture(config, deps, loaded, scan, startedAt);
  const plan = planRun(config, loaded, scan, { runId, startedAt, now: deps.now(), posture });
  const { summary, next } = plan;
  const withMetrics = async (result: RunSummary): Promise<RunSummary> => ({ ...result, metrics: await reportMetrics(config, deps, scan, result, started, next.doors) });
  if (options.dryRun) {
    const wouldPublish = messagesFor(mergeOutbox(next.outbox, plannedEvents(plan.actions, startedAt)), plan.reminders, config, runId);
    return { ...summary, undelivered: loaded.state.outbox.length, wouldPublish };
  }
  if (!plan.mustSave) return finish(await withMetrics(summary));

  // Only runs that write take the lease: a quiet pass costs no OBS write at all.
  const lease = await takeLease(config, deps, { runId, startedAt, ...(options.leaseExpiresAt ? { deadline: options.leaseExpiresAt } : {}) });
  if (!lease.acquired) return finishSkipped(await withMetrics({ ...summary, undelivered: next.outbox.length, skipped: `lease held by ${lease.holder.runId}` }), lease);
  let delivery;
  try {
    await step('lease-acquired');
    const actions = await carryOutActions(plan.actions, config, deps, startedAt);
    next.outbox = mergeOutbox(next.outbox, actions);
    next.attribution = notePolicyActions(next.attribution, actions, startedAt);
    const doorEvents = plan.alerts.filter((alert) => alert.door);
    summary.auditKey = await recordRun(deps.objects, config.obsPrefix, scan.changed, actions, { at: startedAt, runId, raisedIds: new Set(plan.alerts.map((alert) => alert.id)), attribution: posture.attribution, doorEvents });
    if (summary.auditKey) await step('audit-written');
    await assertStateUnchanged(config, deps.objects, loaded.etag);
    await saveState(config, deps, next);
    await step('outbox-saved');
    delivery = await deliver(config, deps, next, plan.reminders, { runId, step });
    await sweepSnapshots(config, deps, loaded.state, next);
  } catch (error) {
    // A process that dies releases nothing; a simulated death must not either.
    if (!step.died) await lease.release();
    throw error;
  }
  await lease.release();
  const delivered = { ...summary, published: summary.published + delivery.published, undelivered: delivery.undelivered, deadLettered: delivery.deadLettered, generation: next.generation };
  return finish(await withMetrics(delivered), delivery);
}

/** The summary, or a RunIncompleteError carrying it when a service was unread or delivery failed. */
function finish(summary: RunSummary, delivery?: { error?: unknown; reminderFailed?: boolean }): RunSummary {
  const error = delivery?.error;
  if (summary.failedServices.length === 0 && error === undefined) return summary;
  const parts: string[] = [];
  if (summary.failedServices.length > 0) parts.push(`could not read service(s) ${summary.failedServices.join(', ')}`);
  if (error !== undefined) {
    const what = delivery?.reminderFailed ? 'the reminder was not delivered' : `${summary.undelivered} alert(s) not delivered`;
    parts.push(`${what} (${(error as Error).message})`);
  }
  throw new RunIncompleteError(`monitoring pass incomplete: ${parts.join('; ')}. State saved; the next run retries.`, summary, { cause: error });
}

/**
 * The test hook between steps. Whatever it throws ends the run on the spot, as a dead process
 * would: `died` tells the run not to clean up after itself.
 */
function checkpoints(deps: MonitorDeps): ((name: Checkpoint) => Promise<void>) & { died: boolean } {
  const step = Object.assign(
    async (name: Checkpoint): Promise<void> => {
      try {
        await deps.checkpoint?.(name);
      } catch (error) {
        step.died = true;
        throw error;
      }
    },
    { died: false },
  );
  return step;
}
