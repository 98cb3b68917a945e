/**
 * The bucket's layout, in one place. Everything the monitor keeps lives under `OBS_PREFIX`:
 *
 *   {prefix}state.json                                   the index: the outbox, the pending book, and per service
 *                                                        its pages' digests (the snapshot's table of contents)
 *   {prefix}snapshots/{service}/{page}-{generation}-{digest}.txt   one page of a service's snapshot
 *                                                        (records.ts), named by its content: never overwritten
 *   {prefix}lease.json                                   who may write the state right now
 *   {prefix}lease-skipped.json                           runs that found the lease held, and by whom
 *   {prefix}notices/foreign-state-{owner}.json           a state of another monitor was reported
 *   {prefix}audit/YYYY/MM/DD/{time}-{runId}.jsonl        the trail, one object per run (+ ~0002 parts)
 *   {prefix}audit/YYYY/MM/DD/{time}-{runId}.delivered.jsonl     what SMN accepted, with its message ids
 *   {prefix}audit/YYYY/MM/DD/{time}-{runId}.dead-letter.jsonl   what SMN refused for good
 *   {prefix}quarantine/state-{time}.json                 unreadable state, set aside
 *   {prefix}dead-letter/YYYY/MM/DD/{time}-{runId}.jsonl  alerts SMN refused for good
 *
 * The CLI, the Terraform module's IAM resources and its tests read the same functions.
 */
import { createHash } from 'node:crypto';

export function stateKey(prefix: string): string {
  return `${prefix}state.json`;
}

/** The OBS_PREFIX under which `key` is the state object, or `undefined` when it is not one. */
export function statePrefixOf(key: string): string | undefined {
  const name = stateKey('');
  if (!key.endsWith(name)) return undefined;
  const prefix = key.slice(0, -name.length);
  // `{prefix}state.json` only: not `quarantine/state-….json`, not `mystate.json`.
  return prefix === '' || prefix.endsWith('/') ? prefix : undefined;
}

/** Where every page of every service's snapshot lives. */
export function snapshotRoot(prefix: string): string {
  return `${prefix}snapshots/`;
}

/** The folder of one service's pages. Service ids are UUIDs; anything else is named by its digest, so no id can reach outside it. */
export function serviceSnapshotPrefix(prefix: string, serviceId: string): string {
  const safe = /^[0-9A-Za-z-]{1,64}$/.test(serviceId) ? serviceId : `x${createHash('sha256').update(serviceId).digest('hex').slice(0, 32)}`;
  return `${snapshotRoot(prefix)}${safe}/`;
}

/**
 * Page `index` (0-based, in listing order) of a service's snapshot, named `{generation}-{digest}`
 * in the state (`pages.ts`). The name holds the content's digest, so an object is never rewritten
 * with other content: a run that dies after writing pages leaves objects no state names, never a
 * changed one.
 */
export function pageKey(prefix: string, serviceId: string, index: number, name: string): string {
  return `${serviceSnapshotPrefix(prefix, serviceId)}${String(index).padStart(5, '0')}-${name}.txt`;
}

export function leaseKey(prefix: string): string {
  return `${prefix}lease.json`;
}

/** Where every audit object lives: listed in key order, its first object is the monitor's first run. */
export function auditRoot(prefix: string): string {
  return `${prefix}audit/`;
}

/** When the run that wrote audit object `key` started, read back from its name; `undefined` for another key. */
export function auditKeyTime(key: string): Date | undefined {
  const match = /audit\/\d{4}\/\d{2}\/\d{2}\/(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-/.exec(key);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, ms] = match;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
}

/** Written by runs that skip for a held lease (they may not write the state). */
export function leaseSkipsKey(prefix: string): string {
  return `${prefix}lease-skipped.json`;
}

/** That this monitor (`ownerDigest`, a hex digest of its owner record) was told of a foreign state. */
export function foreignStateNoticeKey(prefix: string, ownerDigest: string): string {
  return `${prefix}notices/foreign-state-${ownerDigest.replace(/[^0-9a-f]/g, '').slice(0, 16)}.json`;
}

/** `{prefix}audit/YYYY/MM/DD/` for the UTC day of `date`. */
export function auditDayPrefix(prefix: string, date: Date): string {
  return `${auditRoot(prefix)}${utcDayPath(date)}`;
}

/**
 * Keys sort by time within a day, and carry the run id so two runs in the same millisecond
 * (overlapping invocations) still write two objects rather than one over the other.
 */
export function auditKey(prefix: string, at: Date, runId: string, kind?: AuditObjectKind): string {
  return `${auditDayPrefix(prefix, at)}${stamp(at)}-${safeRunId(runId)}${kind ? `.${kind}` : ''}.jsonl`;
}

/**
 * The trail objects written after SMN answered, beside the run's own object of changes. The kind
 * follows a `.`, which no cleaned run id contains, so a key's kind is never ambiguous.
 */
export type AuditObjectKind = 'delivered' | 'dead-letter';

/** Whether an audit key (or one of its parts) holds `delivered` records. */
export function isDeliveredAuditKey(key: string): boolean {
  return /\.delivered(~\d+)?\.jsonl$/.test(key);
}

/** Part `n` (2, 3, …) of a run's audit object: sorts right after the first. */
export function auditPartKey(firstKey: string, part: number): string {
  return part === 1 ? firstKey : firstKey.replace(/\.jsonl$/, `~${String(part).padStart(4, '0')}.jsonl`);
}

/** Where unreadable states are set aside. */
export function quarantineRoot(prefix: string): string {
  return `${prefix}quarantine/`;
}

export function quarantineKey(prefix: string, at: Date): string {
  return `${quarantineRoot(prefix)}state-${at.toISOString().replace(/[:.]/g, '-')}.json`;
}

export function deadLetterDayPrefix(prefix: string, date: Date): string {
  return `${prefix}dead-letter/${utcDayPath(date)}`;
}

export function deadLetterKey(prefix: string, at: Date, runId: string): string {
  return `${deadLetterDayPrefix(prefix, at)}${stamp(at)}-${safeRunId(runId)}.jsonl`;
}

/** The prefix under which every dead-letter object lives (the CLI counts them). */
export function deadLetterRoot(prefix: string): string {
  return `${prefix}dead-letter/`;
}

function utcDayPath(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/`;
}

/** `20261125T120000123Z`: sorts by time within a day. */
function stamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace('.', '');
}

// Run ids come from FunctionGraph (UUIDs) or the CLI; keep keys to characters every tool handles.
function safeRunId(runId: string): string {
  return runId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
}
