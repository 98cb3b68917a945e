/**
 * The "look around" step, after the scan: who made this run's accepts and rejects (one CTS query),
 * and what the doors of the services look like (the whitelists due in this run). Best effort by
 * design: a CTS or whitelist call that fails (403 because the agency lacks the permission, 5xx, a
 * timeout) costs the names or that service's door check for this run, is logged once, and never
 * fails the run or holds up an alert for longer than `LOOKUP_TIMEOUT_MS`.
 */
import type { Config } from '../config.js';
import { attribute, type AttributionOutcome, needingTraces, queryWindow, type Transition, transitionsOf } from './attribution.js';
import { type DoorObservation, whitelistAccounts, whitelistDue } from './door.js';
import { callFailure, type CtsTrace, type MonitorDeps } from './ports.js';
import type { ScanResult } from './scan-all.js';
import type { MonitorState } from './state.js';

/** The longest the lookups (the CTS query and all whitelist reads together) may hold up the run's alerts. */
export const LOOKUP_TIMEOUT_MS = 10_000;
/** This many accepts and rejects are attributed per run; beyond, a mass move's records carry no attribution. */
export const MAX_TRANSITIONS = 10_000;
/** Whitelist reads in flight at once. */
const WHITELIST_CONCURRENCY = 4;

export interface Posture {
  attribution: AttributionOutcome;
  doors: DoorObservation[];
}

/** What was loaded: the previous state, and whether this run records a baseline (`LoadedState`). */
interface Loaded {
  state: MonitorState;
  baseline: boolean;
}

export async function readPosture(config: Config, deps: MonitorDeps, loaded: Loaded, scan: ScanResult, startedAt: string): Promise<Posture> {
  const now = deps.now();
  // Wall time, not the run's clock (a test may hold that still): the lookups' one deadline.
  const deadline = Date.now() + LOOKUP_TIMEOUT_MS;
  const [attribution, doors] = await Promise.all([attributeRun(deps, loaded, scan, startedAt, now, deadline), observeDoors(config, deps, loaded, scan, now, deadline)]);
  return { attribution, doors };
}

/** This run's transitions and the previous run's waiting ones, attributed with one CTS query. */
async function attributeRun(deps: MonitorDeps, loaded: Loaded, scan: ScanResult, startedAt: string, now: Date, deadline: number): Promise<AttributionOutcome> {
  const previous = loaded.state;
  // A baseline has no transitions: every connection is first seen.
  const fresh: Transition[] = [];
  // Transitions are status changes, always held (`held`); changes read back from pages (a new or
  // deleted service's) hold none.
  for (const { service, held } of loaded.baseline ? [] : scan.changed) {
    if (fresh.length >= MAX_TRANSITIONS) break;
    const since = previous.services.get(service.id)?.scannedAt || previous.savedAt || startedAt;
    fresh.push(...transitionsOf(service, held ?? [], since, startedAt, MAX_TRANSITIONS - fresh.length));
  }
  const wanted = needingTraces(fresh, previous.attribution);
  const context = { cts: deps.cts !== undefined, now };
  if (deps.cts === undefined || wanted.length === 0) return attribute(fresh, previous.attribution, undefined, context);
  let traces: CtsTrace[] | undefined;
  try {
    traces = await withTimeout(deps.cts.listTraces(queryWindow(wanted, now)), 'the CTS trace query', deadline);
  } catch (error) {
    const { status, code } = callFailure(error);
    deps.logger.warn({ err: error, status, code, transitions: wanted.length }, `asking CTS who accepted or rejected ${wanted.length} connection(s) failed (${(error as Error).message}); the alerts go out without the names, this run's transitions are looked up once more next run, earlier ones are recorded as unknown`);
  }
  return attribute(fresh, previous.attribution, traces, context);
}

/**
 * Each service read completely: `approval_enabled` as listed (free), and its whitelist when due.
 * A whitelist read that fails leaves that door's whitelist unchecked in this run only; the failures
 * of a run are logged in one line.
 */
async function observeDoors(config: Config, deps: MonitorDeps, loaded: Loaded, scan: ScanResult, now: Date, deadline: number): Promise<DoorObservation[]> {
  const doors = loaded.state.doors;
  const observations: DoorObservation[] = scan.read.map(({ service }) => ({ service: { id: service.id, name: service.name }, ...(service.approvalEnabled === undefined ? {} : { approvalEnabled: service.approvalEnabled }) }));
  const due = observations.filter(({ service }) => whitelistDue(service.id, doors?.get(service.id), now, config.postureCheckIntervalMs));
  const failed: { serviceId: string; error: unknown }[] = [];
  const queue = [...due];
  // A 403 is the agency's permission, the same for every service: the rest are not asked in vain.
  let refused = false;
  const worker = async (): Promise<void> => {
    while (queue.length > 0) {
      // Out of time, or refused: the rest are still due, and the next run reads them.
      if (refused || deps.budget.remainingMs() <= 0 || Date.now() >= deadline) return;
      const observation = queue.shift()!;
      try {
        observation.whitelist = whitelistAccounts(await withTimeout(deps.vpcep.listPermissions(observation.service.id), 'the whitelist read', deadline));
      } catch (error) {
        failed.push({ serviceId: observation.service.id, error });
        if (callFailure(error).status === 403) refused = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(WHITELIST_CONCURRENCY, due.length) }, worker));
  if (failed.length > 0) {
    const first = failed[0]!;
    const { status, code } = callFailure(first.error);
    const left = refused ? `, ${queue.length} more not asked after the 403` : '';
    deps.logger.warn(
      { err: first.error, status, code, serviceIds: failed.map((entry) => entry.serviceId).slice(0, 20), failed: failed.length, notAsked: queue.length },
      `reading the whitelist of ${failed.length} service(s) failed (first: ${(first.error as Error).message})${left}; their doors' whitelists are checked again next run, alerts are not affected`,
    );
  }
  return observations;
}

/** `work`, or a timeout error at `deadline`: a slow lookup must not hold the alerts up. */
function withTimeout<T>(work: Promise<T>, what: string, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within the lookups' ${LOOKUP_TIMEOUT_MS / 1000} s`)), Math.max(0, deadline - Date.now()));
  });
  work.catch(() => undefined); // a late failure after the timeout is not an unhandled one
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
