/**
 * The bucket's layout, in one place. Everything the monitor keeps lives under `OBS_PREFIX`:
 *
 *   {prefix}state.json                                   the snapshot, outbox and pending book
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

export function stateKey(prefix: string): string {
  return `${prefix}state.json`;
}

export function leaseKey(prefix: string): string {
  return `${prefix}lease.json`;
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
  return `${prefix}audit/${utcDayPath(date)}`;
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

export function quarantineKey(prefix: string, at: Date): string {
  return `${prefix}quarantine/state-${at.toISOString().replace(/[:.]/g, '-')}.json`;
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
