/**
 * Who accepted or rejected a connection. Pure: which transitions are attributable, which CTS trace
 * (if any) caused each, and what is left to look up again in the next run. `posture.ts` does the
 * one CTS query of a run.
 *
 * A transition is matched with a trace of the same service that names the connection in its
 * request, with the same action, at a time it can have happened (after the snapshot before it,
 * before we saw it). No match is "unknown", never a guess: CTS delivers traces a minute or two
 * late, so an unmatched transition waits for one more run before it is given up on.
 */
import type { Attribution } from './alerts.js';
import { eventId } from './alerts.js';
import type { Change } from './diff.js';
import type { CtsTrace } from './ports.js';

/** An accepted or rejected transition, as the run saw it. */
export interface Transition {
  /** The id of the transition's audit record (and of its alert, when it raised one). */
  eventId: string;
  serviceId: string;
  serviceName: string;
  connectionId: string;
  domainId: string;
  from: string;
  to: string;
  updatedAt: string;
  /** The earliest the change can have happened: when the snapshot before it was read. */
  since: string;
  /** When this monitor saw it (the run's start). */
  detectedAt: string;
}

/** An action our approval policy took, waiting for the transition it causes to be seen. */
export interface PolicyActed {
  serviceId: string;
  connectionId: string;
  to: 'accepted' | 'rejected';
  at: string;
}

/** What the state keeps between runs: transitions to look up once more, and our policy's own actions. */
export interface AttributionBook {
  waiting: Transition[];
  acted: PolicyActed[];
}

/** What the trail and the messages name as the actor of our own approval policy. */
export const AGENCY_USER = 'function agency (approval policy)';
/** The state's lists are bounded: beyond this, a transition is "unknown" at once. */
export const MAX_WAITING = 500;
export const MAX_ACTED = 1000;
/** How far a trace's time may stray from ours (clock skew both ways). */
export const CLOCK_SLACK_MS = 5 * 60_000;
/** CTS keeps traces for seven days: a window reaching further back asks for what is gone. */
const CTS_RETENTION_MS = 7 * 86_400_000;
/** A policy action not seen to take effect within a day is forgotten. */
const ACTED_TTL_MS = 86_400_000;

/**
 * Whether a transition is someone's accept or reject. `creating` is where an accepted connection
 * goes first, so pendingAcceptance → creating is the accept, and creating → accepted only VPCEP
 * finishing it.
 */
export function isAttributable(from: string, to: string): boolean {
  if (to === 'rejected') return true;
  if (to === 'accepted') return from !== 'creating';
  return to === 'creating' && from === 'pendingAcceptance';
}

/** The attributable status changes among `changes`, as transitions, at most `limit` of them. */
export function transitionsOf(service: { id: string; name: string }, changes: Iterable<Change>, since: string, detectedAt: string, limit = Infinity): Transition[] {
  const found: Transition[] = [];
  for (const change of changes) {
    if (found.length >= limit) break;
    if (change.kind !== 'status' || !isAttributable(change.from, change.record.status)) continue;
    const { record } = change;
    found.push({
      eventId: eventId(service.id, record.id, change.from, record.status, record.updatedAt),
      serviceId: service.id,
      serviceName: service.name,
      connectionId: record.id,
      domainId: record.domainId,
      from: change.from,
      to: record.status,
      updatedAt: record.updatedAt,
      since,
      detectedAt,
    });
  }
  return found;
}

/** The one CTS window of a run: from the earliest transition's `since` (less the slack) to now, within CTS's seven days. */
export function queryWindow(transitions: readonly Transition[], now: Date): { fromMs: number; toMs: number } {
  const toMs = now.getTime();
  const earliest = Math.min(...transitions.map((t) => Date.parse(t.since)).filter((ms) => !Number.isNaN(ms)), toMs);
  return { fromMs: Math.max(earliest - CLOCK_SLACK_MS, toMs - CTS_RETENTION_MS), toMs };
}

const verb = (to: string): 'receive' | 'reject' => (to === 'rejected' ? 'reject' : 'receive');

/** The latest trace that can have caused `transition`, or `undefined`. */
export function matchTrace(transition: Transition, traces: readonly CtsTrace[]): CtsTrace | undefined {
  const earliest = Date.parse(transition.since) - CLOCK_SLACK_MS;
  const latest = Date.parse(transition.detectedAt) + CLOCK_SLACK_MS;
  let best: CtsTrace | undefined;
  for (const trace of traces) {
    if (trace.resourceId !== transition.serviceId || !trace.connectionIds.includes(transition.connectionId)) continue;
    if (trace.action !== undefined && trace.action.toLowerCase() !== verb(transition.to)) continue;
    const time = Date.parse(trace.time);
    if (Number.isNaN(time) || time < earliest || time > latest) continue;
    if (best === undefined || time > Date.parse(best.time)) best = trace;
  }
  return best;
}

export function traceAttribution(trace: CtsTrace): Attribution {
  const { name, type, accountName, accountId } = trace.user;
  return {
    source: 'trace',
    user: name,
    ...(type ? { userType: type } : {}),
    ...(accountName ? { accountName } : {}),
    ...(accountId ? { accountId } : {}),
    ...(trace.sourceIp ? { sourceIp: trace.sourceIp } : {}),
    traceId: trace.traceId,
  };
}

export const POLICY_ATTRIBUTION: Attribution = { source: 'policy', user: AGENCY_USER };
export const UNKNOWN: Attribution = { source: 'unknown' };
const PENDING: Attribution = { source: 'pending' };

export interface AttributionOutcome {
  /** This run's transitions, by event id. */
  byEvent: Map<string, Attribution>;
  /** Transitions of the previous run looked up again: found now, or given up on. */
  late: { transition: Transition; attribution: Attribution }[];
  book: AttributionBook;
}

/**
 * Attributes the run's transitions and the previous run's waiting ones. `traces` is `undefined`
 * when CTS was not asked or did not answer; `cts` says whether it is on at all (off: nothing waits).
 */
export function attribute(
  fresh: readonly Transition[],
  previous: AttributionBook | undefined,
  traces: readonly CtsTrace[] | undefined,
  context: { cts: boolean; now: Date },
): AttributionOutcome {
  const byEvent = new Map<string, Attribution>();
  const waiting: Transition[] = [];
  const acted = [...(previous?.acted ?? [])];
  for (const transition of fresh) {
    const ours = acted.findIndex(isCause(transition));
    if (ours !== -1) {
      acted.splice(ours, 1);
      byEvent.set(transition.eventId, POLICY_ATTRIBUTION);
      continue;
    }
    const trace = traces && matchTrace(transition, traces);
    if (trace) byEvent.set(transition.eventId, traceAttribution(trace));
    else if (context.cts && waiting.length < MAX_WAITING) {
      waiting.push(transition);
      byEvent.set(transition.eventId, PENDING);
    } else byEvent.set(transition.eventId, UNKNOWN);
  }
  const late = (previous?.waiting ?? []).map((transition) => {
    const trace = traces && matchTrace(transition, traces);
    return { transition, attribution: trace ? traceAttribution(trace) : UNKNOWN };
  });
  const fresher = acted.filter((a) => context.now.getTime() - Date.parse(a.at) < ACTED_TTL_MS);
  return { byEvent, late, book: { waiting, acted: fresher } };
}

/** Whether a policy action of ours is what caused `transition`. */
const isCause = (transition: Transition) => (acted: PolicyActed): boolean =>
  acted.serviceId === transition.serviceId && acted.connectionId === transition.connectionId && acted.to === (transition.to === 'rejected' ? 'rejected' : 'accepted');

/** The transitions a trace must name: those our own policy did not cause. */
export function needingTraces(fresh: readonly Transition[], book: AttributionBook | undefined): Transition[] {
  return fresh.filter((transition) => !(book?.acted ?? []).some(isCause(transition))).concat(book?.waiting ?? []);
}

/** The book with the policy actions just carried out added (only those done: a failed one changed nothing). */
export function notePolicyActions(book: AttributionBook | undefined, actions: readonly { serviceId: string; connectionId: string; action?: { type: string; outcome: string; mode: string } }[], at: string): AttributionBook {
  const acted = [...(book?.acted ?? [])];
  for (const event of actions) {
    if (event.action?.outcome !== 'done' || event.action.mode !== 'enforce') continue;
    acted.push({ serviceId: event.serviceId, connectionId: event.connectionId, to: event.action.type === 'reject' ? 'rejected' : 'accepted', at });
  }
  return { waiting: book?.waiting ?? [], acted: acted.slice(-MAX_ACTED) };
}
